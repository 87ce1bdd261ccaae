/**
 * The monitor's batched write (HealthLeaseRepository.complete) on both databases: what a check
 * said is stored exactly as said, whatever characters it holds (on PostgreSQL the batch travels
 * as one JSON parameter, so quotes, backslashes, braces, commas and newlines must survive it, and
 * a lone surrogate or a NUL must not fail the batch), a status change writes its event rows in the same write, a result whose status
 * moved on is dropped but still reschedules, and one whose lease is gone touches nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { HealthLeaseRepository, type CheckResult } from '../../../src/store/repositories/health-leases.js';
import { seedGateways } from '../../support/fleet.js';
import { createTestDatabase } from '../../support/postgres.js';

const AWKWARD = 'he said "down", at C:\\gw\\{x} (a,b)\nsecond line: NULL null ∅ \'quoted\' }{';
const OWNER = 'host:1:test';

describe.each(['sqlite', 'postgres'] as const)('health leases: storing a batch of results (%s)', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void> | void;
  let uuids: Map<string, string>;
  const now = new Date('2026-12-01T10:00:00.000Z');

  beforeEach(async () => {
    const database = createTestDatabase(dialect, 'leases');
    store = await openStore(database.url);
    cleanup = () => database.drop();
    await migrateToLatest(store);
    uuids = await seedGateways(
      store,
      ['down', 'up', 'moved', 'unleased'].map((name) => ({ name, controlPlaneUrl: `http://127.0.0.1:1/${name}` })),
      now,
    );
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  const row = (name: string) => store.db.selectFrom('gateways').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
  const result = (name: string, fields: Partial<CheckResult>): CheckResult => ({
    uuid: uuids.get(name)!,
    previousStatus: 'ACTIVE',
    status: 'ACTIVE',
    checkedAt: new Date(now.getTime() + 1234),
    healthy: true,
    responseTimeMs: 7,
    errorMessage: null,
    errorClass: null,
    consecutiveFailures: 0,
    consecutiveSuccesses: 2,
    transitionReason: null,
    nextCheckAt: new Date(now.getTime() + 30_001),
    ...fields,
  });

  it('stores each result as said, with its events, drops a superseded one and leaves an unleased one alone', async () => {
    const leases = new HealthLeaseRepository(store);
    const claimed = await leases.claim({ owner: OWNER, now, dueBy: now, leaseUntil: new Date(now.getTime() + 25_000), limit: 3, adapterType: 'on-premise' });
    expect(claimed.map((g) => g.name).sort()).toEqual(['down', 'moved', 'up']);
    // Another writer moved "moved" on meanwhile.
    await store.db.updateTable('gateways').set({ status: 'INACTIVE' }).where('name', '=', 'moved').execute();
    const untouched = await row('unleased');

    const report = await leases.complete(OWNER, [
      result('down', {
        status: 'INACTIVE',
        healthy: false,
        responseTimeMs: null,
        errorMessage: AWKWARD,
        errorClass: 'http_5xx',
        consecutiveFailures: 3,
        consecutiveSuccesses: 0,
        transitionReason: `3 consecutive failed checks: ${AWKWARD}`,
      }),
      result('up', { endpoint: 'https://up.example/"a",{b}\\c' }),
      result('moved', { nextCheckAt: new Date(now.getTime() + 10_000) }),
      result('unleased', {}),
    ]);

    // In no particular order: a statement's RETURNING keeps none.
    expect({ ...report, applied: [...report.applied].sort() }).toEqual({ applied: [uuids.get('down'), uuids.get('up')].sort(), superseded: [uuids.get('moved')], lost: [uuids.get('unleased')] });
    const down = await row('down');
    expect(down).toMatchObject({ status: 'INACTIVE', error_message: AWKWARD, error_class: 'http_5xx', response_time_ms: null, consecutive_failures: 3, lease_owner: null, lease_until: null });
    expect(store.codec.readTime(down.status_changed_at).getTime()).toBe(now.getTime() + 1234);
    expect(store.codec.readTime(down.next_check_at).getTime()).toBe(now.getTime() + 30_001);
    const up = await row('up');
    expect(up).toMatchObject({ status: 'ACTIVE', endpoint: 'https://up.example/"a",{b}\\c', response_time_ms: 7, error_message: null, lease_owner: null });
    expect(store.codec.readTime(up.last_heartbeat).getTime()).toBe(now.getTime() + 1234);
    const moved = await row('moved');
    expect(moved).toMatchObject({ status: 'INACTIVE', lease_owner: null, last_checked_at: null });
    expect(store.codec.readTime(moved.next_check_at).getTime()).toBe(now.getTime() + 10_000);
    expect(await row('unleased')).toEqual(untouched);

    const history = await store.db.selectFrom('gateway_status_events').select(['gateway_uuid', 'from_status', 'to_status', 'reason', 'error_class']).where('from_status', 'is not', null).execute();
    expect(history).toEqual([{ gateway_uuid: uuids.get('down'), from_status: 'ACTIVE', to_status: 'INACTIVE', reason: `3 consecutive failed checks: ${AWKWARD}`, error_class: 'http_5xx' }]);
    const events = await store.db.selectFrom('events').select(['type', 'subject_name', 'data']).where('type', '=', 'gateway.status_changed').execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.subject_name).toBe('down');
    expect(store.codec.readJson(events[0]!.data)).toMatchObject({ from: 'ACTIVE', to: 'INACTIVE', errorClass: 'http_5xx', reason: `3 consecutive failed checks: ${AWKWARD}` });
  });

  // SQLite's driver stores one as three U+FFFD; it never failed a batch there.
  it.runIf(dialect === 'postgres')('stores a message holding a lone UTF-16 surrogate as U+FFFD, with the rest of its batch', async () => {
    const leases = new HealthLeaseRepository(store);
    await leases.claim({ owner: OWNER, now, dueBy: now, leaseUntil: new Date(now.getTime() + 25_000), limit: 2, adapterType: 'on-premise' });
    const report = await leases.complete(OWNER, [
      result('down', { healthy: false, responseTimeMs: null, errorMessage: 'bad \ud800 answer', errorClass: 'network', consecutiveFailures: 1, consecutiveSuccesses: 0 }),
      result('up', {}),
    ]);
    expect(report.applied).toHaveLength(2);
    expect((await row('down')).error_message).toBe('bad \ufffd answer');
  });

  // PostgreSQL text cannot hold U+0000 at all; a custom adapter may relay whatever a gateway said.
  it.runIf(dialect === 'postgres')('stores a message holding a NUL as U+FFFD, with the rest of its batch', async () => {
    const leases = new HealthLeaseRepository(store);
    await leases.claim({ owner: OWNER, now, dueBy: now, leaseUntil: new Date(now.getTime() + 25_000), limit: 2, adapterType: 'on-premise' });
    const report = await leases.complete(OWNER, [
      result('down', { healthy: false, responseTimeMs: null, errorMessage: 'bad \u0000 answer', errorClass: 'network', consecutiveFailures: 1, consecutiveSuccesses: 0 }),
      result('up', {}),
    ]);
    expect(report.applied).toHaveLength(2);
    expect((await row('down')).error_message).toBe('bad \ufffd answer');
  });
});

