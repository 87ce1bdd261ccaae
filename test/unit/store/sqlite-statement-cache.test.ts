import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';

import { DEFAULT_ORGANIZATION_UUID } from '../../../migrations/index.js';
import { openStore } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { EnvironmentRepository } from '../../../src/store/repositories/environments.js';
import { gatewayRowOf, RETURNED_COLUMNS } from '../../../src/store/repositories/gateway-rows.js';
import { GatewayRepository } from '../../../src/store/repositories/gateways.js';
import { withStatementCache } from '../../../src/store/sqlite/sqlite-statement-cache.js';

const opened: BetterSqlite3.Database[] = [];

function connection(): BetterSqlite3.Database {
  const db = new BetterSqlite3(':memory:');
  opened.push(db);
  return db;
}

afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
});

describe('withStatementCache', () => {
  it('prepares each SQL text once and hands back the same statement', () => {
    const cached = withStatementCache(connection());
    const first = cached.prepare('select 1 as one');
    expect(cached.prepare('select 1 as one')).toBe(first);
    expect(cached.prepare('select 2 as two')).not.toBe(first);
  });

  it('drops the least recently used statement when full', () => {
    const cached = withStatementCache(connection(), 2);
    const a = cached.prepare('select 1');
    const b = cached.prepare('select 2');
    expect(cached.prepare('select 1')).toBe(a); // now the most recently used
    cached.prepare('select 3'); // evicts "select 2"
    expect(cached.prepare('select 1')).toBe(a);
    expect(cached.prepare('select 2')).not.toBe(b);
  });

  it('serves Kysely reads and writes, with fresh parameters each time, across a schema change', async () => {
    const raw = connection();
    const db = new Kysely<{ items: { id: number; name: string } }>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
    await db.schema.createTable('items').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    for (const [id, name] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) await db.insertInto('items').values({ id, name }).execute();
    const byId = (id: number) => db.selectFrom('items').select('name').where('id', '=', id).executeTakeFirst();
    expect(await byId(2)).toEqual({ name: 'b' });
    expect(await byId(3)).toEqual({ name: 'c' });
    await sql`alter table items add column note text`.execute(db);
    expect(await byId(1)).toEqual({ name: 'a' });
    const updated = await db.updateTable('items').set({ name: 'z' }).where('id', 'in', [1, 3]).executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(2);
    expect(await db.selectFrom('items').select('name').orderBy('id').execute()).toEqual([{ name: 'z' }, { name: 'b' }, { name: 'z' }]);
    await db.destroy();
    expect(raw.open).toBe(false);
  });

  it('gives rows as arrays of values from statements of their own, leaving the same SQL read as objects', () => {
    const cached = withStatementCache(connection());
    const text = 'select ? as one, ? as two';
    expect(cached.values(text, [1, 'b'])).toEqual([[1, 'b']]);
    expect(cached.prepare(text).all([1, 'b'])).toEqual([{ one: 1, two: 'b' }]);
    expect(cached.values(text, [2, 'c'])).toEqual([[2, 'c']]);
  });
});

describe('gateway rows read as values', () => {
  it('are the rows Kysely reads, column for column, environments last', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      await migrateToLatest(store);
      const gateways = new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID);
      const production = (await new EnvironmentRepository(store, DEFAULT_ORGANIZATION_UUID).find('production'))!;
      const base = { type: 'EGRESS', status: 'ACTIVE', endpoint: null, region: 'eu', adapterType: 'on-premise', adapterConfig: { a: 1 }, metadata: { m: 2 }, credentials: null, lastHeartbeat: new Date(), responseTimeMs: 7 } as const;
      await gateways.insert({ ...base, name: 'a', displayName: 'A', controlPlaneUrl: 'http://a:9090' }, [production.uuid], new Date());
      await gateways.insert({ ...base, name: 'b', displayName: 'B', controlPlaneUrl: null }, [], new Date());
      const viaValues = await gateways.list({}, { withEnvironments: true });
      const viaObjects = await new GatewayRepository({ ...store, directReads: null }, DEFAULT_ORGANIZATION_UUID).list({}, { withEnvironments: true });
      expect(viaValues).toEqual(viaObjects);
      expect(viaValues.map((g) => g.name)).toEqual(['a', 'b']);
      expect(Object.keys(gatewayRowOf([]))).toEqual([...RETURNED_COLUMNS, 'environments']);
    } finally {
      await store.close();
    }
  });

  it("carry their times as toISOString's text, whatever form the row holds them in", async () => {
    const store = await openStore('sqlite::memory:');
    try {
      await migrateToLatest(store);
      const gateways = new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID);
      const base = { type: 'EGRESS', status: 'ACTIVE', endpoint: null, region: null, adapterType: 'on-premise', adapterConfig: {}, metadata: {}, credentials: null, responseTimeMs: null, controlPlaneUrl: null } as const;
      await gateways.insert({ ...base, name: 'a', displayName: 'A', lastHeartbeat: new Date('2026-02-27T10:11:12.345Z') }, [], new Date('2026-01-31T23:59:59.999Z'));
      // As SQLite's own datetime() writes them, and a day past the 28th: read through a Date.
      await store.db.updateTable('gateways').set({ created_at: '2026-12-08 00:41:07', updated_at: '2024-02-29T08:00:00.000Z' }).where('name', '=', 'a').execute();
      for (const repository of [gateways, new GatewayRepository({ ...store, directReads: null }, DEFAULT_ORGANIZATION_UUID)]) {
        const [record] = await repository.list({}, { withEnvironments: true });
        expect(record).toMatchObject({
          statusChangedAt: '2026-01-31T23:59:59.999Z',
          lastHeartbeat: '2026-02-27T10:11:12.345Z',
          lastCheckedAt: '2026-02-27T10:11:12.345Z',
          createdAt: new Date('2026-12-08 00:41:07').toISOString(),
          updatedAt: '2024-02-29T08:00:00.000Z',
        });
      }
    } finally {
      await store.close();
    }
  });
});
