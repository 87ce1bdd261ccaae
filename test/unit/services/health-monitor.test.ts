/**
 * The health monitor against a real store (SQLite and PostgreSQL), a scripted adapter and a
 * manual clock: cadences, thresholds, timeouts, batching, fencing and shutdown, with no sleeps
 * and no wall-clock assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayAdapter, GatewayTarget, HealthStatus } from '../../../src/adapters/adapter.js';
import { ValidationError } from '../../../src/domain/errors.js';
import type { AdapterType, GatewayStatus } from '../../../src/domain/types.js';
import { HealthMonitor, type HealthMonitorOptions } from '../../../src/services/health-monitor.js';
import { NET_BUCKET_MS } from '../../../src/services/health-safety-nets.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { GatewayRepository } from '../../../src/store/repositories/gateways.js';
import { DEFAULT_ORGANIZATION_UUID } from '../../../migrations/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { createTestSchema } from '../../support/postgres.js';

const INTERVAL = 30_000;
const TIMEOUT = 5_000;
const thresholds = { unhealthyThreshold: 3, healthyThreshold: 2 };
/** A settled dead gateway's cadence at these settings: 2 × interval − interval / 3, so it is back within 2 intervals. */
const SLOW = 50_000;
const silent = { warn: () => {}, info: () => {}, debug: () => {} };

type Answer = 'up' | 'down' | 'hang' | 'denied' | 'provisioning' | { endpoint: string };

/** An adapter whose answers a test scripts per gateway; records what it was asked and when. */
class ScriptedAdapter {
  readonly type: AdapterType = 'on-premise';
  answers = new Map<string, Answer[]>();
  fallback: Answer = 'up';
  calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** When set, every answer waits for it. */
  gate: Promise<void> | null = null;
  throwFor = new Set<string>();

  async checkHealth(target: GatewayTarget, options: { signal?: AbortSignal } = {}): Promise<HealthStatus> {
    this.calls.push(target.name);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.throwFor.has(target.name)) throw ValidationError.field('adapterConfig.controlPlaneUrl', 'is required');
      const queue = this.answers.get(target.name);
      const answer = (queue && queue.length > 0 ? queue.shift() : undefined) ?? this.fallback;
      if (answer === 'hang') {
        await new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
        return { healthy: false, responseTimeMs: null, errorClass: 'timeout', errorMessage: 'aborted', checkedAt: new Date() };
      }
      await (this.gate ?? new Promise((resolve) => setImmediate(resolve)));
      if (answer === 'up') return { healthy: true, responseTimeMs: 3, errorClass: null, errorMessage: null, checkedAt: new Date() };
      if (answer === 'down') return { healthy: false, responseTimeMs: null, errorClass: 'refused', errorMessage: 'connection refused', checkedAt: new Date() };
      if (answer === 'denied') return { healthy: false, permanent: true, responseTimeMs: 2, errorClass: 'auth', errorMessage: 'HTTP 401', checkedAt: new Date() };
      if (answer === 'provisioning') return { healthy: false, provisioning: true, responseTimeMs: 2, errorClass: null, errorMessage: null, checkedAt: new Date() };
      return { healthy: true, responseTimeMs: 4, errorClass: null, errorMessage: null, checkedAt: new Date(), endpoint: answer.endpoint };
    } finally {
      this.inFlight -= 1;
    }
  }

  async close(): Promise<void> {}
}

interface Fixture {
  store: Store;
  clock: ManualClock;
  adapter: ScriptedAdapter;
  gateways: GatewayRepository;
  monitor(options?: Partial<HealthMonitorOptions>): HealthMonitor;
  add(name: string, status?: GatewayStatus, adapterType?: AdapterType): Promise<string>;
  row(name: string): Promise<Record<string, unknown>>;
  events(name: string): Promise<Array<{ from_status: string | null; to_status: string; reason: string | null }>>;
  close(): Promise<void>;
}

