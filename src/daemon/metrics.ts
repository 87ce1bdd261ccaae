/**
 * The daemon's Prometheus metrics: HTTP requests (count and duration by route and status),
 * on-demand gateway health checks (duration by outcome), process metrics, and the gateways of
 * the caller's organization by status and type (counted from the database at scrape time), and
 * the background health monitor's work (see `monitor-metrics.ts`).
 * Each daemon has its own registry, so several daemons in one process (tests) do not collide.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MonitorObserver } from '../services/health-observer.js';
import { GATEWAY_STATUSES, GATEWAY_TYPES } from '../domain/types.js';
import type { Store } from '../store/database.js';
import { GatewayRepository } from '../store/repositories/gateways.js';
import { monitorMetrics } from './monitor-metrics.js';

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route' | 'status'>;
  private readonly healthChecks: Histogram<'outcome'>;
  private readonly shed: Counter<'kind'>;
  /** Pass to the health monitor (`observer`) to fill the agentgw_monitor_* series. */
  readonly monitor: MonitorObserver;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'agentgw_' });
    this.requests = new Counter({
      name: 'agentgw_http_requests_total',
      help: 'HTTP requests answered, by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'agentgw_http_request_duration_seconds',
      help: 'HTTP request durations, by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.healthChecks = new Histogram({
      name: 'agentgw_gateway_health_check_duration_seconds',
      help: 'Durations of live gateway health checks (POST /api/v1/gateways/{id}/health-checks), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.shed = new Counter({
      name: 'agentgw_http_connections_shed_total',
      help: 'Connections closed to keep to server.maxConnections: a waiting one to make room, or the newcomer when none was waiting',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    this.monitor = monitorMetrics(this.registry);
  }

  /** Reports the open connections at each scrape. */
  trackConnections(open: () => number): void {
    new Gauge({
      name: 'agentgw_http_connections_open',
      help: 'HTTP connections open now (server.maxConnections at most)',
      registers: [this.registry],
      collect() {
        this.set(open());
      },
    });
  }

  connectionShed(kind: 'waiting' | 'newcomer'): void {
    this.shed.inc({ kind });
  }

  /** `route` is the route pattern (e.g. /api/v1/gateways/:id), never the raw URL: bounded labels. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.durations.observe(labels, seconds);
  }

  observeHealthCheck(outcome: 'healthy' | 'unhealthy' | 'error', seconds: number): void {
    this.healthChecks.observe({ outcome }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, with the gateways of `organizationId` counted now. */
  async render(store: Store, organizationId: string): Promise<string> {
    const counts = await new GatewayRepository(store, organizationId).countByStatusAndType();
    const scrape = new Registry();
    const gauge = new Gauge({
      name: 'agentgw_gateways',
      help: 'Gateways of the caller’s organization, by status and type',
      labelNames: ['status', 'type'],
      registers: [scrape],
    });
    // Every combination is reported, zero included, so a series does not vanish when it empties.
    for (const status of GATEWAY_STATUSES) for (const type of GATEWAY_TYPES) gauge.set({ status, type }, 0);
    for (const { status, type, count } of counts) gauge.set({ status, type }, count);
    return (await this.registry.metrics()) + (await scrape.metrics());
  }
}
