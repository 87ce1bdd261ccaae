/**
 * Opens the store named by a database URL: `postgres://…` (postgres.js, through the driver in
 * postgres-driver.ts) or `sqlite:PATH` (better-sqlite3). Drivers are imported only here and only
 * when needed, so commands that never touch a database do not pay for loading them.
 *
 * A `schema` query parameter on a PostgreSQL URL selects a schema (tests give each file its own).
 *
 * @example
 * const store = await openStore('sqlite:/var/lib/agentgw/agentgw.sqlite');
 * await store.db.selectFrom('gateways').selectAll().execute();
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database as BetterSqlite3Database } from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import { UnavailableError, UsageError } from '../domain/errors.js';
import { postgresCodec, sqliteCodec, type Codec, type Dialect } from './codec.js';
import { createPrivateFile } from './private-files.js';
import { sqliteNativeBinding } from './sqlite-addon.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import type { Database } from './schema.js';

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
  /**
   * SQLite only (null on PostgreSQL): the rows of a read as arrays of column values, for reads of
   * many rows (see CachedSqliteDatabase.values). Taken on Kysely's connection, so never inside
   * another caller's transaction.
   */
  readValues: ((query: CompiledQuery) => Promise<unknown[][]>) | null;
  close(): Promise<void>;
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
  if (url.startsWith('sqlite:')) return openSqlite(url);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new UsageError(`unsupported database URL "${redactUrl(url)}"`, {
    hint: 'use postgres://USER@HOST:PORT/DB or sqlite:PATH',
  });
}

async function openSqlite(url: string): Promise<Store> {
  const raw = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (raw === '') throw new UsageError('sqlite: URL needs a file path, e.g. sqlite:./agentgw.sqlite');
  const path = raw === ':memory:' ? raw : resolve(raw);
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  let connection;
  try {
    if (path !== ':memory:') createPrivateFile(path);
    connection = new BetterSqlite3(path, { nativeBinding: sqliteNativeBinding() });
    connection.pragma('busy_timeout = 15000');
    await switchToWal(connection);
    connection.pragma('foreign_keys = ON');
    connection.pragma('synchronous = NORMAL');
  } catch (error) {
    throw new UnavailableError(`cannot open the SQLite database ${path}: ${(error as Error).message}`, {
      hint: 'check that the directory exists and is writable, or pass --database',
    });
  }
  const cachedConnection = withStatementCache(connection);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachedConnection }) });
  return {
    db,
    codec: sqliteCodec,
    dialect: 'sqlite',
    displayUrl: `sqlite:${path}`,
    sqlitePath: path,
    schema: null,
    readValues: (query) => db.connection().execute(async () => cachedConnection.values(query.sql, query.parameters)),
    close: () => db.destroy(),
  };
}

/**
 * Switching a file to WAL takes a shared lock and then an exclusive one. When several processes
 * open a new file at once (the first start of a fleet of CLIs), SQLite answers SQLITE_BUSY at
 * once to all but one rather than let them wait on each other: they try again shortly.
 */
async function switchToWal(connection: BetterSqlite3Database): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      connection.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      await sleep(5 + Math.random() * 20);
    }
  }
}

/**
 * agentgw's statements are short and indexed, and the daemon runs many at once. PostgreSQL's
 * parallel workers and JIT compilation are for long queries: a page of 50 gateways walked by two
 * workers under a Gather Merge read 46,647 index entries (100 ms) where one process reads 3,501
 * (13 ms), and JIT added 54 ms to a 90 ms list. Set for agentgw's own sessions only.
 */
const SESSION_SETTINGS = { max_parallel_workers_per_gather: '0', jit: 'off' };

async function openPostgres(url: string, options: OpenStoreOptions): Promise<Store> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`malformed database URL "${redactUrl(url)}"`, { hint: 'use postgres://USER@HOST:PORT/DB' });
  }
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new UsageError(`schema "${schema}" in the database URL is not a plain lower-case identifier`);
  }
  const [{ default: postgres }, { ResilientPostgresDialect }] = await Promise.all([import('postgres'), import('./postgres-driver.js')]);
  const connect = () =>
    postgres(parsed.toString(), {
      max: options.poolSize ?? 10,
      connect_timeout: (options.timeoutMs ?? 5000) / 1000,
      onnotice: () => {},
      // Timestamps go in and out as Date; JSON goes through the codec.
      connection: { ...SESSION_SETTINGS, ...(schema === null ? {} : { search_path: schema }) },
    });
  // Not kysely-postgres-js: it hands a reserved connection that lost its database back to the
  // postgres.js pool, where the next query on it crashes the process (see postgres-driver.ts).
  const db = new Kysely<Database>({
    dialect: new ResilientPostgresDialect({
      connect,
      isConnectionLoss: isDatabaseUnavailable,
      queryTimeoutMs: options.timeoutMs ?? 5000,
      ...(options.drainSeconds === undefined ? {} : { drainSeconds: options.drainSeconds }),
    }),
  });
  const displayUrl = redactUrl(url);
  const store: Store = {
    db,
    codec: postgresCodec,
    dialect: 'postgres',
    displayUrl,
    sqlitePath: null,
    schema,
    readValues: null,
    close: () => db.destroy(),
  };
  try {
    if (schema !== null) {
      // CREATE SCHEMA IF NOT EXISTS races itself: a process starting beside another may lose
      // the race with a unique violation, which means the schema is there.
      await sql
        .raw(`create schema if not exists "${schema}"`)
        .execute(db)
        .catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== '23505') throw error;
        });
    } else {
      await sql`select 1`.execute(db);
    }
  } catch (error) {
    await db.destroy().catch(() => {});
    throw databaseUnavailable(error, displayUrl);
  }
  return store;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECTION_BACKOFF', // left alone for a pause after a loss (postgres-driver.ts)
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  '3D000', // database does not exist
  '28P01', // password authentication failed
  '28000',
]);

/** True when an error means the database could not be reached, not that a query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/**
 * An UnavailableError naming the cause, without a stack trace: with `displayUrl`, the database's
 * location and the driver's own words too (for the CLI and the daemon's log); without it, only
 * what says nothing of where the database is (for the daemon's answers, which anyone may get:
 * a driver's message can carry the host and port).
 */
export function databaseUnavailable(error: unknown, displayUrl: string | null): UnavailableError {
  const cause = displayUrl === null ? quietCause(error) : describeCause(error);
  return new UnavailableError(`cannot reach the database${displayUrl === null ? '' : ` at ${hostOf(displayUrl)}`}: ${cause}`, {
    hint: 'check that the database is running and that --database / DATABASE_URL / database.url is right',
    cause: error,
  });
}

/** Causes worded without the database's host, port, name or user. */
const QUIET_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not found',
  CONNECT_TIMEOUT: 'no answer in time',
  ETIMEDOUT: 'no answer in time',
  CONNECTION_BACKOFF: 'it did not answer moments ago, and is tried again shortly',
  '28P01': 'authentication failed',
  '28000': 'authentication failed',
  '3D000': 'the database does not exist',
  '53300': 'too many clients already',
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or shutting down',
};

function quietCause(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' ? QUIET_CAUSES[code] : undefined) ?? 'the connection was lost';
}

function describeCause(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as Error | null)?.message ?? String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connection timed out';
    case '3D000':
      return message;
    case '28P01':
    case '28000':
      return 'authentication failed';
    default:
      return message.split('\n')[0] ?? 'unknown error';
  }
}

function hostOf(displayUrl: string): string {
  try {
    const url = new URL(displayUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return displayUrl;
  }
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
  }
}
