/**
 * Gates evaluated on one wave's gateways: health from a live check; errorRate, averageLatency and
 * p99Latency from the gateway's Prometheus metrics. Metric gates take a first sample when the wave is
 * deployed (`prime`), so the rate measured after the pause covers the pause. A gateway whose
 * metrics cannot be read fails a metric gate, saying why: a gate never passes on no data.
 */
import type { GateResult } from '../../domain/rollouts.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import { forEachLimit } from '../pool.js';
import type { DeploymentScope } from '../deployments/scope.js';
import type { Gate } from './plan.js';

const GATE_CONCURRENCY = 32;

/** Takes the first metrics sample of each gateway, when a gate needs metrics. */
export async function prime(scope: DeploymentScope, gates: readonly Gate[], gateways: readonly GatewayRecord[]): Promise<void> {
  if (!gates.some((gate) => gate.metric !== 'health')) return;
  await forEachLimit(gateways, GATE_CONCURRENCY, async (gateway) => {
    await scope.context.adapter.getMetrics(scope.target(gateway)).catch(() => undefined);
  });
}

export async function evaluateGates(scope: DeploymentScope, gates: readonly Gate[], gateways: readonly GatewayRecord[]): Promise<GateResult[]> {
  const results: GateResult[] = [];
  await forEachLimit(gateways, GATE_CONCURRENCY, async (gateway) => {
    results.push(...(await gatesOf(scope, gates, gateway)));
  });
  return results.sort((a, b) => a.gateway.localeCompare(b.gateway) || a.gate.localeCompare(b.gate));
}

async function gatesOf(scope: DeploymentScope, gates: readonly Gate[], gateway: GatewayRecord): Promise<GateResult[]> {
  const result = (gate: Gate, passed: boolean, measured: string | null, detail: string | null): GateResult => ({ gate: gate.text, gateway: gateway.name, passed, measured, detail });
  const { adapter } = scope.context;
  let metrics: Awaited<ReturnType<typeof adapter.getMetrics>> | Error | undefined;
  const readMetrics = async () => (metrics ??= await adapter.getMetrics(scope.target(gateway)).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
  const results: GateResult[] = [];
  for (const gate of gates) {
    if (gate.metric === 'health') {
      const health = await adapter.checkHealth(scope.target(gateway)).catch((error: unknown) => error as Error);
      if (health instanceof Error) results.push(result(gate, false, 'ERROR', health.message));
      else results.push(result(gate, health.healthy, health.healthy ? 'ACTIVE' : health.permanent ? 'ERROR' : 'INACTIVE', health.errorMessage));
      continue;
    }
    const read = await readMetrics();
    if (read instanceof Error) {
      results.push(result(gate, false, null, `cannot read the gateway's metrics: ${read.message}`));
      continue;
    }
    const [value, unit] = gate.metric === 'errorRate' ? [read.errorRate, '%'] : [gate.metric === 'p99Latency' ? (read.p99LatencyMs ?? null) : read.averageLatencyMs, 'ms'];
    const field = gate.metric;
    if (value === null) {
      results.push(result(gate, false, null, `no ${field} measured: ${read.unavailable?.[field] ?? 'the gateway does not expose it'}`));
      continue;
    }
    const passed = gate.inclusive ? value <= gate.limit : value < gate.limit;
    results.push(result(gate, passed, `${value}${unit}`, null));
  }
  return results;
}
