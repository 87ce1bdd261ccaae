/**
 * An on-premise gateway's metrics: resource counts from the management API's listings, traffic
 * rates from its Prometheus endpoint (see `prometheus.ts`). Each figure that cannot be had is
 * null with the reason in `unavailable`, so that one missing source does not hide the other.
 *
 * @example
 * const collector = new MetricsCollector(client, resources);
 * const metrics = await collector.collect(target); // { providerCount: 2, requestRate: null, unavailable: { requestRate: 'no metrics URL: …' }, … }
 */
import { GatewayError } from '../../domain/errors.js';
import type { CallOptions, GatewayMetrics, GatewayTarget, ResourceKind } from '../adapter.js';
import { COUNT_FIELDS, TRAFFIC_KINDS } from '../adapter.js';
import { timeout, type ControllerClient } from './controller-client.js';
import { PrometheusRates } from './prometheus.js';
import type { ControllerResources } from './resources.js';
import { readSettings } from './settings.js';

const RATE_FIELDS = ['requestRate', 'errorRate', 'averageLatency', 'p99Latency'] as const;

export interface MetricsCollectorOptions {
  /** Milliseconds since the epoch, for the time between two Prometheus scrapes. */
  clock?: () => number;
  /** How a cold start waits between its two scrapes; tests pass one that advances their clock. */
  sleep?: (ms: number) => Promise<void>;
}

export class MetricsCollector {
  readonly #rates: PrometheusRates;

  constructor(
    private readonly client: ControllerClient,
    private readonly resources: ControllerResources,
    options: MetricsCollectorOptions = {},
  ) {
    this.#rates = new PrometheusRates(options.sleep, options.clock);
  }

  async collect(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayMetrics> {
    const unavailable: Record<string, string> = {};
    const listings = await Promise.allSettled(TRAFFIC_KINDS.map((kind) => this.resources.list(target, kind, options)));
    const counts = new Map<ResourceKind, number>();
    for (const [index, listing] of listings.entries()) {
      if (listing.status === 'fulfilled') counts.set(TRAFFIC_KINDS[index]!, listing.value.length);
      else for (const field of COUNT_FIELDS) unavailable[field] ??= `cannot list resources: ${describe(listing.reason)}`;
    }
    const complete = counts.size === TRAFFIC_KINDS.length;
    const metrics: GatewayMetrics = {
      resourceCount: complete ? [...counts.values()].reduce((a, b) => a + b, 0) : null,
      providerCount: complete ? counts.get('LlmProvider')! : null,
      proxyCount: complete ? counts.get('LlmProxy')! : null,
      mcpCount: complete ? counts.get('Mcp')! : null,
      requestRate: null,
      errorRate: null,
      averageLatencyMs: null,
      p99LatencyMs: null,
      unavailable,
      collectedAt: new Date(),
    };
    const metricsUrl = readSettings(target).metricsUrl;
    if (metricsUrl === null) {
      for (const field of RATE_FIELDS) unavailable[field] = `no metrics URL: set one with \`agentgw gateway update ${target.name} --metrics-url URL\``;
      return metrics;
    }
    try {
      const rates = await this.#rates.measure(target.uuid || target.name, () => this.scrape(target, metricsUrl, options));
      metrics.requestRate = rates.requestRate;
      metrics.errorRate = rates.errorRate;
      metrics.averageLatencyMs = rates.averageLatencyMs;
      metrics.p99LatencyMs = rates.p99LatencyMs;
      Object.assign(unavailable, rates.unavailable);
    } catch (error) {
      for (const field of RATE_FIELDS) unavailable[field] = `cannot scrape ${metricsUrl}: ${describe(error)}`;
    }
    return metrics;
  }

  private async scrape(target: GatewayTarget, metricsUrl: string, options: CallOptions): Promise<string> {
    const response = await this.client.request(target, { method: 'GET', url: metricsUrl, retry: true, ...timeout(options) });
    if (response.status !== 200) throw new GatewayError('AGW_METRICS_UNAVAILABLE', `metrics endpoint answered HTTP ${response.status}`);
    return response.body;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
