/**
 * The p99 of a gateway's duration histogram: the quantile arithmetic against hand-computed cases,
 * and the window between two scrapes of the policy engine's exposition text (summed over routes).
 */
import { describe, expect, it } from 'vitest';
import { quantileOfBuckets } from '../../../src/adapters/on-premise/histogram.js';
import { parsePrometheus, rates } from '../../../src/adapters/on-premise/prometheus.js';

const INF = Number.POSITIVE_INFINITY;
const buckets = (entries: Array<[number, number]>) => new Map(entries);

describe('quantileOfBuckets', () => {
  it('interpolates linearly inside the bucket the rank falls in', () => {
    // 100 observations: 50 ≤ 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1]. Rank 99 is 9/10 into the last bucket.
    expect(quantileOfBuckets(0.99, buckets([[0.1, 50], [0.5, 90], [1, 100], [INF, 100]]))).toEqual({ kind: 'value', seconds: 0.95 });
    // Rank 50 is exactly the first bucket's bound; rank 25 is halfway from 0 to it.
    expect(quantileOfBuckets(0.5, buckets([[0.1, 50], [0.5, 90], [1, 100], [INF, 100]]))).toEqual({ kind: 'value', seconds: 0.1 });
    expect(quantileOfBuckets(0.25, buckets([[0.1, 50], [0.5, 90], [1, 100], [INF, 100]]))).toEqual({ kind: 'value', seconds: 0.05 });
  });

  it('a rank in the +Inf bucket is "above the largest bound", never that bound', () => {
    expect(quantileOfBuckets(0.99, buckets([[0.1, 50], [1, 90], [INF, 100]]))).toEqual({ kind: 'above', boundSeconds: 1 });
  });

  it('no observations is empty, not zero', () => {
    expect(quantileOfBuckets(0.99, buckets([[0.1, 0], [INF, 0]]))).toEqual({ kind: 'empty' });
  });

  it('a bucket dipping below the one before it (float noise) counts as the one before it', () => {
    // As if 0.5 held 50: rank 99 is 49/50 of the way from 0.5 s to 1 s.
    expect(quantileOfBuckets(0.99, buckets([[0.1, 50], [0.5, 49.999999], [1, 100], [INF, 100]]))).toEqual({ kind: 'value', seconds: 0.99 });
  });
});

const exposition = (scale: number, noBuckets = false) =>
  [
    '# TYPE policy_engine_requests_total counter',
    `policy_engine_requests_total{route="/a"} ${60 * scale}`,
    `policy_engine_requests_total{route="/b"} ${40 * scale}`,
    '# TYPE policy_engine_request_duration_seconds histogram',
    ...(noBuckets
      ? []
      : ['/a', '/b'].flatMap((route) => [
          `policy_engine_request_duration_seconds_bucket{route="${route}",le="0.1"} ${25 * scale}`,
          `policy_engine_request_duration_seconds_bucket{le="0.5",route="${route}"} ${45 * scale}`,
          `policy_engine_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${50 * scale}`,
        ])),
    `policy_engine_request_duration_seconds_sum ${20 * scale}`,
    `policy_engine_request_duration_seconds_count ${100 * scale}`,
  ].join('\n');

describe('p99 between two scrapes', () => {
  it('sums the buckets of every route by their le label and measures only the window', () => {
    // Window: 100 more observations, 50 ≤ 0.1 s, 90 ≤ 0.5 s; rank 99 is above 0.5 s.
    const window = rates(parsePrometheus(exposition(1), 0), parsePrometheus(exposition(2), 10_000));
    expect(window).toMatchObject({ requestRate: 10, p99LatencyMs: null });
    expect(window.unavailable.p99Latency).toBe("more than 500ms, the histogram's largest bucket");
    const median = rates(parsePrometheus(exposition(1), 0), parsePrometheus(exposition(3), 10_000));
    expect(median.unavailable.p99Latency).toBeDefined();
  });

  it('says why when the gateway exposes no buckets, or its histogram was reset', () => {
    const bare = rates(parsePrometheus(exposition(1, true), 0), parsePrometheus(exposition(2, true), 10_000));
    expect(bare.unavailable.p99Latency).toBe('the gateway exposes no policy_engine_request_duration_seconds histogram buckets');
    const reset = rates(parsePrometheus(exposition(2), 0), parsePrometheus(exposition(1).replace(/requests_total\{route="\/a"\} 60/, 'requests_total{route="/a"} 600'), 10_000));
    expect(reset.unavailable.p99Latency).toBe('the gateway restarted between scrapes; try again');
  });
});
