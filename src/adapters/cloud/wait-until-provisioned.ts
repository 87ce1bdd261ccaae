/**
 * Polls a provisioning gateway until provisioning is over, for `agentgw gateway register` (which
 * waits unless told not to) and for tests. The health monitor does not use it: it settles
 * PROVISIONING gateways on its own schedule, one check per round.
 *
 * @example
 * const health = await waitUntilProvisioned(adapter, target, { timeoutMs: 600_000, pollIntervalMs: 2_000 });
 * if (health.healthy) console.log('ready at', health.endpoint);
 * else console.error('provisioning failed:', health.errorMessage);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../../config/duration.js';
import { GatewayError } from '../../domain/errors.js';
import type { GatewayAdapter, GatewayTarget, HealthStatus } from '../adapter.js';

export interface WaitOptions {
  /** Give up after this long (cloud.provisioning.timeout). */
  timeoutMs: number;
  /** First wait between checks (cloud.provisioning.pollInterval); later waits grow to four times it. */
  pollIntervalMs: number;
  signal?: AbortSignal;
  /** Called after each check, e.g. to update a spinner. */
  onCheck?: (health: HealthStatus) => void;
  /** Milliseconds, monotonic; tests pass a fake clock together with `sleep`. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const BACKOFF_FACTOR = 1.5;
const MAX_BACKOFF_FACTOR = 4;
/** However long the configured interval, polling never slows below this unless the interval itself is longer. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Resolves with the first check that ends provisioning: healthy (the gateway is ACTIVE) or a
 * permanent failure (the provider reports ERROR, or the gateway is gone). Transient failures
 * (the provider briefly unreachable) are polled through. Throws a GatewayError
 * (`AGW_CLOUD_PROVISIONING_TIMEOUT`) when the deadline passes first; provisioning itself goes
 * on at the provider.
 */
export async function waitUntilProvisioned(
  adapter: Pick<GatewayAdapter, 'checkHealth'>,
  target: GatewayTarget,
  options: WaitOptions,
): Promise<HealthStatus> {
  const now = options.now ?? (() => performance.now());
  const pause = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, signal === undefined ? undefined : { signal }));
  const deadline = now() + options.timeoutMs;
  const maxDelay = Math.max(options.pollIntervalMs, Math.min(options.pollIntervalMs * MAX_BACKOFF_FACTOR, MAX_BACKOFF_MS));
  let delay = options.pollIntervalMs;
  let last: HealthStatus;

  for (;;) {
    options.signal?.throwIfAborted();
    // Each check is bounded by the adapter's health-check timeout, so the deadline is overshot
    // by at most one check; the check at the deadline itself still counts.
    last = await adapter.checkHealth(target, options.signal === undefined ? {} : { signal: options.signal });
    options.onCheck?.(last);
    if (!last.provisioning && (last.healthy || last.permanent === true)) return last;

    const left = deadline - now();
    if (left <= 0) break;
    await pause(Math.min(delay, left), options.signal);
    delay = Math.min(delay * BACKOFF_FACTOR, maxDelay);
  }
  options.signal?.throwIfAborted();
  const state = last.provisioning ? 'still provisioning' : `not healthy${last.errorMessage === null ? '' : ` (${last.errorMessage})`}`;
  throw new GatewayError('AGW_CLOUD_PROVISIONING_TIMEOUT', `gateway "${target.name}" is ${state} after ${formatDuration(options.timeoutMs)}`, {
    hint: `provisioning goes on at the provider; follow it with: agentgw gateway health ${target.name}`,
    details: { gateway: target.name, provisioning: last.provisioning === true },
  });
}
