/**
 * A quantile from a Prometheus histogram's cumulative buckets, as PromQL's `histogram_quantile`
 * computes it: find the bucket the rank falls in and interpolate linearly inside it. One
 * difference on purpose: a rank in the `+Inf` bucket is reported as "above the largest bound"
 * instead of as that bound, because a gate such as `p99Latency<20s` must not pass on a p99 the
 * histogram cannot place.
 */

/** Cumulative count of observations at or below each upper bound (seconds); `+Inf` as Infinity. */
export type CumulativeBuckets = ReadonlyMap<number, number>;

export type Quantile =
  | { kind: 'value'; seconds: number }
  | { kind: 'above'; boundSeconds: number }
  | { kind: 'empty' };

export function quantileOfBuckets(q: number, buckets: CumulativeBuckets): Quantile {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  // Counts summed over series, or subtracted between scrapes, can dip by float noise; a
  // cumulative histogram never decreases, so each bucket holds at least the one before it.
  let running = 0;
  const counts = bounds.map((bound) => (running = Math.max(running, buckets.get(bound) ?? 0)));
  const total = bounds[bounds.length - 1] === Number.POSITIVE_INFINITY ? counts[counts.length - 1]! : running;
  if (!(total > 0)) return { kind: 'empty' };
  const rank = q * total;
  const index = counts.findIndex((count) => count >= rank);
  const bound = bounds[index]!;
  if (bound === Number.POSITIVE_INFINITY) return { kind: 'above', boundSeconds: bounds[index - 1] ?? 0 };
  const lower = index === 0 ? Math.min(0, bound) : bounds[index - 1]!;
  const below = index === 0 ? 0 : counts[index - 1]!;
  const inBucket = counts[index]! - below;
  const seconds = inBucket > 0 ? lower + (bound - lower) * ((rank - below) / inBucket) : bound;
  return { kind: 'value', seconds };
}