async function fixture(dialect: 'sqlite' | 'postgres'): Promise<Fixture> {
  const cleanups: Array<() => Promise<void> | void> = [];
  let url: string;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'agentgw-monitor-'));
    url = `sqlite:${join(dir, 'agentgw.sqlite')}`;
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  } else {
    const schema = createTestSchema('monitor');
    url = schema.url;
    cleanups.push(() => schema.drop());
  }
  const store = await openStore(url);
  cleanups.unshift(() => store.close());
  await migrateToLatest(store);
  const clock = new ManualClock();
  const adapter = new ScriptedAdapter();
  const gateways = new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID);
  const deps = {
    store,
    adapter: adapter as unknown as GatewayAdapter,
    secrets: () => {
      throw new Error('no secrets in these tests');
    },
  };
  const find = async (name: string) => {
    const row = await store.db.selectFrom('gateways').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
    return row as unknown as Record<string, unknown>;
  };
  return {
    store,
    clock,
    adapter,
    gateways,
    monitor: (options = {}) =>
      new HealthMonitor({ deps, clock, random: () => 0.5, intervalMs: INTERVAL, timeoutMs: TIMEOUT, concurrency: 10, thresholds, logger: silent, ...options }),
    async add(name, status = 'ACTIVE', adapterType = 'on-premise') {
      const record = await gateways.insert(
        {
          name,
          displayName: name,
          type: 'EGRESS',
          status,
          controlPlaneUrl: `http://127.0.0.1:1/gateways/${name}`,
          endpoint: null,
          region: null,
          adapterType,
          adapterConfig: {},
          metadata: {},
          credentials: null,
          lastHeartbeat: null,
          responseTimeMs: null,
        },
        [],
        clock.now(),
      );
      return record.uuid;
    },
    row: find,
    async events(name) {
      const { uuid } = await find(name);
      return store.db
        .selectFrom('gateway_status_events')
        .select(['from_status', 'to_status', 'reason'])
        .where('gateway_uuid', '=', uuid as string)
        .orderBy('id')
        .execute();
    },
    async close() {
      for (const cleanup of cleanups) await cleanup();
    },
  };
}

const time = (value: unknown) => new Date(value as string | Date).getTime();

