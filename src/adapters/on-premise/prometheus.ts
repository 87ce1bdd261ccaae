/**
 * Request rate, error rate, mean and p99 latency from the policy engine's Prometheus counters, as
 * rates between two scrapes. The previous scrape of each gateway is kept; when there is none
 * (a fresh process, or one too old to mean "now") two scrapes are taken a moment apart.
 */
import { quantileOfBuckets, type CumulativeBuckets } from './histogram.js';

const REQUESTS = 'policy_engine_requests_total';
const ERRORS = 'policy_engine_request_errors_total';
const DURATION = 'policy_engine_request_duration_seconds';
const DURATION_SUM = `${DURATION}_sum`;
const DURATION_COUNT = `${DURATION}_count`;
const DURATION_BUCKET = `${DURATION}_bucket`;

/** How far apart the two scrapes of a cold start are. */
const COLD_START_GAP_MS = 1000;
/** A previous sample older than this is not used. */
const MAX_SAMPLE_AGE_MS = 10 * 60_000;

interface Sample {
  at: number;
  requests: number;
  errors: number;
  durationSum: number;
  durationCount: number;
  /** The duration histogram summed over all series, by upper bound; empty when not exposed. */
  durationBuckets: CumulativeBuckets;
}

export interface Rates {
  requestRate: number | null;
  /** Percent of requests that failed. */
  errorRate: number | null;
  averageLatencyMs: number | null;
  p99LatencyMs: number | null;
  unavailable: Record<string, string>;
}

/** Sums every series of each metric (all routes, all statuses) in Prometheus text format. */
export function parsePrometheus(text: string, at: number): Sample {
  const totals = new Map<string, number>();
  const durationBuckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    totals.set(match[1]!, (totals.get(match[1]!) ?? 0) + value);
    if (match[1] === DURATION_BUCKET) {
      const bound = upperBound(match[2]);
      if (bound !== null) durationBuckets.set(bound, (durationBuckets.get(bound) ?? 0) + value);
    }
  }
  return {
    at,
    requests: totals.get(REQUESTS) ?? Number.NaN,
    errors: totals.get(ERRORS) ?? 0,
    durationSum: totals.get(DURATION_SUM) ?? Number.NaN,
    durationCount: totals.get(DURATION_COUNT) ?? Number.NaN,
    durationBuckets,
  };
}

/** The `le` label of a bucket series, `+Inf` as Infinity; null when missing or not a number. */
function upperBound(labels: string | undefined): number | null {
  const le = /(?:^|[{,])\s*le\s*=\s*"([^"]*)"/.exec(labels ?? '')?.[1];
  if (le === undefined) return null;
  const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
  return Number.isNaN(bound) ? null : bound;
}

export class PrometheusRates {
  readonly #previous = new Map<string, Sample>();

  /** Tests pass a `sleep` that advances their `clock`, so a cold start costs no real second. */
  constructor(
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly clock: () => number = Date.now,
  ) {}

  async measure(key: string, scrape: () => Promise<string>): Promise<Rates> {
    let previous = this.#previous.get(key);
    if (previous === undefined || this.clock() - previous.at > MAX_SAMPLE_AGE_MS) {
      previous = parsePrometheus(await scrape(), this.clock());
      await this.sleep(COLD_START_GAP_MS);
    }
    const current = parsePrometheus(await scrape(), this.clock());
    this.#previous.set(key, current);
    return rates(previous, current);
  }

  forget(key: string): void {
    this.#previous.delete(key);
  }
}

export function rates(previous: Sample, current: Sample): Rates {
  const unavailable: Record<string, string> = {};
  const none = (reason: string): Rates => {
    for (const field of ['requestRate', 'errorRate', 'averageLatency', 'p99Latency']) unavailable[field] = reason;
    return { requestRate: null, errorRate: null, averageLatencyMs: null, p99LatencyMs: null, unavailable };
  };
  const seconds = (current.at - previous.at) / 1000;
  const requests = current.requests - previous.requests;
  if (Number.isNaN(current.requests)) return none(`the gateway exposes no ${REQUESTS}`);
  // A counter that went down (or only just appeared) means the gateway restarted: this interval says nothing.
  if (Number.isNaN(previous.requests) || requests < 0) return none('the gateway restarted between scrapes; try again');
  if (seconds <= 0) return none('the two scrapes carry the same time; try again');
  const requestRate = round(requests / seconds);
  const errorRate = requests === 0 ? 0 : round(((current.errors - previous.errors) / requests) * 100);
  const count = current.durationCount - previous.durationCount;
  let averageLatencyMs: number | null = null;
  if (Number.isNaN(count)) unavailable.averageLatency = 'the gateway exposes no policy_engine_request_duration_seconds histogram';
  else if (count <= 0) unavailable.averageLatency = 'no requests between the two scrapes';
  else averageLatencyMs = round(((current.durationSum - previous.durationSum) / count) * 1000);
  const p99 = p99Between(previous, current);
  if (typeof p99 === 'string') unavailable.p99Latency = p99;
  return { requestRate, errorRate, averageLatencyMs, p99LatencyMs: typeof p99 === 'number' ? p99 : null, unavailable };
}

/** The 99th percentile of the durations observed between two scrapes, in ms, or why there is none. */
function p99Between(previous: Sample, current: Sample): number | string {
  if (![...current.durationBuckets.keys()].some(Number.isFinite)) return `the gateway exposes no ${DURATION} histogram buckets`;
  const window = new Map<number, number>();
  for (const [bound, count] of current.durationBuckets) {
    const before = previous.durationBuckets.get(bound);
    // A bucket that is new or went down: the histogram was reset or redefined between the scrapes.
    if (before === undefined || count < before) return 'the gateway restarted between scrapes; try again';
    window.set(bound, count - before);
  }
  const quantile = quantileOfBuckets(0.99, window);
  if (quantile.kind === 'empty') return 'no requests between the two scrapes';
  if (quantile.kind === 'above') return `more than ${round(quantile.boundSeconds * 1000)}ms, the histogram's largest bucket`;
  return round(quantile.seconds * 1000);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
