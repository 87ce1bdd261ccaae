/**
 * Migration 015 on PostgreSQL: JSON that an older codec stored as a jsonb *string* (the JSON text,
 * encoded twice) becomes the object it spells, readable with `->>`; `updated_at` does not move;
 * and what the codec writes now is an object from the start.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_UUID, migrations } from '../../../migrations/index.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { GatewayRepository } from '../../../src/store/repositories/gateways.js';
import { createTestSchema } from '../../support/postgres.js';

const BEFORE = migrations.findIndex((m) => m.name === '015_json_objects');
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function freshStore(): Promise<Store> {
  const schema = createTestSchema('mig015');
  cleanups.push(() => schema.drop());
  const store = await openStore(schema.url);
  cleanups.unshift(() => store.close());
  return store;
}

const gateway = (name: string) => ({
  name,
  displayName: name,
  type: 'EGRESS' as const,
  status: 'ACTIVE' as const,
  controlPlaneUrl: 'http://127.0.0.1:9',
  endpoint: null,
  region: null,
  adapterType: 'on-premise' as const,
  adapterConfig: { controlPlaneUrl: 'http://127.0.0.1:9', apiBasePath: '/api/management/v1' },
  metadata: { team: 'payments' },
  credentials: null,
  lastHeartbeat: null,
  responseTimeMs: null,
});

const typesOf = (db: Kysely<any>) => sql<{ config: string; metadata: string; team: string | null }>`
  select jsonb_typeof(adapter_config) as config, jsonb_typeof(metadata) as metadata, metadata->>'team' as team from gateways`.execute(db);

describe('015_json_objects on postgres', () => {
  it('the codec writes objects, not strings', async () => {
    const store = await freshStore();
    await migrateToLatest(store);
    await new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID).insert(gateway('now'), [], new Date());
    expect((await typesOf(store.db as unknown as Kysely<any>)).rows).toEqual([{ config: 'object', metadata: 'object', team: 'payments' }]);
  });

  it('turns the strings an older codec stored into objects, keeping updated_at', async () => {
    const store = await freshStore();
    await migrateToLatest(store, migrations.slice(0, BEFORE));
    const db = store.db as unknown as Kysely<any>;
    await new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID).insert(gateway('old'), [], new Date());
    // What the older codec left: the JSON text as a jsonb string.
    await sql`update gateways set adapter_config = to_jsonb(adapter_config::text), metadata = to_jsonb(metadata::text)`.execute(db);
    await db
      .insertInto('resources')
      .values({ uuid: crypto.randomUUID(), organization_uuid: DEFAULT_ORGANIZATION_UUID, kind: 'LlmProvider', name: 'p', api_version: 'v', metadata: sql`to_jsonb('{"labels":{}}'::text)`, spec: sql`to_jsonb('{"displayName":"P"}'::text)`, revision: 1, spec_digest: 'd', created_at: new Date(), updated_at: new Date() })
      .execute();
    expect((await typesOf(db)).rows).toEqual([{ config: 'string', metadata: 'string', team: null }]);
    const { updated_at: before } = await db.selectFrom('gateways').select('updated_at').executeTakeFirstOrThrow();

    expect(await migrateToLatest(store)).toEqual(migrations.slice(BEFORE).map((m) => m.name));
    expect((await typesOf(db)).rows).toEqual([{ config: 'object', metadata: 'object', team: 'payments' }]);
    const resource = await sql<{ spec: unknown; metadata: unknown }>`select spec, metadata from resources`.execute(db);
    expect(resource.rows).toEqual([{ spec: { displayName: 'P' }, metadata: { labels: {} } }]);
    const after = await db.selectFrom('gateways').select('updated_at').executeTakeFirstOrThrow();
    expect(after.updated_at).toEqual(before);
    // The trigger of 011 is back: a configuration change moves updated_at again.
    await sql`update gateways set adapter_config = '{"controlPlaneUrl":"http://127.0.0.1:10"}'::jsonb`.execute(db);
    expect((await db.selectFrom('gateways').select('updated_at').executeTakeFirstOrThrow()).updated_at).not.toEqual(before);
  });
});
