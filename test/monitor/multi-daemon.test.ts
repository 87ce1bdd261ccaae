/**
 * Three daemons' health monitors (three runtimes, three connection pools, three adapters) on one
 * PostgreSQL schema, checking 300 simulated gateway-controllers over loopback HTTP. Time is a
 * manual clock shared by the monitors and the simulator, so every claim below is read from the
 * simulator's recorded check counts and timestamps, never from how long something took.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayAdapter } from '../../src/adapters/adapter.js';
import { openRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { HealthMonitor, type HealthMonitorOptions, type RoundReport } from '../../src/services/health-monitor.js';
import { NET_BUCKET_MS } from '../../src/services/health-safety-nets.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { testConfig } from '../support/harness.js';
import { ManualClock } from '../support/manual-clock.js';
import { seedGateways } from '../support/fleet.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

const GATEWAYS = 300;
const INTERVAL = 30_000;
const TTL = 10_000;
/** A round step: every gateway is due again whatever its ±10% jitter drew. */
const ROUND = INTERVAL * 1.1 + 1;
const silent = { warn: () => {}, info: () => {}, debug: () => {} };
const names = Array.from({ length: GATEWAYS }, (_, i) => `gw-${String(i).padStart(3, '0')}`);

interface Cluster {
  clock: ManualClock;
  sim: GatewaySimulator;
  schema: TestSchema;
  runtimes: Runtime[];
  monitors: HealthMonitor[];
  monitor(runtime: Runtime, options?: Partial<HealthMonitorOptions>): HealthMonitor;
  /** Every monitor given runs one round at the same instant; the shares are returned. */
  round(monitors?: HealthMonitor[]): Promise<RoundReport[]>;
  checks(): number[];
  close(): Promise<void>;
}

async function cluster(options: { timeoutMs?: number } = {}): Promise<Cluster> {
  const clock = new ManualClock();
  const sim = await startGatewaySimulator({ gateways: names.map((name) => ({ name })), clock: clock.millis });
  const schema = createTestSchema('multidaemon');
  const config = await testConfig(schema.url);
  // The first creates the schema (CREATE SCHEMA IF NOT EXISTS is not safe against itself), then
  // the other two start together, each migrating under the advisory lock.
  const runtimes: Runtime[] = [await openRuntime({ config, logger: silent, migrate: true })];
  runtimes.push(...(await Promise.all([1, 2].map(() => openRuntime({ config, logger: silent, migrate: true })))));
  await seedGateways(
    runtimes[0]!.store,
    names.map((name) => ({ name, controlPlaneUrl: sim.urlOf(name), healthUrl: `${sim.adminUrlOf(name)}/api/admin/v1/health` })),
    clock.now(),
  );
  const monitor = (runtime: Runtime, extra: Partial<HealthMonitorOptions> = {}) =>
    new HealthMonitor({
      deps: runtime.deps,
      clock,
      intervalMs: INTERVAL,
      timeoutMs: options.timeoutMs ?? 5000,
      concurrency: 20,
      leaseTtlMs: TTL,
      thresholds: { unhealthyThreshold: 3, healthyThreshold: 2 },
      logger: silent,
      ...extra,
    });
  const monitors = runtimes.map((runtime, i) => monitor(runtime, { ownerId: `daemon-${'abc'[i]}` }));
  return {
    clock,
    sim,
    schema,
    runtimes,
    monitors,
    monitor,
    round: (selected = monitors) => Promise.all(selected.map((m) => m.runRound())),
    checks: () => names.map((name) => sim.stats(name).healthChecks),
    async close() {
      for (const runtime of runtimes) await runtime.close();
      await sim.close();
      await schema.drop();
    },
  };
}

const sum = (reports: RoundReport[]) => reports.reduce((n, r) => n + r.checked, 0);

async function statusEvents(runtime: Runtime) {
  return runtime.store.db.selectFrom('gateway_status_events as e').innerJoin('gateways as g', 'g.uuid', 'e.gateway_uuid').select(['g.name', 'e.from_status', 'e.to_status']).orderBy('e.id').execute();
}

