/** Steps into waves, gates and durations parsed, and the manifest diff history shows. */
import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../../src/domain/line-diff.js';
import { parseDuration, parseGate, planWaves } from '../../../src/services/rollouts/plan.js';

const gateways = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `gw-${String(n - i).padStart(2, '0')}` }));
const names = (waves: Array<Array<{ name: string }>>) => waves.map((wave) => wave.map((g) => g.name));

describe('planWaves', () => {
  it('takes the gateways in name order, each step cumulative, shares rounded up', () => {
    expect(names(planWaves(['1', '25%', '100%'], gateways(10)))).toEqual([['gw-01'], ['gw-02', 'gw-03'], ['gw-04', 'gw-05', 'gw-06', 'gw-07', 'gw-08', 'gw-09', 'gw-10']]);
    expect(names(planWaves(['1', '100%'], gateways(3)))).toEqual([['gw-01'], ['gw-02', 'gw-03']]);
  });

  it('drops waves that add no gateway, and clamps counts to the fleet', () => {
    expect(names(planWaves(['1', '10%', '5', '100%'], gateways(2)))).toEqual([['gw-01'], ['gw-02']]);
    expect(planWaves(['100%'], [])).toEqual([]);
  });

  it('refuses steps that go down, do not reach every gateway, or are not counts or shares', () => {
    expect(() => planWaves(['50%', '25%', '100%'], gateways(8))).toThrow(/steps\[1\].*count up/);
    expect(() => planWaves(['1', '2'], gateways(5))).toThrow(/reaches 2 of 5.*100%/);
    expect(() => planWaves(['0', '100%'], gateways(2))).toThrow(/steps\[0\]/);
    expect(() => planWaves(['150%'], gateways(2))).toThrow(/at most 100%/);
    expect(() => planWaves(['one'], gateways(2))).toThrow(/neither a gateway count/);
    expect(() => planWaves([], gateways(2))).toThrow(/at least one step/);
  });
});

describe('parseGate', () => {
  it('reads health, errorRate, averageLatency and p99Latency gates', () => {
    expect(parseGate('health=ACTIVE')).toEqual({ text: 'health=ACTIVE', metric: 'health', expected: 'ACTIVE' });
    expect(parseGate('errorRate < 1%')).toEqual({ text: 'errorRate<1%', metric: 'errorRate', limit: 1, inclusive: false });
    expect(parseGate('errorRate<=0.5%')).toMatchObject({ limit: 0.5, inclusive: true });
    expect(parseGate('averageLatency<1.5s')).toMatchObject({ metric: 'averageLatency', limit: 1500 });
    expect(parseGate('p99Latency <= 800ms')).toEqual({ text: 'p99Latency<=800ms', metric: 'p99Latency', limit: 800, inclusive: true });
  });

  it('refuses what it cannot measure, saying what to write instead', () => {
    expect(() => parseGate('errorRate<1', 2)).toThrow(/gates\[2\].*percentage/);
    expect(() => parseGate('p99Latency<200')).toThrow(/give a duration, e\.g\. p99Latency<250ms/);
    expect(() => parseGate('p95Latency<200ms')).toThrow(/not a gate: .*p99Latency<Nms/);
    expect(() => parseGate('health=INACTIVE')).toThrow(/health=ACTIVE/);
    expect(() => parseGate('cpu<50%')).toThrow(/not a gate/);
    expect(() => parseGate(7)).toThrow(/must be a string/);
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare seconds; refuses the rest', () => {
    expect([parseDuration('0'), parseDuration('500ms'), parseDuration('30'), parseDuration('2m'), parseDuration('1h')]).toEqual([0, 500, 30_000, 120_000, 3_600_000]);
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('-1s')).toBeNull();
  });
});

describe('lineDiff', () => {
  it('marks removed and added lines with two lines of context, eliding the rest', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n');
    const after = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h'].join('\n');
    expect(lineDiff(before, after)).toEqual(['  b', '  c', '- d', '+ D', '  e', '  f']);
    expect(lineDiff('', 'x\ny\n')).toEqual(['+ x', '+ y']);
    expect(lineDiff('same\n', 'same\n')).toEqual([]);
  });
});
