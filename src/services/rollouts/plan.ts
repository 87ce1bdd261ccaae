/**
 * The pure half of a rollout: steps (`1,25%,100%`) into waves of gateways taken in name order,
 * and gates (`health=ACTIVE`, `errorRate<1%`, `averageLatency<250ms`, `p99Latency<800ms`) into checks.
 */
import { ValidationError } from '../../domain/errors.js';

export const MAX_PAUSE_MS = 24 * 3_600_000;

export type Gate =
  | { text: string; metric: 'health'; expected: 'ACTIVE' }
  | { text: string; metric: 'errorRate'; limit: number; inclusive: boolean }
  | { text: string; metric: LatencyMetric; limit: number; inclusive: boolean };

/** Latency gates, each compared in milliseconds: the window's mean, or its 99th percentile. */
export type LatencyMetric = 'averageLatency' | 'p99Latency';
const LATENCY_METRICS: readonly string[] = ['averageLatency', 'p99Latency'] satisfies LatencyMetric[];

/** Each wave's gateways, cumulative steps made into the new gateways each adds; empty waves dropped. */
export function planWaves<T extends { name: string }>(steps: readonly string[], gateways: readonly T[]): T[][] {
  if (!Array.isArray(steps) || steps.length === 0) throw ValidationError.field('steps', 'give at least one step, e.g. 1,25%,100%');
  const sorted = [...gateways].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const total = sorted.length;
  const waves: T[][] = [];
  let reached = 0;
  steps.forEach((step, index) => {
    const size = stepSize(step, total, index);
    if (size < reached) throw ValidationError.field(`steps[${index}]`, `"${step}" is fewer gateways than the step before (${reached}): steps count up`);
    if (size > reached) waves.push(sorted.slice(reached, size));
    reached = size;
  });
  if (reached < total) throw ValidationError.field('steps', `the last step reaches ${reached} of ${total} gateway(s): end with 100%`);
  return waves;
}

function stepSize(step: unknown, total: number, index: number): number {
  const text = typeof step === 'string' ? step.trim() : typeof step === 'number' ? String(step) : '';
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const share = Number(percent[1]);
    if (share <= 0 || share > 100) throw ValidationError.field(`steps[${index}]`, `"${text}": a share is more than 0% and at most 100%`);
    return Math.min(total, Math.ceil((share / 100) * total));
  }
  if (/^\d+$/.test(text) && Number(text) >= 1) return Math.min(total, Number(text));
  throw ValidationError.field(`steps[${index}]`, `"${String(step)}" is neither a gateway count (1) nor a share (25%)`);
}

export function parseGate(text: unknown, index = 0): Gate {
  const path = `gates[${index}]`;
  if (typeof text !== 'string') throw ValidationError.field(path, 'must be a string such as errorRate<1%');
  const compact = text.replace(/\s+/g, '');
  const health = /^health=(\w+)$/i.exec(compact);
  if (health) {
    if (health[1]!.toUpperCase() !== 'ACTIVE') throw ValidationError.field(path, `"${text}": health gates check for ACTIVE (health=ACTIVE)`);
    return { text: compact, metric: 'health', expected: 'ACTIVE' };
  }
  const limit = /^(\w+)(<=?)(\d+(?:\.\d+)?)(%|ms|s)?$/.exec(compact);
  if (limit) {
    const [, metric, operator, value, unit] = limit;
    const inclusive = operator === '<=';
    if (metric === 'errorRate') {
      if (unit !== '%') throw ValidationError.field(path, `"${text}": give errorRate as a percentage, e.g. errorRate<1%`);
      return { text: compact, metric: 'errorRate', limit: Number(value), inclusive };
    }
    if (LATENCY_METRICS.includes(metric!)) {
      if (unit !== 'ms' && unit !== 's') throw ValidationError.field(path, `"${text}": give a duration, e.g. ${metric}<250ms`);
      return { text: compact, metric: metric as LatencyMetric, limit: Number(value) * (unit === 's' ? 1000 : 1), inclusive };
    }
  }
  throw ValidationError.field(path, `"${text}" is not a gate: use health=ACTIVE, errorRate<N%, averageLatency<Nms or p99Latency<Nms`);
}

/** `2m`, `30s`, `500ms`, `0`: milliseconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return null;
  const factors: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  // A bare number is seconds (`--pause 30`), as sleep(1) reads it.
  return Math.round(Number(match[1]) * (factors[match[2] ?? 's'] ?? 1000));
}