// Real HTTP and PostgreSQL on a shared two-core machine: generous time limits, no timing claims.
describe('three daemons on one PostgreSQL', { timeout: 120_000 }, () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await cluster();
  });
  afterEach(async () => {
    await c.close();
  });

  it('check every gateway exactly once per round between them, without status flip-flops', async () => {
    for (let round = 1; round <= 3; round++) {
      c.clock.advance(ROUND);
      const reports = await c.round();
      expect(sum(reports)).toBe(GATEWAYS);
      // The work is shared: every daemon took part.
      for (const report of reports) expect(report.checked).toBeGreaterThan(0);
      expect(reports.map((r) => ({ lost: r.lost, superseded: r.superseded, failed: r.failed, failures: r.checks.filter((check) => !check.healthy).map((check) => check.errorClass) }))).toEqual(reports.map(() => ({ lost: 0, superseded: 0, failed: 0, failures: [] })));
      expect(c.checks()).toEqual(names.map(() => round));
    }
    const rows = await c.runtimes[0]!.store.db.selectFrom('gateways').select(['status', 'lease_owner', 'consecutive_successes']).execute();
    expect(rows.every((r) => r.status === 'ACTIVE' && r.lease_owner === null)).toBe(true);
    // Only the registrations: nothing flipped.
    expect((await statusEvents(c.runtimes[0]!)).every((e) => e.from_status === null)).toBe(true);
  });

  it("take over a killed daemon's gateways once its leases expire, within interval + TTL", async () => {
    c.clock.advance(ROUND);
    await c.round();
    const [a, b] = c.monitors as [HealthMonitor, HealthMonitor];

    // Daemon C dies mid-round: it has leased its share and its checks never finish. Its clock
    // stops with it, so not even its own safety net fires.
    c.clock.advance(ROUND);
    const roundStartedAt = c.clock.now().getTime();
    const hangForever = { ...c.runtimes[2]!.adapter, type: 'on-premise', checkHealth: () => new Promise<never>(() => {}) } as GatewayAdapter;
    const killed = new HealthMonitor({
      deps: { ...c.runtimes[2]!.deps, adapter: hangForever },
      ownerId: 'daemon-c-killed',
      clock: new ManualClock(c.clock.now()),
      intervalMs: INTERVAL,
      timeoutMs: 2000,
      concurrency: 20,
      leaseTtlMs: TTL,
      thresholds: { unhealthyThreshold: 3, healthyThreshold: 2 },
      logger: silent,
    });
    void killed.runRound().catch(() => {});
    const leasedByKilled = async () =>
      (await c.runtimes[0]!.store.db.selectFrom('gateways').select('name').where('lease_owner', '=', 'daemon-c-killed').execute()).map((r) => r.name);
    await vi.waitFor(async () => expect(await leasedByKilled()).toHaveLength(60));
    const orphans = await leasedByKilled();

    const survivors = await c.round([a, b]);
    expect(sum(survivors)).toBe(GATEWAYS - orphans.length);

    // Just before the leases expire nobody may touch them; just after, the survivors take them.
    c.clock.advance(TTL - 1);
    expect(sum(await c.round([a, b]))).toBe(0);
    c.clock.advance(2);
    const takeover = await c.round([a, b]);
    expect(sum(takeover)).toBe(orphans.length);
    expect(new Set(takeover.flatMap((r) => r.checks.map((check) => check.name)))).toEqual(new Set(orphans));

    expect(c.checks()).toEqual(names.map(() => 2));
    for (const name of orphans) {
      const [previous, latest] = c.sim.stats(name).healthCheckTimestamps.slice(-2) as [number, number];
      expect(latest - previous).toBeLessThanOrEqual(INTERVAL * 1.1 + TTL + 2);
      expect(latest - roundStartedAt).toBe(TTL + 1);
    }

    // And the next rounds go on as before, between the survivors.
    c.clock.advance(ROUND);
    expect(sum(await c.round([a, b]))).toBe(GATEWAYS);
    expect(c.checks()).toEqual(names.map(() => 3));
    expect((await statusEvents(c.runtimes[0]!)).every((e) => e.from_status === null)).toBe(true);
  });

  it('mark a gateway that goes down INACTIVE after exactly 3 failed checks, and bring it back after 2 good ones', async () => {
    c.clock.advance(ROUND);
    await c.round();
    c.sim.setFaults('gw-007', { down: true });
    const status = async () =>
      (await c.runtimes[1]!.store.db.selectFrom('gateways').select('status').where('name', '=', 'gw-007').executeTakeFirstOrThrow()).status;

    const seen: string[] = [];
    const before = c.sim.stats('gw-007').healthChecks;
    c.clock.advance(ROUND);
    expect(sum(await c.round())).toBe(GATEWAYS);
    seen.push(await status());
    // While it is suspect it is re-checked every interval/3 (±10%), alone.
    for (let i = 0; i < 2; i++) {
      c.clock.advance((INTERVAL / 3) * 1.1 + 1);
      const reports = await c.round();
      expect(reports.flatMap((r) => r.checks.map((check) => check.name))).toEqual(['gw-007']);
      seen.push(await status());
    }
    expect(seen).toEqual(['ACTIVE', 'ACTIVE', 'INACTIVE']);
    expect(c.sim.stats('gw-007').healthChecks - before).toBe(3);

    c.sim.setFaults('gw-007', { down: undefined });
    // A dead gateway waits 2 × interval − interval / 3 (50 s, ±10%), so that once back it is
    // ACTIVE within 2 intervals: the next round checks everything but gw-007, the one after it too.
    c.clock.advance(ROUND);
    const checked = (await c.round()).flatMap((r) => r.checks.map((check) => check.name));
    expect(checked).toHaveLength(GATEWAYS - 1);
    expect(checked).not.toContain('gw-007');
    c.clock.advance(ROUND);
    await c.round();
    expect(await status()).toBe('INACTIVE');
    c.clock.advance((INTERVAL / 3) * 1.1 + 1);
    await c.round();
    expect(await status()).toBe('ACTIVE');

    const events = (await statusEvents(c.runtimes[2]!)).filter((e) => e.from_status !== null);
    expect(events).toEqual([
      { name: 'gw-007', from_status: 'ACTIVE', to_status: 'INACTIVE' },
      { name: 'gw-007', from_status: 'INACTIVE', to_status: 'ACTIVE' },
    ]);
  });
});

