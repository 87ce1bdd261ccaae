/**
 * Migration 010 on both databases: provider keys an older agentgw stored in plain text are
 * sealed (every revision, digests computed again), which needs the key and stops without it,
 * changing nothing; the `Secret` kind is accepted while the kind check and the foreign keys of a
 * rebuilt SQLite table still hold.
 */
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_UUID, migrations } from '../../../migrations/index.js';
import type { SecretField } from '../../../src/domain/manifest-secrets.js';
import { SecretBox } from '../../../src/secrets/secret-box.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest, migrationStatus } from '../../../src/store/migrator.js';
import { GatewayRepository } from '../../../src/store/repositories/gateways.js';
import { createTestDatabase } from '../../support/postgres.js';
import { rejection } from '../../support/rejection.js';

const BEFORE = migrations.findIndex((m) => m.name === '010_resource_secrets');
const OLD_KEY = 'sk-plaintext-revision-1-0123456789';
const NEW_KEY = 'sk-plaintext-revision-2-9876543210';
const box = new SecretBox(Buffer.alloc(32, 9));
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const spec = (key: string) => ({
  displayName: 'OpenAI',
  version: 'v1.0',
  template: 'openai',
  upstream: { url: 'https://api.openai.com/v1', auth: { type: 'api-key', header: 'Authorization', value: key } },
  accessControl: { mode: 'allow_all' },
});

/** A database as the previous version left it: one provider with its key in plain text in two revisions, deployed to a gateway. */
async function oldDatabase(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  const database = createTestDatabase(dialect, 'mig010');
  cleanups.push(() => database.drop());
  const store = await openStore(database.url);
  cleanups.unshift(() => store.close());
  await migrateToLatest(store, migrations.slice(0, BEFORE));
  const { codec } = store;
  const now = codec.time(new Date());
  const gateway = await new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID).insert(
    {
      name: 'gw',
      displayName: 'gw',
      type: 'EGRESS',
      status: 'ACTIVE',
      controlPlaneUrl: 'http://127.0.0.1:9',
      endpoint: null,
      region: null,
      adapterType: 'on-premise',
      adapterConfig: {},
      metadata: {},
      credentials: null,
      lastHeartbeat: null,
      responseTimeMs: null,
    },
    [],
    new Date(),
  );
  const uuid = '11111111-1111-4111-8111-111111111111';
  const db = store.db as unknown as Kysely<any>;
  await db
    .insertInto('resources')
    .values({ uuid, organization_uuid: DEFAULT_ORGANIZATION_UUID, kind: 'LlmProvider', name: 'openai', api_version: 'gateway.api-platform.wso2.com/v1', metadata: codec.json({}), spec: codec.json(spec(NEW_KEY)), revision: 2, spec_digest: 'd'.repeat(64), created_at: now, updated_at: now })
    .execute();
  for (const [revision, key] of [[1, OLD_KEY], [2, NEW_KEY]] as const) {
    await db.insertInto('resource_revisions').values({ resource_uuid: uuid, revision, metadata: codec.json({}), spec: codec.json(spec(key)), spec_digest: `${revision}`.repeat(64), created_at: now }).execute();
  }
  await db
    .insertInto('deployments')
    .values({ uuid: '22222222-2222-4222-8222-222222222222', resource_uuid: uuid, gateway_uuid: gateway.uuid, revision: 2, deployed_revision: 2, status: 'DEPLOYED', operation: 'deploy', created_at: now, updated_at: now })
    .execute();
  return store;
}

async function dump(store: Store): Promise<string> {
  const db = store.db as unknown as Kysely<any>;
  const tables = await Promise.all(['resources', 'resource_revisions', 'deployments'].map((table) => db.selectFrom(table).selectAll().execute()));
  return JSON.stringify(tables);
}

describe.each(['sqlite', 'postgres'] as const)('010_resource_secrets on %s', (dialect) => {
  it('stops without the key when there is plain text to seal, and changes nothing', async () => {
    const store = await oldDatabase(dialect);
    const before = await dump(store);
    const error = await rejection(migrateToLatest(store));
    expect(error.code).toBe('AGW_CONFIG');
    expect(error.message).toMatch(/needs the encryption key: set secrets.key/);
    expect(await dump(store)).toBe(before);
    expect((await migrationStatus(store)).find((m) => m.name === '010_resource_secrets')?.appliedAt).toBeNull();
  });

  it('seals plain-text keys in every revision, and keeps the kind check and the foreign keys', async () => {
    const store = await oldDatabase(dialect);
    // 010 and every migration after it.
    expect(await migrateToLatest(store, undefined, { secrets: () => box })).toEqual(migrations.map((m) => m.name).filter((name) => name >= '010'));
    const text = await dump(store);
    expect(text).not.toContain(OLD_KEY);
    expect(text).not.toContain(NEW_KEY);

    const db = store.db as unknown as Kysely<any>;
    const row = await db.selectFrom('resources').select(['spec', 'secrets', 'spec_digest']).executeTakeFirstOrThrow();
    expect(box.open<SecretField[]>(row.secrets)).toEqual([{ path: ['spec', 'upstream', 'auth', 'value'], value: NEW_KEY }]);
    expect(store.codec.readJson<ReturnType<typeof spec>>(row.spec).upstream.auth.value).toEqual({ set: true });
    expect(row.spec_digest).not.toBe('d'.repeat(64));
    const revisions = await db.selectFrom('resource_revisions').select(['revision', 'spec_digest']).orderBy('revision').execute();
    expect(revisions.map((r) => r.spec_digest)).not.toContain('1'.repeat(64));
    expect(new Set(revisions.map((r) => r.spec_digest)).size).toBe(2);

    const now = store.codec.time(new Date());
    const row2 = (kind: string, name: string) => ({ uuid: crypto.randomUUID(), organization_uuid: DEFAULT_ORGANIZATION_UUID, kind, name, api_version: 'v', metadata: store.codec.json({}), spec: store.codec.json({}), revision: 1, spec_digest: 'x', created_at: now, updated_at: now });
    await db.insertInto('resources').values(row2('Secret', 'openai-key')).execute();
    await expect(db.insertInto('resources').values(row2('Bogus', 'b')).execute()).rejects.toThrow();
    await expect(db.insertInto('resources').values(row2('Secret', 'openai-key')).execute()).rejects.toThrow();
    // The deployment still holds its resource: RESTRICT survived the rebuilt table.
    await expect(db.deleteFrom('resources').where('name', '=', 'openai').execute()).rejects.toThrow();
  });
});
