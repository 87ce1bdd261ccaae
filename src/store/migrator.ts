/**
 * Applies the migrations in `migrations/` so that several processes starting at once apply each
 * exactly once. All pending migrations run in one transaction behind a database lock:
 * PostgreSQL takes a transaction-scoped advisory lock (DDL is transactional there); SQLite takes
 * its write lock with BEGIN IMMEDIATE (DDL is transactional there too), and a second process
 * waits on the busy timeout, then finds nothing left to do.
 *
 * On SQLite, foreign keys are off while migrations run and checked before they commit: a change
 * ALTER TABLE cannot make (a CHECK constraint) is a table rebuilt under its own name, which
 * SQLite's documented procedure does with them off.
 *
 * @example
 * const applied = await migrateToLatest(store);
 */
import { sql, type Kysely } from 'kysely';
import { migrations as allMigrations, type Migration, type MigrationContext } from '../../migrations/index.js';
import { AgentgwError, ConfigError } from '../domain/errors.js';
import type { Store } from './database.js';

const TABLE = 'agentgw_migrations';

export interface MigrationState {
  name: string;
  appliedAt: Date | null;
}

/** For callers without a key: a migration that finds secrets to seal stops and names the setting. */
const WITHOUT_KEY: MigrationContext = {
  secrets: () => {
    throw new ConfigError('this migration encrypts secrets stored in plain text and needs the encryption key: set secrets.key or AGENTGW_SECRET_KEY', {
      hint: 'use the key the gateways were registered with',
    });
  },
};

/** Applies every pending migration; returns the names it applied (none when up to date). */
export async function migrateToLatest(store: Store, migrations: readonly Migration[] = allMigrations, context: MigrationContext = WITHOUT_KEY): Promise<string[]> {
  // Nearly every run finds nothing to do, and a read without the lock says so: on SQLite the lock
  // is the database's write lock, which every command of the embedded store would otherwise take.
  // A migration another process has not committed yet is not seen, so the locked path runs.
  if (await isUpToDate(store, migrations)) return [];
  return withMigrationLock(store, async (db) => {
    const applied = await appliedMigrations(db, store);
    assertKnown(applied, migrations);
    const pending = migrations.filter((m) => !applied.has(m.name));
    for (const migration of pending) {
      await migration.up(db, store.dialect, context);
      await db
        .insertInto(TABLE as never)
        .values({ name: migration.name, applied_at: store.codec.time(new Date()) } as never)
        .execute();
    }
    return pending.map((m) => m.name);
  });
}

async function isUpToDate(store: Store, migrations: readonly Migration[]): Promise<boolean> {
  const applied = await readAppliedMigrations(store);
  assertKnown(applied, migrations);
  return migrations.every((m) => applied.has(m.name));
}

/** Every known migration and when it was applied (null: pending). */
export async function migrationStatus(store: Store, migrations: readonly Migration[] = allMigrations): Promise<MigrationState[]> {
  const applied = await readAppliedMigrations(store);
  return migrations.map((m) => ({ name: m.name, appliedAt: applied.get(m.name) ?? null }));
}

export async function pendingMigrations(store: Store): Promise<string[]> {
  return (await migrationStatus(store)).filter((m) => m.appliedAt === null).map((m) => m.name);
}

/** Stops when the database was migrated by a newer agentgw than this one. */
function assertKnown(applied: Map<string, Date>, migrations: readonly Migration[]): void {
  const known = new Set(migrations.map((m) => m.name));
  const unknown = [...applied.keys()].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new AgentgwError(
      'AGW_SCHEMA_TOO_NEW',
      `the database has migrations this version of agentgw does not know: ${unknown.join(', ')}`,
      { hint: 'upgrade agentgw; downgrading a database is not supported' },
    );
  }
}

/** The migrations applied so far, creating their table when there is none (under the lock). */
async function appliedMigrations(db: Kysely<any>, store: Store): Promise<Map<string, Date>> {
  await db.schema
    .createTable(TABLE)
    .ifNotExists()
    .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('applied_at', store.dialect === 'postgres' ? 'timestamptz' : 'text', (c) => c.notNull())
    .execute();
  const rows: Array<{ name: string; applied_at: unknown }> = await db.selectFrom(TABLE).select(['name', 'applied_at']).execute();
  return new Map(rows.map((row) => [row.name, store.codec.readTime(row.applied_at)]));
}

/**
 * The migrations applied so far, read without changing anything. Every command of the embedded
 * store checks them first: there they are read on the connection itself, without loading Kysely
 * (see src/store/sqlite/open-sqlite.ts).
 */
async function readAppliedMigrations(store: Store): Promise<Map<string, Date>> {
  let rows: unknown[][];
  const direct = store.directReads;
  if (direct !== null) {
    const [table] = await direct.values({ sql: "select count(*) from sqlite_master where type = 'table' and name = ?", parameters: [TABLE] });
    rows = table![0] === 0 ? [] : await direct.values({ sql: `select name, applied_at from ${TABLE}`, parameters: [] });
  } else {
    const db = store.db as unknown as Kysely<any>;
    rows = (await tableExists(db, store)) ? (await db.selectFrom(TABLE).select(['name', 'applied_at']).execute()).map((row) => [row.name, row.applied_at]) : [];
  }
  return new Map(rows.map(([name, appliedAt]) => [name as string, store.codec.readTime(appliedAt)]));
}

async function tableExists(db: Kysely<any>, store: Store): Promise<boolean> {
  if (store.dialect === 'postgres') {
    const result = await sql<{ found: string | null }>`select to_regclass(${TABLE})::text as found`.execute(db);
    return result.rows[0]?.found !== null && result.rows[0]?.found !== undefined;
  }
  const result = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name = ${TABLE}`.execute(db);
  return result.rows.length > 0;
}

async function withMigrationLock<T>(store: Store, body: (db: Kysely<any>) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') {
    // Imported here: the embedded store's commands never load PostgreSQL's driver.
    const { withoutStatementTimeout } = await import('./postgres/postgres-driver.js');
    // Waiting for another replica's migration, or building an index, may take minutes.
    return withoutStatementTimeout(() =>
      store.db.transaction().execute(async (trx) => {
        // One lock per schema, so test schemas in one database do not wait for each other.
        await sql`select pg_advisory_xact_lock(hashtext('agentgw_migrations:' || current_schema()))`.execute(trx);
        return body(trx as unknown as Kysely<any>);
      }),
    );
  }
  return store.db.connection().execute(async (connection) => {
    // A no-op inside a transaction, so before it; on again whatever happens.
    await sql`pragma foreign_keys = off`.execute(connection);
    try {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await body(connection as unknown as Kysely<any>);
        const broken = await sql<{ table: string }>`pragma foreign_key_check`.execute(connection);
        if (broken.rows.length > 0) throw new Error(`migration left ${broken.rows.length} row(s) whose foreign key points nowhere (first in ${broken.rows[0]!.table})`);
        await sql`commit`.execute(connection);
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    } finally {
      await sql`pragma foreign_keys = on`.execute(connection);
    }
  });
}