describe('a hanging gateway', { timeout: 120_000 }, () => {
  let c: Cluster;
  beforeEach(async () => {
    // The adapter would wait a minute; the monitors' own safety net, on the manual clock, ends the
    // hung check when the test says so. No claim below depends on how fast the machine is.
    c = await cluster({ timeoutMs: 60_000 });
  });
  afterEach(async () => {
    await c.close();
  });

  it('does not delay the others: all of them are checked and stored while it is still hanging', async () => {
    c.sim.setFaults('gw-000', { hang: true });
    c.clock.advance(ROUND);
    const round = c.round();
    const db = c.runtimes[0]!.store.db;
    await vi.waitFor(
      async () => {
        const stored = await db.selectFrom('gateways').select('name').where('last_checked_at', 'is not', null).execute();
        expect(stored).toHaveLength(GATEWAYS - 1);
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(c.checks()).toEqual(names.map(() => 1));
    const hungRow = await db.selectFrom('gateways').select(['last_checked_at', 'lease_owner']).where('name', '=', 'gw-000').executeTakeFirstOrThrow();
    expect(hungRow.last_checked_at).toBeNull();
    expect(hungRow.lease_owner).not.toBeNull();

    // Its timeout comes (with the grace, and its safety net's bucket); the round ends with one failure.
    c.clock.advance(NET_BUCKET_MS);
    c.clock.advance(60_000 + 1000);
    const reports = await round;
    expect(sum(reports)).toBe(GATEWAYS);
    const checks = reports.flatMap((r) => r.checks);
    const hung = checks.find((check) => check.name === 'gw-000')!;
    expect(hung).toMatchObject({ healthy: false, errorClass: 'timeout' });
    expect(Math.max(...checks.filter((check) => check.name !== 'gw-000').map((check) => check.finishedAt))).toBeLessThan(hung.finishedAt);
    expect(checks.filter((check) => !check.healthy).map((check) => check.name)).toEqual(['gw-000']);
    expect(await db.selectFrom('gateways').select(['consecutive_failures', 'error_class', 'lease_owner']).where('name', '=', 'gw-000').executeTakeFirstOrThrow()).toEqual({
      consecutive_failures: 1,
      error_class: 'timeout',
      lease_owner: null,
    });
  });
});
