/**
 * The PostgreSQL driver when the network drops a connection without a reset (a black hole,
 * through the reliability battery's fault proxy): a query outside a transaction fails as a lost
 * connection instead of waiting forever, the next one gets a fresh connection, and closing the
 * store ends however postgres.js ends its silent connections.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../../src/store/connection-errors.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { FaultProxy } from '../../reliability/fault-proxy.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';

let schema: TestSchema;
let proxy: FaultProxy;

beforeAll(async () => {
  schema = createTestSchema('drv');
  const direct = new URL(schema.url);
  proxy = await FaultProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
});

afterAll(async () => {
  await proxy?.close();
  await schema?.drop();
});

function throughProxy(): string {
  const url = new URL(schema.url);
  url.port = String(proxy.port);
  return url.toString();
}

const now = (store: Store) => sql<{ one: number }>`select 1 as one`.execute(store.db).then((r) => r.rows[0]!.one);

describe('a connection the network drops silently', () => {
  it('fails an unanswered query as a lost database, then serves again from a fresh connection', async () => {
    const store = await openStore(throughProxy(), { poolSize: 1, timeoutMs: 300, drainSeconds: 1 });
    try {
      expect(await now(store)).toBe(1);
      // A client is replaced at most once a second (a database that is down fails every query).
      await new Promise((resolve) => setTimeout(resolve, 1100));
      proxy.set({ kind: 'blackhole' });
      const error = await now(store).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isDatabaseUnavailable(error), String(error)).toBe(true);
      expect(String(error)).toContain('did not answer a query within 0.3 s');
      proxy.set({ kind: 'pass' });
      // After a loss the database is left alone for a pause (50 ms at first) before it is tried again.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await now(store)).toBe(1);
    } finally {
      proxy.set({ kind: 'pass' });
      await store.close();
    }
  });

  it('closes while a query is unanswered', async () => {
    const store = await openStore(throughProxy(), { poolSize: 1, timeoutMs: 60_000, drainSeconds: 1 });
    try {
      expect(await now(store)).toBe(1);
      proxy.set({ kind: 'blackhole' });
      const pending = now(store).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await store.close();
      expect(isDatabaseUnavailable(await pending)).toBe(true);
    } finally {
      proxy.set({ kind: 'pass' });
    }
  });
});
