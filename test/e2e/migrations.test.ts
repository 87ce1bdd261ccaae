/**
 * Migrations on both databases: the seed's plan (backfill included), and several processes
 * migrating one empty database at the same moment (each migration applied exactly once).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest, migrationStatus } from '../../src/store/migrator.js';
import { BIN } from '../support/cli.js';
import { createTestSchema } from '../support/postgres.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function sqliteUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-mig-'));
  dirs.push(dir);
  return `sqlite:${join(dir, 'agentgw.sqlite')}`;
}

/** Runs the built CLI's `migrate up` in several processes at the same moment. */
async function migrateConcurrently(url: string, processes: number): Promise<string[][]> {
  const results = await Promise.all(
    Array.from({ length: processes }, () =>
      run(process.execPath, [BIN, 'migrate', 'up', '--database', url, '-o', 'json'], {
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', AGENTGW_CONFIG_DIR: '/nonexistent' },
      }).catch((error: { stderr?: string }) => {
        throw new Error(`a migrating process failed: ${error.stderr}`);
      }),
    ),
  );
  return results.map((result) => (JSON.parse(result.stdout) as { applied: string[] }).applied);
}

describe.each(['sqlite', 'postgres'] as const)('migrations on %s', (dialect) => {
  const schemas: Array<{ drop(): Promise<void> }> = [];
  afterAll(async () => {
    for (const schema of schemas) await schema.drop();
  });
  const newUrl = () => {
    if (dialect === 'sqlite') return sqliteUrl();
    const schema = createTestSchema('mig');
    schemas.push(schema);
    return schema.url;
  };

  it('backfills pre-existing gateways: INGRESS, mapped to a new production environment', async () => {
    const store = await openStore(newUrl());
    try {
      const base = migrations.slice(0, 1);
      await migrateToLatest(store, base);
      const org = (await store.db.selectFrom('organizations').select('uuid').executeTakeFirstOrThrow()).uuid;
      const now = store.codec.time(new Date());
      await store.db
        .insertInto('gateways')
        .values([
          { uuid: '11111111-1111-4111-8111-111111111111', organization_uuid: org, name: 'legacy-1', display_name: 'Legacy 1', created_at: now, updated_at: now },
          { uuid: '22222222-2222-4222-8222-222222222222', organization_uuid: org, name: 'legacy-2', display_name: 'Legacy 2', created_at: now, updated_at: now },
        ] as never)
        .execute();
      expect(await migrateToLatest(store)).toEqual(migrations.slice(1).map((m) => m.name));
      const gateways = await store.db.selectFrom('gateways').select(['name', 'gateway_type', 'status']).orderBy('name').execute();
      expect(gateways).toEqual([
        { name: 'legacy-1', gateway_type: 'INGRESS', status: 'ACTIVE' },
        { name: 'legacy-2', gateway_type: 'INGRESS', status: 'ACTIVE' },
      ]);
      const mapped = await store.db
        .selectFrom('gateway_environment_mappings as m')
        .innerJoin('environments as e', 'e.uuid', 'm.environment_uuid')
        .select(['e.name'])
        .execute();
      expect(mapped).toEqual([{ name: 'production' }, { name: 'production' }]);
      expect((await migrationStatus(store)).every((m) => m.appliedAt !== null)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('keeps updated_at moving when a writer forgets it (the 005 trigger)', async () => {
    const store = await openStore(newUrl());
    try {
      await migrateToLatest(store);
      const before = await store.db.selectFrom('environments').select(['uuid', 'updated_at']).executeTakeFirstOrThrow();
      await new Promise((r) => setTimeout(r, 20));
      await store.db.updateTable('environments').set({ description: 'changed' }).where('uuid', '=', before.uuid).execute();
      const after = await store.db.selectFrom('environments').select('updated_at').where('uuid', '=', before.uuid).executeTakeFirstOrThrow();
      expect(store.codec.readTime(after.updated_at).getTime()).toBeGreaterThan(store.codec.readTime(before.updated_at).getTime());
    } finally {
      await store.close();
    }
  });

  it('applies each migration exactly once when 5 processes start on an empty database at once', async () => {
    const url = newUrl();
    const applied = await migrateConcurrently(url, 5);
    const all = applied.flat();
    expect(all.sort()).toEqual(migrations.map((m) => m.name).sort());
    const store = await openStore(url);
    try {
      const rows = await sql<{ n: number | string }>`select count(*) as n from agentgw_migrations`.execute(store.db);
      expect(Number(rows.rows[0]!.n)).toBe(migrations.length);
      expect(await store.db.selectFrom('environments').select('name').execute()).toEqual([{ name: 'production' }]);
    } finally {
      await store.close();
    }
  });
});

describe('the embedded SQLite store', () => {
  it('opens a new file while another connection holds its write lock, once the lock is released', async () => {
    // Switching to WAL upgrades a read transaction, and SQLite answers such an upgrade
    // SQLITE_BUSY at once rather than wait (the other side may be waiting for it): when several
    // processes opened one new file at the same moment, all but one failed "database is locked".
    const url = sqliteUrl();
    const holder = new Database(url.slice('sqlite:'.length));
    holder.exec('begin immediate');
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        holder.exec('commit');
        resolve();
      }, 200),
    );
    try {
      const store = await openStore(url);
      await released;
      try {
        expect((await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db)).rows[0]!.journal_mode).toBe('wal');
      } finally {
        await store.close();
      }
    } finally {
      await released;
      holder.close();
    }
  });

  it('answers a read while another process holds the write lock: an up-to-date schema is checked without it', async () => {
    const url = sqliteUrl();
    await migrateConcurrently(url, 1);
    const writer = new Database(url.slice('sqlite:'.length));
    writer.exec('begin immediate');
    try {
      // Taking the migration lock would wait for the writer (busy timeout 15 s) and be killed here.
      const { stdout } = await run(process.execPath, [BIN, 'env', 'list', '--database', url, '-o', 'name'], {
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', AGENTGW_CONFIG_DIR: '/nonexistent' },
        timeout: 10_000,
      });
      expect(stdout).toBe('production\n');
    } finally {
      writer.exec('rollback');
      writer.close();
    }
  });
});
