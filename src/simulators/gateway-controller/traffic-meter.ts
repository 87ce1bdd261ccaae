/**
 * The policy engine's Prometheus metrics for a simulated gateway, computed from a traffic profile
 * and the clock instead of counted: no per-gateway timer runs, a scrape is O(1), and two scrapes
 * Δt apart differ by exactly `requestsPerSecond × Δt` requests. Changing the profile folds what was
 * counted so far into a base, so counters never go backwards.
 */
import type { TrafficProfile } from './types.js';

/** Histogram buckets (seconds), the Prometheus client defaults. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/**
 * Traffic is split over two synthetic routes so that a client has to sum series, as it must
 * against a real policy engine, instead of reading the first sample it finds.
 */
const ROUTES = [
  { route: '/openai/latest/chat/completions', apiName: 'openai-provider', apiVersion: 'v1.0', share: 0.6 },
  { route: '/assistant/chat/completions', apiName: 'openai-assistant', apiVersion: 'v1.0', share: 0.4 },
] as const;

export const DEFAULT_TRAFFIC: TrafficProfile = Object.freeze({ requestsPerSecond: 5, errorRatio: 0.02, meanLatencyMs: 120 });

interface Totals {
  requests: number;
  errors: number;
  /** Sum of durations, seconds. */
  durationSum: number;
  /** Cumulative count per entry of BUCKETS. */
  buckets: number[];
}

const ZERO: Totals = Object.freeze({ requests: 0, errors: 0, durationSum: 0, buckets: BUCKETS.map(() => 0) });

export class TrafficMeter {
  private base: Totals = ZERO;

  constructor(
    private current: TrafficProfile,
    private epochMs: number,
  ) {}

  get profile(): TrafficProfile {
    return this.current;
  }

  setProfile(profile: TrafficProfile, nowMs: number): void {
    this.base = this.totals(nowMs);
    this.epochMs = nowMs;
    this.current = profile;
  }

  totals(nowMs: number): Totals {
    const { requestsPerSecond, errorRatio, meanLatencyMs } = this.current;
    const requests = (requestsPerSecond * Math.max(0, nowMs - this.epochMs)) / 1000;
    const mean = meanLatencyMs / 1000;
    return {
      requests: this.base.requests + requests,
      errors: this.base.errors + requests * errorRatio,
      durationSum: this.base.durationSum + requests * mean,
      // Exponentially distributed durations: P(d <= b) = 1 - e^(-b/mean).
      buckets: BUCKETS.map((b, i) => (this.base.buckets[i] ?? 0) + requests * (mean > 0 ? 1 - Math.exp(-b / mean) : 1)),
    };
  }

  /** Prometheus text exposition format 0.0.4. */
  render(nowMs: number): string {
    const t = this.totals(nowMs);
    const lines: string[] = [
      '# HELP policy_engine_requests_total Total number of requests processed by the policy engine.',
      '# TYPE policy_engine_requests_total counter',
    ];
    for (const r of ROUTES) {
      lines.push(`policy_engine_requests_total{phase="request",route="${r.route}",api_name="${r.apiName}",api_version="${r.apiVersion}"} ${num(t.requests * r.share)}`);
    }
    lines.push(
      '# HELP policy_engine_request_errors_total Total number of request errors in the policy engine.',
      '# TYPE policy_engine_request_errors_total counter',
    );
    for (const r of ROUTES) {
      lines.push(`policy_engine_request_errors_total{phase="request",error_type="upstream_error",route="${r.route}"} ${num(t.errors * r.share)}`);
    }
    lines.push(
      '# HELP policy_engine_request_duration_seconds Duration of request processing in the policy engine.',
      '# TYPE policy_engine_request_duration_seconds histogram',
    );
    for (const r of ROUTES) {
      const labels = `phase="request",route="${r.route}"`;
      BUCKETS.forEach((b, i) => {
        lines.push(`policy_engine_request_duration_seconds_bucket{${labels},le="${b}"} ${num((t.buckets[i] ?? 0) * r.share)}`);
      });
      lines.push(`policy_engine_request_duration_seconds_bucket{${labels},le="+Inf"} ${num(t.requests * r.share)}`);
      lines.push(`policy_engine_request_duration_seconds_sum{${labels}} ${num(t.durationSum * r.share)}`);
      lines.push(`policy_engine_request_duration_seconds_count{${labels}} ${num(t.requests * r.share)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function num(value: number): string {
  // Twelve significant digits hide float noise (0.30000000000000004) without losing rate precision.
  return String(Number(value.toPrecision(12)));
}
