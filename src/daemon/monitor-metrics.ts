/**
 * The health monitor's Prometheus series, so an operator sees it work and can alert on it:
 * - `agentgw_monitor_checks_total{result, error_class}`: checks made, healthy or not, by error class;
 * - `agentgw_monitor_check_duration_seconds{result}`: how long each check took;
 * - `agentgw_monitor_leases_taken_total`: gateways leased (a round's worth per interval, shared by the daemons);
 * - `agentgw_monitor_lease_losses_total{reason}`: results not stored (`fenced`: the lease had run
 *   out and another daemon took the gateway; `write_failed`: the database refused the write);
 * - `agentgw_monitor_lag_seconds`: how long the most overdue gateway of the last claim had been
 *   due — about the poll interval (≤ 1 s) when the monitor keeps up; alert when it nears the interval.
 * The label children are looked up once and kept: this runs once per check.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HEALTH_ERROR_CLASSES, type HealthErrorClass } from '../domain/types.js';
import type { MonitorObserver } from '../services/health-observer.js';

type Result = 'healthy' | 'unhealthy';

export function monitorMetrics(registry: Registry): MonitorObserver {
  const checks = new Counter({
    name: 'agentgw_monitor_checks_total',
    help: 'Background health checks made, by result and error class ("none" when the check raised no class)',
    labelNames: ['result', 'error_class'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'agentgw_monitor_check_duration_seconds',
    help: 'Durations of background health checks, by result',
    labelNames: ['result'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const taken = new Counter({ name: 'agentgw_monitor_leases_taken_total', help: 'Gateways leased for a health check', registers: [registry] });
  const losses = new Counter({
    name: 'agentgw_monitor_lease_losses_total',
    help: 'Check results not stored: fenced (lease expired and taken over, or gateway deleted) or write_failed',
    labelNames: ['reason'],
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'agentgw_monitor_lag_seconds',
    help: 'At the last claim, how long the most overdue gateway taken had been due (0 when none was overdue)',
    registers: [registry],
  });
  lag.set(0);
  for (const reason of ['fenced', 'write_failed']) losses.inc({ reason }, 0);

  const countChildren = new Map<string, Counter.Internal>();
  const durationChildren = { healthy: durations.labels({ result: 'healthy' }), unhealthy: durations.labels({ result: 'unhealthy' }) };
  const countOf = (result: Result, errorClass: HealthErrorClass | 'none') => {
    const key = `${result}:${errorClass}`;
    let child = countChildren.get(key);
    if (child === undefined) {
      child = checks.labels({ result, error_class: errorClass });
      countChildren.set(key, child);
    }
    return child;
  };
  // The usual series exist from the start, at zero, so a rate() over them has a baseline.
  countOf('healthy', 'none').inc(0);
  for (const errorClass of HEALTH_ERROR_CLASSES) countOf('unhealthy', errorClass).inc(0);

  return {
    checked(healthy, errorClass, seconds) {
      const result: Result = healthy ? 'healthy' : 'unhealthy';
      countOf(result, errorClass ?? 'none').inc();
      durationChildren[result].observe(seconds);
    },
    leasesTaken: (count) => taken.inc(count),
    leasesLost: (count, reason) => losses.inc({ reason }, count),
    lag: (seconds) => lag.set(seconds),
  };
}
