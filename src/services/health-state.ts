/**
 * The health state machine (DESIGN §6), as a pure function so it can be tested against a
 * reference model with thousands of random sequences.
 *
 * - PROVISIONING stays until the adapter stops reporting `provisioning`; then the first success
 *   makes it ACTIVE, and a permanent failure makes it ERROR.
 * - ACTIVE becomes INACTIVE after `unhealthyThreshold` consecutive failures (one failure is noise).
 * - INACTIVE and ERROR become ACTIVE after `healthyThreshold` consecutive successes.
 * - A permanent failure (401/403, TLS, 404 on the health path) is ERROR at once: retrying will
 *   not fix it, and an operator has to act.
 */
import type { HealthStatus } from '../adapters/adapter.js';
import type { GatewayStatus } from '../domain/types.js';

export interface HealthThresholds {
  unhealthyThreshold: number;
  healthyThreshold: number;
}

export interface HealthCounters {
  status: GatewayStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

export interface HealthDecision extends HealthCounters {
  /** Why the status changed; null when it did not. */
  transitionReason: string | null;
}

type Check = Pick<HealthStatus, 'healthy' | 'provisioning' | 'permanent' | 'errorMessage'>;

export function nextHealthState(current: HealthCounters, check: Check, thresholds: HealthThresholds): HealthDecision {
  const consecutiveSuccesses = check.healthy ? current.consecutiveSuccesses + 1 : 0;
  const consecutiveFailures = check.healthy ? 0 : current.consecutiveFailures + 1;
  const decide = (status: GatewayStatus, reason: string): HealthDecision => ({
    status,
    consecutiveFailures,
    consecutiveSuccesses,
    transitionReason: status === current.status ? null : reason,
  });
  const failure = `${inARow(consecutiveFailures, 'failed')}${check.errorMessage ? `: ${check.errorMessage}` : ''}`;

  if (check.provisioning) return decide('PROVISIONING', 'provisioning');
  if (!check.healthy && check.permanent) return decide('ERROR', `permanent failure: ${check.errorMessage ?? 'unknown'}`);

  switch (current.status) {
    case 'PROVISIONING':
      return check.healthy ? decide('ACTIVE', 'provisioned and healthy') : decide('PROVISIONING', failure);
    case 'ACTIVE':
      return !check.healthy && consecutiveFailures >= thresholds.unhealthyThreshold ? decide('INACTIVE', failure) : decide('ACTIVE', '');
    case 'INACTIVE':
    case 'ERROR':
      return check.healthy && consecutiveSuccesses >= thresholds.healthyThreshold
        ? decide('ACTIVE', inARow(consecutiveSuccesses, 'successful'))
        : decide(current.status, '');
  }
}

/** "1 consecutive failed check", "3 consecutive successful checks". */
function inARow(count: number, outcome: 'failed' | 'successful'): string {
  return `${count} consecutive ${outcome} check${count === 1 ? '' : 's'}`;
}
