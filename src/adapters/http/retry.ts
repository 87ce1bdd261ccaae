/**
 * When and how long to wait before trying a request again: capped exponential backoff with full
 * jitter, so a thousand clients that failed together do not come back together.
 *
 * @example
 * // Third attempt (second retry) with { backoffMultiplier: 2, maxBackoffMs: 5000 }:
 * // ceiling = min(5000, 200 × 2^1) = 400 ms; the wait is uniform in [0, 400).
 * backoffDelayMs(2, policy, Math.random);
 */
import type { RetryPolicy } from '../adapter.js';

/** The ceiling of the first retry's wait; each later retry multiplies it by backoffMultiplier. */
export const BACKOFF_BASE_MS = 200;

/** Only these methods can be repeated without the risk of doing a thing twice. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** Statuses that say "try again later" rather than "this request is wrong". */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** The upper bound of the wait before retry number `retry` (1 for the first retry). */
export function backoffCeilingMs(retry: number, policy: RetryPolicy): number {
  return Math.min(policy.maxBackoffMs, BACKOFF_BASE_MS * policy.backoffMultiplier ** Math.max(0, retry - 1));
}

/** Full jitter: uniform in [0, ceiling). `random` returns a number in [0, 1). */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * backoffCeilingMs(retry, policy));
}

/**
 * A Retry-After header (delta-seconds or an HTTP date) as milliseconds from `nowMs`; undefined
 * when absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
