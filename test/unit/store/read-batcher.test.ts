/**
 * Reads that arrive together are answered together (ReadBatcher): first the batcher on its own,
 * then gateway finds on a real PostgreSQL, counted by the statements that reach it.
 */
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_UUID } from '../../../migrations/index.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { FailedRead, ReadBatcher } from '../../../src/store/read-batcher.js';
import { GatewayRepository } from '../../../src/store/repositories/gateways.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('ReadBatcher', () => {
  it('answers the reads of one turn with one run, each with its own result', async () => {
    const batcher = new ReadBatcher();
    const runs: number[][] = [];
    const run = async (items: number[]) => (runs.push(items), items.map((n) => n * 10));
    const results = await Promise.all([1, 2, 3].map((n) => batcher.read('g', n, run)));
    expect(results).toEqual([10, 20, 30]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('keeps groups apart, and starts a new batch for a read that comes after one was sent', async () => {
    const batcher = new ReadBatcher();
    const runs: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const run = async (items: string[]) => {
      runs.push(items);
      await held;
      return items;
    };
    const first = [batcher.read('a', 'a1', run), batcher.read('b', 'b1', run), batcher.read('a', 'a2', run)];
    await nextTurn();
    // The first batches are running: a read now must not be answered by them.
    const later = batcher.read('a', 'a3', run);
    await nextTurn();
    release();
    expect(await Promise.all([...first, later])).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(runs).toEqual([['a1', 'a2'], ['b1'], ['a3']]);
  });

  it('sends a full batch at once', async () => {
    const batcher = new ReadBatcher(2);
    const runs: number[][] = [];
    const run = async (items: number[]) => (runs.push(items), items);
    await Promise.all([1, 2, 3].map((n) => batcher.read('g', n, run)));
    expect(runs).toEqual([[1, 2], [3]]);
  });

  it('fails only the read whose result is a FailedRead', async () => {
    const batcher = new ReadBatcher();
    const run = async (items: number[]) => items.map((n) => (n === 2 ? new FailedRead(new Error('two is bad')) : n));
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.read('g', n, run)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([1, 'two is bad', 3]);
  });

  it('fails every read of a batch that fails, whether its run rejects or throws', async () => {
    const batcher = new ReadBatcher();
    const rejecting = async (): Promise<number[]> => Promise.reject(new Error('database gone'));
    const throwing = (): Promise<number[]> => {
      throw new Error('thrown');
    };
    const results = await Promise.allSettled([batcher.read('r', 1, rejecting), batcher.read('r', 2, rejecting), batcher.read('t', 3, throwing)]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['database gone', 'database gone', 'thrown']);
  });
});

describe('gateway finds on PostgreSQL', () => {
  let schema: TestSchema;
  let store: Store;
  let statements = 0;
  const counting: KyselyPlugin = {
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => (statements++, result),
  };

  beforeAll(async () => {
    schema = createTestSchema('batch');
    store = await openStore(schema.url, { poolSize: 2 });
    await migrateToLatest(store);
  });
  afterAll(async () => {
    await store?.close();
    await schema?.drop();
  });

  it('answers finds by name and by uuid that arrive together with a statement per kind, each with its own gateway', async () => {
    const gateways = new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID);
    const base = { displayName: 'G', type: 'EGRESS', status: 'ACTIVE', controlPlaneUrl: null, endpoint: null, region: null, adapterType: 'on-premise', adapterConfig: {}, metadata: {}, credentials: null, lastHeartbeat: null, responseTimeMs: null } as const;
    const a = await gateways.insert({ ...base, name: 'a' }, [], new Date());
    const b = await gateways.insert({ ...base, name: 'b', displayName: 'B' }, [], new Date());
    const counted = new GatewayRepository({ ...store, db: store.db.withPlugin(counting) }, DEFAULT_ORGANIZATION_UUID);
    statements = 0;
    const found = await Promise.all([counted.find('b'), counted.find(a.uuid.toUpperCase()), counted.find('missing'), counted.find('a'), counted.find(b.uuid)]);
    expect(found.map((g) => g?.name)).toEqual(['b', 'a', undefined, 'a', 'b']);
    expect(found[0]?.displayName).toBe('B');
    expect(statements).toBe(2);
    // A value PostgreSQL cannot take fails its own find only, not the others of its batch.
    const [good, bad] = await Promise.allSettled([gateways.find('a'), gateways.find('bad\u0000name')]);
    expect(good).toMatchObject({ status: 'fulfilled', value: { name: 'a' } });
    expect(bad.status).toBe('rejected');
    // Another organization's finds are never in the same statement, nor answered by it.
    const other = new GatewayRepository(store, '00000000-0000-4000-8000-0000000000ff');
    expect(await Promise.all([other.find('a'), gateways.find('a')]).then((r) => r.map((g) => g?.name))).toEqual([undefined, 'a']);
  });
});
