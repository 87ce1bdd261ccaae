/**
 * A gateway checked now through the adapter: its health (recorded as the monitor records it) and
 * its metrics. GatewayService makes overlapping calls for one gateway share one of these.
 */
import type { GatewayHealth, GatewayMetricsReport } from '../domain/types.js';
import type { GatewayRecord, GatewayRepository } from '../store/repositories/gateways.js';
import type { ServiceContext } from './context.js';
import { toTarget } from './credentials.js';
import { DeploymentService } from './deployments/index.js';
import { nextHealthState } from './health-state.js';

/** Checks the gateway's health and records the result like the monitor does. */
export async function checkNow(context: ServiceContext, gateways: GatewayRepository, current: GatewayRecord): Promise<GatewayHealth> {
  const check = await context.adapter.checkHealth(toTarget(current, context.secrets), {
    timeoutMs: context.health.timeoutMs,
  });
  const decision = nextHealthState(current, check, context.health);
  await gateways.recordHealth(current.uuid, {
    ...decision,
    previousStatus: current.status,
    checkedAt: check.checkedAt,
    healthy: check.healthy,
    responseTimeMs: check.responseTimeMs,
    errorMessage: check.errorMessage,
    errorClass: check.errorClass,
    ...(check.endpoint === undefined ? {} : { endpoint: check.endpoint }),
  }, context.actor);
  return {
    gatewayId: current.uuid,
    status: decision.status,
    lastHeartbeat: check.healthy ? check.checkedAt.toISOString() : current.lastHeartbeat,
    responseTime: check.responseTimeMs === null ? null : `${check.responseTimeMs}ms`,
    responseTimeMs: check.responseTimeMs,
    errorMessage: check.errorMessage,
    errorClass: check.errorClass,
    checkedAt: check.checkedAt.toISOString(),
  };
}

/** Reads the gateway's metrics, with the count of deployments agentgw holds on it. */
export async function readMetrics(context: ServiceContext, current: GatewayRecord): Promise<GatewayMetricsReport> {
  const metrics = await context.adapter.getMetrics(toTarget(current, context.secrets), {
    timeoutMs: context.health.timeoutMs,
  });
  const p99 = metrics.p99LatencyMs ?? null;
  return {
    gatewayId: current.uuid,
    resourceCount: metrics.resourceCount,
    providerCount: metrics.providerCount,
    proxyCount: metrics.proxyCount,
    mcpCount: metrics.mcpCount,
    requestRate: metrics.requestRate,
    errorRate: metrics.errorRate,
    averageLatency: metrics.averageLatencyMs === null ? null : `${Math.round(metrics.averageLatencyMs)}ms`,
    averageLatencyMs: metrics.averageLatencyMs,
    p99Latency: p99 === null ? null : `${Math.round(p99)}ms`,
    p99LatencyMs: p99,
    unavailable: p99 === null && metrics.unavailable.p99Latency === undefined ? { ...metrics.unavailable, p99Latency: 'the gateway adapter does not measure it' } : metrics.unavailable,
    timestamp: metrics.collectedAt.toISOString(),
    deploymentCount: await new DeploymentService(context).countDeployed(current.uuid),
  };
}
