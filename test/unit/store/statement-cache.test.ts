/**
 * The statements of the hot reads, compiled once per shape and kept from one CLI run to the next
 * (src/store/statement-cache.ts): a later run reads with what an earlier one compiled, and the
 * embedded store then reads without Kysely.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_UUID } from '../../../migrations/index.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { EnvironmentRepository } from '../../../src/store/repositories/environments.js';
import { readCompiled, StatementCache, STATEMENTS } from '../../../src/store/statement-cache.js';

describe('StatementCache', () => {
  const build = (table: string) => (placeholder: <T>(name: string) => T) => ({
    compile: () => ({ sql: `select * from ${table} where id = ? and name = ?`, parameters: [placeholder('id'), placeholder('name')], query: {} as never, queryId: {} as never }),
  });

  it('compiles a shape once, and runs it with each call’s values', () => {
    const cache = new StatementCache();
    let builds = 0;
    const counted = (placeholder: <T>(name: string) => T) => (builds++, build('t')(placeholder));
    expect(cache.statement('k', counted, { id: 1, name: 'a' })).toEqual({ sql: 'select * from t where id = ? and name = ?', parameters: [1, 'a'] });
    expect(cache.statement('k', counted, { id: 2, name: 'b' })).toEqual({ sql: 'select * from t where id = ? and name = ?', parameters: [2, 'b'] });
    expect(builds).toBe(1);
  });

  it('gives what it compiled to another cache, which then builds nothing', () => {
    const first = new StatementCache();
    expect(first.toRemember()).toBeUndefined();
    first.statement('k', build('t'), { id: 1, name: 'a' });
    const kept = first.toRemember()!;
    const next = new StatementCache();
    next.remember(kept);
    const refuse = () => {
      throw new Error('built again');
    };
    expect(next.statement('k', refuse, { id: 3, name: 'c' })).toEqual({ sql: 'select * from t where id = ? and name = ?', parameters: [3, 'c'] });
    // Nothing new was compiled: nothing to keep again.
    expect(next.toRemember()).toBeUndefined();
    next.statement('other', build('u'), { id: 1, name: 'a' });
    expect(Object.keys(JSON.parse(next.toRemember()!)).sort()).toEqual(['k', 'other']);
  });

  it.each([
    ['text that is not JSON', '{"k":'],
    ['a statement without its SQL', '{"k":{"names":["id","name"]}}'],
    ['names that are not strings', '{"k":{"sql":"select 1","names":[1]}}'],
    ['not an object', '"select 1"'],
  ])('takes nothing from %s, and compiles the statement itself', (_, text) => {
    const cache = new StatementCache();
    cache.remember(text);
    expect(cache.statement('k', build('t'), { id: 1, name: 'a' })).toEqual({ sql: 'select * from t where id = ? and name = ?', parameters: [1, 'a'] });
  });
});

describe('readCompiled on the embedded store', () => {
  let store: Store;

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    await migrateToLatest(store);
  });
  afterEach(() => store.close());

  it('reads the same rows with a kept statement as Kysely does, on the connection', async () => {
    const environments = new EnvironmentRepository(store, DEFAULT_ORGANIZATION_UUID);
    const viaKysely = await store.db.selectFrom('environments').select(['uuid', 'name', 'display_name']).where('organization_uuid', '=', DEFAULT_ORGANIZATION_UUID).orderBy('name').execute();
    const listed = await environments.list();
    expect(listed.map((environment) => [environment.uuid, environment.name, environment.displayName])).toEqual(viaKysely.map((row) => [row.uuid, row.name, row.display_name]));
    const rows = await readCompiled(store, 'test:environment-names', (p) => store.db.selectFrom('environments').select('name').where('organization_uuid', '=', p<string>('organization')), {
      organization: DEFAULT_ORGANIZATION_UUID,
    });
    expect(rows).toEqual(viaKysely.map((row) => ({ name: row.name })));
    expect(JSON.parse(STATEMENTS.toRemember()!)).toHaveProperty(['test:environment-names:sqlite']);
  });
});
