/**
 * A mapping to a gateway that a concurrent request deleted is "no such gateway" (a conflict the
 * client can act on), on both databases: migration 016's trigger, which copies the gateway's name
 * into the mapping, must leave that refusal to the foreign key instead of failing first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_UUID } from '../../../migrations/index.js';
import { openStore, type Store } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrator.js';
import { EnvironmentRepository } from '../../../src/store/repositories/environments.js';
import { MappingRepository } from '../../../src/store/repositories/mappings.js';
import { createTestDatabase } from '../../support/postgres.js';
import { rejection } from '../../support/rejection.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function store(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  const database = createTestDatabase(dialect, 'mappings');
  cleanups.push(() => database.drop());
  const opened = await openStore(database.url);
  cleanups.unshift(() => opened.close());
  await migrateToLatest(opened);
  return opened;
}

describe.each(['sqlite', 'postgres'] as const)('mappings on %s', (dialect) => {
  it('a mapping to a gateway that is gone is AGW_MAPPING_TARGET_GONE, not an internal error', async () => {
    const opened = await store(dialect);
    const environment = await new EnvironmentRepository(opened, DEFAULT_ORGANIZATION_UUID).find('production');
    expect(environment).toBeDefined();
    const error = await rejection(new MappingRepository(opened).add('99999999-9999-4999-8999-999999999999', environment!.uuid, new Date()));
    expect(error.code).toBe('AGW_MAPPING_TARGET_GONE');
  });
});