describe.each(['sqlite', 'postgres'] as const)('health monitor (%s)', (dialect) => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture(dialect);
  });
  afterEach(async () => {
    await f.close();
  });

  it('checks each due gateway once per round and schedules the next check an interval later, ±10%', async () => {
    for (let i = 0; i < 25; i++) await f.add(`gw-${i}`);
    const jitter = [0, 0.999, 0.25];
    let draw = 0;
    const monitor = f.monitor({ random: () => jitter[draw++ % jitter.length]! });
    const start = f.clock.now().getTime();

    const first = await monitor.runRound();
    expect(first.checked).toBe(25);
    expect(first.healthy).toBe(25);
    expect(new Set(f.adapter.calls).size).toBe(25);
    const second = await monitor.runRound();
    expect(second.checked).toBe(0);

    const rows = await f.store.db.selectFrom('gateways').select(['next_check_at', 'lease_owner', 'last_checked_at', 'last_heartbeat']).execute();
    for (const row of rows) {
      const delay = time(row.next_check_at) - start;
      expect(delay).toBeGreaterThanOrEqual(INTERVAL * 0.9);
      expect(delay).toBeLessThanOrEqual(INTERVAL * 1.1);
      expect(row.lease_owner).toBeNull();
      expect(time(row.last_heartbeat)).toBe(start);
    }
    // The jitter really spreads them: both ends of the window are used.
    const delays = rows.map((r) => time(r.next_check_at) - start);
    expect(Math.min(...delays)).toBe(INTERVAL * 0.9);
    expect(Math.max(...delays)).toBeGreaterThan(INTERVAL * 1.09);

    f.clock.advance(INTERVAL * 1.1);
    expect((await monitor.runRound()).checked).toBe(25);
  });

  it('re-checks a failing gateway at interval/3 and marks it INACTIVE after 3 failed checks, with one event', async () => {
    await f.add('edge');
    f.adapter.fallback = 'down';
    const monitor = f.monitor();
    const statuses: string[] = [];
    for (let check = 1; check <= 3; check++) {
      const report = await monitor.runRound();
      expect(report.checked).toBe(1);
      const row = await f.row('edge');
      statuses.push(row.status as string);
      expect(row.consecutive_failures).toBe(check);
      // Still unsettled after 1 and 2 failures: back in a third of the interval. Settled dead: the slow cadence.
      const expected = check < 3 ? INTERVAL / 3 : SLOW;
      expect(time(row.next_check_at) - f.clock.now().getTime()).toBe(expected);
      f.clock.advance(expected);
    }
    expect(statuses).toEqual(['ACTIVE', 'ACTIVE', 'INACTIVE']);
    const row = await f.row('edge');
    expect(row.error_class).toBe('refused');
    expect(await f.events('edge')).toEqual([
      { from_status: null, to_status: 'ACTIVE', reason: 'registered' },
      { from_status: 'ACTIVE', to_status: 'INACTIVE', reason: '3 consecutive failed checks: connection refused' },
    ]);
  });

  it('brings an INACTIVE gateway back after 2 successes, re-checking it sooner once it answers', async () => {
    await f.add('edge', 'INACTIVE');
    const monitor = f.monitor();
    await monitor.runRound();
    let row = await f.row('edge');
    expect(row.status).toBe('INACTIVE');
    expect(time(row.next_check_at) - f.clock.now().getTime()).toBe(INTERVAL / 3);
    f.clock.advance(INTERVAL / 3);
    await monitor.runRound();
    row = await f.row('edge');
    expect(row.status).toBe('ACTIVE');
    expect(time(row.next_check_at) - f.clock.now().getTime()).toBe(INTERVAL);
    expect((await f.events('edge')).at(-1)).toEqual({ from_status: 'INACTIVE', to_status: 'ACTIVE', reason: '2 consecutive successful checks' });
  });

  it('puts a gateway that refuses the credentials in ERROR at once, on the slow cadence', async () => {
    await f.add('locked');
    f.adapter.fallback = 'denied';
    await f.monitor().runRound();
    const row = await f.row('locked');
    expect(row.status).toBe('ERROR');
    expect(row.error_class).toBe('auth');
    expect(time(row.next_check_at) - f.clock.now().getTime()).toBe(SLOW);
  });

  it.each([1, 2, 3])(
    'brings a gateway that comes back ACTIVE again within healthyThreshold (%i) × interval plus jitter, however long it was down',
    async (healthyThreshold) => {
      await f.add('phoenix');
      // The worst jitter every time: each delay 10% longer.
      const monitor = f.monitor({ random: () => 0.999_999, thresholds: { unhealthyThreshold: 3, healthyThreshold } });
      f.adapter.fallback = 'down';
      const check = async () => {
        const due = time((await f.row('phoenix')).next_check_at);
        f.clock.advance(Math.max(0, due - f.clock.now().getTime()));
        expect((await monitor.runRound()).checked).toBe(1);
      };
      // Down long enough to settle on the slow cadence.
      for (let i = 0; i < 6; i += 1) await check();
      expect((await f.row('phoenix')).status).toBe('INACTIVE');
      // It comes back right after a failed check: the longest it can wait for the next one.
      const back = f.clock.now().getTime();
      f.adapter.fallback = 'up';
      while ((await f.row('phoenix')).status !== 'ACTIVE') await check();
      const recovery = f.clock.now().getTime() - back;
      expect(recovery).toBeLessThanOrEqual(healthyThreshold * INTERVAL * 1.1);
      // Not checked more often than needed to keep that promise.
      expect(recovery).toBeGreaterThan(healthyThreshold * INTERVAL * 1.1 - 1_000);
    },
  );

  it('never moves updated_at or version on a health check, whatever it found; a change of configuration does', async () => {
    await f.add('quiet');
    const config = async () => {
      const row = await f.row('quiet');
      return { updatedAt: time(row.updated_at), version: row.version };
    };
    const registered = await config();
    const monitor = f.monitor();
    // Healthy, failing until INACTIVE, back to ACTIVE: the monitor's batch write on each dialect.
    for (const answer of ['up', 'down', 'down', 'down', 'up', 'up'] as const) {
      f.adapter.fallback = answer;
      f.clock.advance(5 * INTERVAL);
      expect((await monitor.runRound()).checked).toBe(1);
    }
    expect((await f.events('quiet')).map((e) => e.to_status)).toEqual(['ACTIVE', 'INACTIVE', 'ACTIVE']);
    // The write of an on-demand check.
    const uuid = (await f.row('quiet')).uuid as string;
    await f.gateways.recordHealth(uuid, {
      status: 'ACTIVE',
      previousStatus: 'ACTIVE',
      checkedAt: f.clock.now(),
      healthy: true,
      responseTimeMs: 2,
      errorMessage: null,
      errorClass: null,
      consecutiveFailures: 0,
      consecutiveSuccesses: 3,
      transitionReason: null,
    });
    expect(await config()).toEqual(registered);

    // An endpoint that arrives with a check is configuration: it moves updated_at once, when it changes.
    f.adapter.fallback = { endpoint: 'https://quiet.example' };
    f.clock.advance(5 * INTERVAL);
    await monitor.runRound();
    const withEndpoint = await config();
    expect(withEndpoint.updatedAt).toBeGreaterThan(registered.updatedAt);
    f.clock.advance(5 * INTERVAL);
    await monitor.runRound();
    expect(await config()).toEqual(withEndpoint);

    // A writer that forgets updated_at on a change of configuration is covered by the trigger.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await f.store.db.updateTable('gateways').set({ display_name: 'Quiet' }).where('uuid', '=', uuid).execute();
    expect((await config()).updatedAt).toBeGreaterThan(withEndpoint.updatedAt);
  });

  it('follows a PROVISIONING gateway until it settles, storing the endpoint it got', async () => {
    await f.add('cloud-1', 'PROVISIONING');
    f.adapter.answers.set('cloud-1', ['provisioning', 'provisioning', { endpoint: 'https://cloud-1.example' }]);
    const monitor = f.monitor();
    for (let i = 0; i < 3; i++) {
      expect((await monitor.runRound()).checked).toBe(1);
      f.clock.advance(INTERVAL / 3);
    }
    const row = await f.row('cloud-1');
    expect(row.status).toBe('ACTIVE');
    expect(row.endpoint).toBe('https://cloud-1.example');
    expect((await f.events('cloud-1')).at(-1)).toMatchObject({ from_status: 'PROVISIONING', to_status: 'ACTIVE' });
  });

  it('never runs more checks at once than its concurrency', async () => {
    for (let i = 0; i < 40; i++) await f.add(`gw-${i}`);
    const report = await f.monitor({ concurrency: 4 }).runRound();
    expect(report.checked).toBe(40);
    expect(f.adapter.maxInFlight).toBe(4);
  });

  it('stores results in batches, not one write per gateway', async () => {
    for (let i = 0; i < 120; i++) await f.add(`gw-${i}`);
    const report = await f.monitor({ concurrency: 40 }).runRound();
    expect(report.checked).toBe(120);
    expect(report.writeBatches).toBeLessThan(report.checked / 4);
  });

  it('gives up on a hanging check after timeout + grace (+ its safety net’s bucket) on its own clock, while the other slots carry on', async () => {
    for (let i = 0; i < 12; i++) await f.add(`gw-${String(i).padStart(2, '0')}`);
    f.adapter.answers.set('gw-00', ['hang']);
    const round = f.monitor({ concurrency: 2 }).runRound();
    await vi.waitFor(() => expect(f.adapter.calls.length).toBe(12));
    await vi.waitFor(() => expect(f.adapter.inFlight).toBe(1));
    f.clock.advance(NET_BUCKET_MS);
    f.clock.advance(TIMEOUT + 1000);
    const report = await round;
    expect(report.checked).toBe(12);
    const hung = report.checks.find((c) => c.name === 'gw-00')!;
    expect(hung.errorClass).toBe('timeout');
    const others = report.checks.filter((c) => c.name !== 'gw-00');
    expect(Math.max(...others.map((c) => c.finishedAt))).toBeLessThanOrEqual(hung.finishedAt);
    expect((await f.row('gw-00')).consecutive_failures).toBe(1);
  });

  it('records an adapter that throws on a bad stored config as a permanent failure', async () => {
    await f.add('broken');
    f.adapter.throwFor.add('broken');
    await f.monitor().runRound();
    const row = await f.row('broken');
    expect(row.status).toBe('ERROR');
    expect(row.error_message).toMatch(/cannot check the gateway: adapterConfig.controlPlaneUrl: is required/);
  });

  it('leaves gateways of another adapter type alone', async () => {
    await f.add('mine');
    await f.add('theirs', 'ACTIVE', 'cloud');
    const report = await f.monitor().runRound();
    expect(report.checks.map((c) => c.name)).toEqual(['mine']);
    expect((await f.row('theirs')).last_checked_at).toBeNull();
  });

  it('refuses a result whose lease was taken over, and drops one whose status changed meanwhile', async () => {
    await f.add('taken');
    await f.add('changed');
    await f.add('normal');
    let open!: () => void;
    f.adapter.gate = new Promise((resolve) => (open = resolve));
    f.adapter.fallback = 'down';
    const round = f.monitor().runRound();
    await vi.waitFor(() => expect(f.adapter.calls.length).toBe(3));
    // Another daemon took "taken" over after our lease expired; an operator's check moved "changed".
    await f.store.db.updateTable('gateways').set({ lease_owner: 'other-daemon' }).where('name', '=', 'taken').execute();
    await f.store.db.updateTable('gateways').set({ status: 'ERROR' }).where('name', '=', 'changed').execute();
    open();
    const report = await round;
    expect(report).toMatchObject({ checked: 3, lost: 1, superseded: 1 });

    const taken = await f.row('taken');
    expect(taken).toMatchObject({ lease_owner: 'other-daemon', consecutive_failures: 0, last_checked_at: null });
    const changed = await f.row('changed');
    expect(changed).toMatchObject({ status: 'ERROR', lease_owner: null, consecutive_failures: 0 });
    expect(time(changed.next_check_at)).toBeGreaterThan(f.clock.now().getTime());
    expect(await f.row('normal')).toMatchObject({ consecutive_failures: 1, lease_owner: null, error_class: 'refused' });
  });

  it('start() spreads stale gateways over one interval, checks each when due, and stop() releases everything', async () => {
    for (let i = 0; i < 20; i++) await f.add(`gw-${i}`);
    const now = f.clock.now().getTime();
    await f.store.db.updateTable('gateways').set({ next_check_at: f.store.codec.time(new Date(now - 2 * INTERVAL)) }).execute();
    // Results wait (on the clock) for others to share their write; not for a poll's length, so
    // the poll's sleep is the only timer of 1000 ms.
    const monitor = f.monitor({ pollMs: 1000, writeDelayMs: 400 });
    monitor.start();
    // Idle = asleep on its poll timer. advance() fires (and removes) that timer, so the next time
    // one is pending the monitor has made its claim and dispatched what it got (the adapter is
    // called synchronously on dispatch). Patience under load, but no assertion on how long it took.
    const idle = () => vi.waitFor(() => expect(f.clock.sleeping(1000)).toBe(1), { timeout: 20_000, interval: 5 });
    await idle();
    const spread = (await f.store.db.selectFrom('gateways').select('next_check_at').execute()).map((r) => time(r.next_check_at) - now);
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...spread)).toBeLessThan(INTERVAL);
    expect(f.adapter.calls).toEqual([]);

    // Walk through one interval a poll at a time: each gateway is checked once, when it is due.
    for (let t = 0; t < INTERVAL; t += 1000) {
      f.clock.advance(1000);
      await idle();
      expect(f.adapter.calls.length).toBe(spread.filter((d) => d <= t + 1000).length);
    }
    expect(new Set(f.adapter.calls).size).toBe(20);
    await monitor.stop();
    const rows = await f.store.db.selectFrom('gateways').select(['lease_owner', 'last_checked_at']).execute();
    expect(rows.every((r) => r.lease_owner === null && r.last_checked_at !== null)).toBe(true);
  });

  it('start(): results that finish apart wait (on the clock) to share one write, then are stored together', async () => {
    for (let i = 0; i < 3; i++) await f.add(`gw-${i}`);
    // One slot: the three checks finish one after another.
    const monitor = f.monitor({ concurrency: 1, pollMs: 1000, writeDelayMs: 400 });
    monitor.start();
    await vi.waitFor(() => expect(f.adapter.calls.length === 3 && f.adapter.inFlight === 0).toBe(true), { timeout: 20_000 });
    await vi.waitFor(() => expect(f.clock.sleeping(400)).toBe(1), { timeout: 20_000 });
    const stored = async () => (await f.store.db.selectFrom('gateways').select('last_checked_at').execute()).filter((r) => r.last_checked_at !== null).length;
    expect(await stored()).toBe(0);
    f.clock.advance(400);
    await vi.waitFor(async () => expect(await stored()).toBe(3), { timeout: 20_000 });
    await monitor.stop();
  });

  it('stop() waits for the check in flight and gives back the leases it had not started', async () => {
    for (let i = 0; i < 6; i++) await f.add(`gw-${i}`);
    let open!: () => void;
    f.adapter.gate = new Promise((resolve) => (open = resolve));
    const monitor = f.monitor({ concurrency: 1 });
    monitor.start();
    await vi.waitFor(() => expect(f.adapter.calls.length).toBe(1));
    const leased = await f.store.db.selectFrom('gateways').select('name').where('lease_owner', '=', monitor.ownerId).execute();
    expect(leased.length).toBeGreaterThan(1);
    const stopped = monitor.stop();
    open();
    await stopped;
    expect(f.adapter.calls.length).toBe(1);
    const rows = await f.store.db.selectFrom('gateways').select(['name', 'lease_owner', 'last_checked_at']).execute();
    expect(rows.every((r) => r.lease_owner === null)).toBe(true);
    expect(rows.filter((r) => r.last_checked_at !== null).map((r) => r.name)).toEqual([f.adapter.calls[0]]);
  });
});
