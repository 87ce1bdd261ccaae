/**
 * Opens the store named by a database URL: `postgres://…` (postgres.js, through the driver in
 * postgres/postgres-driver.ts) or `sqlite:PATH` (better-sqlite3). Each dialect's driver, codec and
 * specifics live in its folder (postgres/, sqlite/), like Kysely's dialects. The drivers themselves
 * are imported only when their URL is opened, so commands that never touch a database do not pay
 * for loading them.
 *
 * A `schema` query parameter on a PostgreSQL URL selects a schema (tests give each file its own).
 *
 * @example
 * const store = await openStore('sqlite:/var/lib/agentgw/agentgw.sqlite');
 * await store.db.selectFrom('gateways').selectAll().execute();
 */
import { sql, type Kysely } from 'kysely';
import { UsageError } from '../domain/errors.js';
import type { Codec, Dialect } from './codec.js';
import { redactUrl } from './database-url.js';
import type { Database } from './schema.js';

/** A statement as the database runs it: its SQL, and the values of its parameters in order. */
export interface SqlStatement {
  sql: string;
  parameters: readonly unknown[];
}

export interface Store {
  db: Kysely<Database>;
  codec: Codec;
  dialect: Dialect;
  /** The URL with any password removed, fit for logs and messages. */
  displayUrl: string;
  /** The SQLite file, for SQLite stores. */
  sqlitePath: string | null;
  /** The PostgreSQL schema in use. */
  schema: string | null;
  /** SQLite only (null on PostgreSQL, and in a transaction's work): reads without Kysely. */
  directReads: DirectReads | null;
  close(): Promise<void>;
}

/**
 * Reads on the SQLite connection itself (sqlite/open-sqlite.ts). Taken on Kysely's connection once
 * it exists, so never inside another caller's transaction: a store given to a transaction's work
 * has none, and reads there go through the transaction.
 */
export interface DirectReads {
  /** The rows as arrays of column values, for reads of many rows (see CachedSqliteDatabase.values). */
  values(statement: SqlStatement): Promise<unknown[][]>;
  /** The rows as the objects Kysely would give. */
  rows(statement: SqlStatement): Promise<Array<Record<string, unknown>>>;
}

export interface OpenStoreOptions {
  poolSize?: number;
  /**
   * PostgreSQL: how long a connection attempt, or a statement (migrations aside), may go
   * unanswered before it fails as unavailable (default 5 s: database.timeout).
   */
  timeoutMs?: number;
  /** PostgreSQL: seconds a closing or replaced client gets for its in-flight queries (default 5). */
  drainSeconds?: number;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) return (await import('./sqlite/open-sqlite.js')).openSqlite(url);
  if (/^postgres(ql)?:\/\//.test(url)) return (await import('./postgres/open-postgres.js')).openPostgres(url, options);
  throw new UsageError(`unsupported database URL "${redactUrl(url)}"`, {
    hint: 'use postgres://USER@HOST:PORT/DB or sqlite:PATH',
  });
}

/** Resolves when the database answers a statement (the daemon's readiness). */
export async function pingDatabase(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}
