/**
 * The health state machine against a small reference model written independently: thousands of
 * random check sequences (up, down, hang, permanent failures, provisioning), zero divergence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextHealthState, type HealthCounters } from '../../../src/services/health-state.js';
import type { GatewayStatus } from '../../../src/domain/types.js';

type Outcome = 'up' | 'down' | 'hang' | 'denied' | 'provisioning';

const check = (outcome: Outcome) => ({
  healthy: outcome === 'up',
  provisioning: outcome === 'provisioning',
  permanent: outcome === 'denied',
  errorMessage: outcome === 'up' ? null : outcome,
});

/** The rules of DESIGN §6 as a plain loop over the whole history, not a transition function. */
function referenceStatus(start: GatewayStatus, outcomes: Outcome[], down: number, up: number): GatewayStatus {
  let status = start;
  let failures = 0;
  let successes = 0;
  for (const outcome of outcomes) {
    if (outcome === 'up') {
      successes += 1;
      failures = 0;
    } else {
      failures += 1;
      successes = 0;
    }
    if (outcome === 'provisioning') status = 'PROVISIONING';
    else if (outcome === 'denied') status = 'ERROR';
    else if (status === 'PROVISIONING' && outcome === 'up') status = 'ACTIVE';
    else if (status === 'ACTIVE' && failures >= down) status = 'INACTIVE';
    else if ((status === 'INACTIVE' || status === 'ERROR') && successes >= up) status = 'ACTIVE';
  }
  return status;
}

describe('health state machine', () => {
  it('agrees with the reference model on random sequences', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<GatewayStatus>('ACTIVE', 'INACTIVE', 'PROVISIONING', 'ERROR'),
        fc.array(fc.constantFrom<Outcome>('up', 'down', 'hang', 'denied', 'provisioning', 'up', 'down'), { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (start, outcomes, unhealthyThreshold, healthyThreshold) => {
          let state: HealthCounters = { status: start, consecutiveFailures: 0, consecutiveSuccesses: 0 };
          for (const [index, outcome] of outcomes.entries()) {
            const decision = nextHealthState(state, check(outcome), { unhealthyThreshold, healthyThreshold });
            expect(decision.status).toBe(referenceStatus(start, outcomes.slice(0, index + 1), unhealthyThreshold, healthyThreshold));
            expect(decision.transitionReason === null).toBe(decision.status === state.status);
            state = decision;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('turns ACTIVE into INACTIVE only after the third failure, and back after two successes', () => {
    const thresholds = { unhealthyThreshold: 3, healthyThreshold: 2 };
    let state: HealthCounters = { status: 'ACTIVE', consecutiveFailures: 0, consecutiveSuccesses: 0 };
    const seen: GatewayStatus[] = [];
    for (const outcome of ['down', 'down', 'down', 'up', 'up'] as Outcome[]) {
      state = nextHealthState(state, check(outcome), thresholds);
      seen.push(state.status);
    }
    expect(seen).toEqual(['ACTIVE', 'ACTIVE', 'INACTIVE', 'INACTIVE', 'ACTIVE']);
  });

  it('does not flip-flop on alternating results', () => {
    const thresholds = { unhealthyThreshold: 3, healthyThreshold: 2 };
    let state: HealthCounters = { status: 'ACTIVE', consecutiveFailures: 0, consecutiveSuccesses: 0 };
    for (let i = 0; i < 50; i++) {
      state = nextHealthState(state, check(i % 2 === 0 ? 'down' : 'up'), thresholds);
      expect(state.status).toBe('ACTIVE');
    }
  });
});
