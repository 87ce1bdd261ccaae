/**
 * When the health monitor checks a gateway next, and the clock it reads time from.
 *
 * Cadences, from the gateway's state after a check:
 * - settled ACTIVE: every `interval`;
 * - unsettled (a streak is building towards a transition — an ACTIVE gateway that failed, an
 *   INACTIVE or ERROR one that answered — or PROVISIONING): every `interval / 3`, so a status
 *   flips after a few seconds of evidence instead of a few intervals;
 * - settled INACTIVE or ERROR: less often, so dead gateways take fewer of the concurrency slots,
 *   but never so seldom that a gateway that comes back waits longer than `healthyThreshold ×
 *   interval` (plus jitter) to be ACTIVE again: its first success comes at most this slow delay
 *   after it is back, the others `interval / 3` apart, so the slow delay is
 *   `healthyThreshold × interval − (healthyThreshold − 1) × interval / 3` (50 s at the defaults,
 *   30 s and 2), and never above the old `4 × interval` capped at 5 minutes.
 * Each delay is jittered by ±10% so checks that once coincided drift apart.
 *
 * @example
 * const cadence = cadenceOf(30_000, 2);
 * const delayMs = nextCheckDelay({ status: 'ACTIVE', consecutiveFailures: 1, consecutiveSuccesses: 0 }, cadence, Math.random); // ≈ 10 s
 */
import type { HealthCounters } from './health-state.js';

export interface Cadence {
  intervalMs: number;
  /** Unsettled gateways: a failure on an ACTIVE one, a success on a dead one, provisioning. */
  recheckMs: number;
  /** Settled INACTIVE and ERROR gateways. */
  slowMs: number;
}

/** The slow cadence never exceeds this, unless the interval itself is longer. */
export const SLOW_CADENCE_CAP_MS = 5 * 60_000;
export const JITTER = 0.1;

/** `healthyThreshold`: consecutive successes that bring an INACTIVE or ERROR gateway back. */
export function cadenceOf(intervalMs: number, healthyThreshold: number): Cadence {
  const recheckMs = Math.max(1, Math.round(intervalMs / 3));
  const recoveryBound = healthyThreshold * intervalMs - (healthyThreshold - 1) * recheckMs;
  return {
    intervalMs,
    recheckMs,
    slowMs: Math.max(intervalMs, Math.min(4 * intervalMs, SLOW_CADENCE_CAP_MS, recoveryBound)),
  };
}

/** The un-jittered delay before the next check of a gateway in this state. */
export function baseDelay(state: HealthCounters, cadence: Cadence): number {
  switch (state.status) {
    case 'PROVISIONING':
      return cadence.recheckMs;
    case 'ACTIVE':
      return state.consecutiveFailures > 0 ? cadence.recheckMs : cadence.intervalMs;
    case 'INACTIVE':
    case 'ERROR':
      return state.consecutiveSuccesses > 0 ? cadence.recheckMs : cadence.slowMs;
  }
}

/** `baseDelay` with ±10% jitter; `random` is uniform in [0, 1). */
export function nextCheckDelay(state: HealthCounters, cadence: Cadence, random: () => number): number {
  return jittered(baseDelay(state, cadence), random);
}

export function jittered(ms: number, random: () => number): number {
  return Math.max(1, Math.round(ms * (1 - JITTER + 2 * JITTER * random())));
}

/**
 * Where the monitor reads the time and sets its timers. Tests pass a manual clock so intervals,
 * timeouts and leases of minutes run in milliseconds.
 */
export interface MonitorClock {
  now(): Date;
  /**
   * Calls `callback` after `ms`; the returned function cancels it. (Not an abortable promise: a
   * check's safety timer is set and cancelled thousands of times a round, and cancelling must not
   * cost an AbortError with its stack trace each time.)
   */
  schedule(ms: number, callback: () => void): () => void;
}

export const systemClock: MonitorClock = {
  now: () => new Date(),
  schedule: (ms, callback) => {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
