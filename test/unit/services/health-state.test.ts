/**
 * The health state machine against a small reference model written independently: thousands of
 * random check sequences (up, down, hang, permanent failures, provisioning), zero divergence;
 * and the reason recorded with each transition.
 *
 * Equivalent mutants left by `npm run test:mutation`: the empty reasons of `decide('ACTIVE', '')`
 * and `decide(current.status, '')` made non-empty. Both decide the status the gateway already
 * has, and decide records no reason for a status that stays, whatever it is given.
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

describe('transition reasons', () => {
  const thresholds = { unhealthyThreshold: 3, healthyThreshold: 2 };
  const at = (status: GatewayStatus, consecutiveFailures = 0, consecutiveSuccesses = 0): HealthCounters => ({
    status,
    consecutiveFailures,
    consecutiveSuccesses,
  });
  const failed = (errorMessage: string | null, permanent = false) => ({ healthy: false, provisioning: false, permanent, errorMessage });
  const passed = { healthy: true, provisioning: false, permanent: false, errorMessage: null };

  it.each([
    ['ACTIVE → PROVISIONING', at('ACTIVE', 0, 4), check('provisioning'), thresholds, 'PROVISIONING', 1, 0, 'provisioning'],
    ['PROVISIONING → ACTIVE', at('PROVISIONING', 5, 0), passed, thresholds, 'ACTIVE', 0, 1, 'provisioned and healthy'],
    ['ACTIVE → ERROR', at('ACTIVE', 0, 7), failed('HTTP 401 from /health', true), thresholds, 'ERROR', 1, 0, 'permanent failure: HTTP 401 from /health'],
    ['INACTIVE → ERROR, no message', at('INACTIVE', 4, 0), failed(null, true), thresholds, 'ERROR', 5, 0, 'permanent failure: unknown'],
    ['ACTIVE → INACTIVE', at('ACTIVE', 2, 0), failed('connection refused'), thresholds, 'INACTIVE', 3, 0, '3 consecutive failed checks: connection refused'],
    ['ACTIVE → INACTIVE, no message', at('ACTIVE', 2, 0), failed(null), thresholds, 'INACTIVE', 3, 0, '3 consecutive failed checks'],
    ['ACTIVE → INACTIVE, threshold 1', at('ACTIVE'), failed('timed out'), { ...thresholds, unhealthyThreshold: 1 }, 'INACTIVE', 1, 0, '1 consecutive failed check: timed out'],
    ['INACTIVE → ACTIVE', at('INACTIVE', 0, 1), passed, thresholds, 'ACTIVE', 0, 2, '2 consecutive successful checks'],
    ['ERROR → ACTIVE', at('ERROR', 0, 1), passed, thresholds, 'ACTIVE', 0, 2, '2 consecutive successful checks'],
    ['ERROR → ACTIVE, threshold 1', at('ERROR', 3, 0), passed, { ...thresholds, healthyThreshold: 1 }, 'ACTIVE', 0, 1, '1 consecutive successful check'],
  ] as const)('records why: %s', (_name, current, result, limits, status, consecutiveFailures, consecutiveSuccesses, transitionReason) => {
    expect(nextHealthState(current, result, limits)).toEqual({ status, consecutiveFailures, consecutiveSuccesses, transitionReason });
  });

  it.each([
    ['PROVISIONING, still provisioning', at('PROVISIONING', 2, 0), check('provisioning'), 'PROVISIONING', 3, 0],
    ['PROVISIONING, a failure', at('PROVISIONING', 0, 0), failed('connection refused'), 'PROVISIONING', 1, 0],
    ['ACTIVE, a success', at('ACTIVE', 2, 0), passed, 'ACTIVE', 0, 1],
    ['ACTIVE, failures under the threshold', at('ACTIVE', 1, 0), failed('timed out'), 'ACTIVE', 2, 0],
    ['INACTIVE, more failures', at('INACTIVE', 3, 0), failed('timed out'), 'INACTIVE', 4, 0],
    ['INACTIVE, successes under the threshold', at('INACTIVE', 6, 0), passed, 'INACTIVE', 0, 1],
    ['ERROR, another permanent failure', at('ERROR', 1, 0), failed('HTTP 403', true), 'ERROR', 2, 0],
    ['ERROR, a transient failure', at('ERROR', 1, 0), failed('timed out'), 'ERROR', 2, 0],
  ] as const)('records no reason when the status stays: %s', (_name, current, result, status, consecutiveFailures, consecutiveSuccesses) => {
    expect(nextHealthState(current, result, thresholds)).toEqual({ status, consecutiveFailures, consecutiveSuccesses, transitionReason: null });
  });

  it('lets a healthy check win over a permanent flag a custom adapter set as well', () => {
    const odd = { healthy: true, provisioning: false, permanent: true, errorMessage: null };
    expect(nextHealthState(at('ACTIVE'), odd, thresholds)).toEqual({ status: 'ACTIVE', consecutiveFailures: 0, consecutiveSuccesses: 1, transitionReason: null });
    expect(nextHealthState(at('PROVISIONING'), odd, thresholds).status).toBe('ACTIVE');
  });
});
