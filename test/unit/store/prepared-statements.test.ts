/**
 * PostgreSQL statements run prepared on each connection (store/postgres/postgres-driver.ts). A migration of a
 * newer version may add a column while an older daemon keeps running: its prepared statements
 * must keep working, which they do only because repositories name their columns.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_UUID } from '../../../migrations/index.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { HealthLeaseRepository } from '../../../src/store/repositories/health-leases.js';
import { ResourceRepository } from '../../../src/store/repositories/resources.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';

let schema: TestSchema;
let store: Store;

beforeAll(async () => {
  schema = createTestSchema('prep');
  store = await openStore(schema.url, { poolSize: 1 });
  await migrateToLatest(store);
});

afterAll(async () => {
  await store?.close();
  await schema?.drop();
});

describe('prepared statements under a schema change', () => {
  it('keeps reading resources and leasing gateways after columns are added to their tables', async () => {
    const resources = new ResourceRepository(store, DEFAULT_ORGANIZATION_UUID);
    const leases = new HealthLeaseRepository(store);
    const claim = () =>
      leases.claim({ owner: 'test', now: new Date(), dueBy: new Date(), leaseUntil: new Date(Date.now() + 60_000), limit: 10, adapterType: 'on-premise' });
    const apply = (model: string) => {
      const manifest = { apiVersion: 'gateway.api-platform.wso2.com/v1', kind: 'LlmProvider' as const, metadata: { name: 'openai' }, spec: { model } };
      return resources.apply([manifest], new Date(), (given) => ({ manifest: given, digest: `digest-${model}`, secrets: null }));
    };
    // Prepared on the one connection, inside a transaction (apply) and outside (list, claim)…
    expect((await apply('a'))[0]?.action).toBe('created');
    expect(await resources.list()).toHaveLength(1);
    expect(await claim()).toEqual([]);
    // …then a later version's migration widens both tables. A statement that changed its result
    // inside a transaction cannot be retried there: the transaction is already aborted.
    await sql`alter table resources add column added_later text`.execute(store.db);
    await sql`alter table gateways add column added_later text`.execute(store.db);
    expect((await apply('b'))[0]?.action).toBe('updated');
    expect((await resources.list())[0]?.revision).toBe(2);
    expect(await claim()).toEqual([]);
  });
});
