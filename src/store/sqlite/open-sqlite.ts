/** Opens a `sqlite:PATH` store: better-sqlite3 in WAL mode, behind a statement cache. */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database as BetterSqlite3Database } from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { UnavailableError, UsageError } from '../../domain/errors.js';
import type { Store } from '../database.js';
import { createPrivateFile } from '../private-files.js';
import type { Database } from '../schema.js';
import { sqliteNativeBinding } from './sqlite-addon.js';
import { sqliteCodec } from './sqlite-codec.js';
import { withStatementCache } from './sqlite-statement-cache.js';

export async function openSqlite(url: string): Promise<Store> {
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
  // Kysely is created when first used: the reads a command like `gateway list` makes run on the
  // connection itself (directReads), with the statements an earlier run of the command
  // compiled (../statement-cache.ts). Kysely was half the functions that command compiled
  // (docs/architecture.md, "Start-up").
  let db: Kysely<Database> | undefined;
  // Kysely runs its statements one at a time on the one connection, a transaction's included:
  // once it exists, a read waits its turn there. Before, nothing else can be using the connection.
  const onTheConnection = async <T>(read: () => T): Promise<T> => (db === undefined ? read() : db.connection().execute(async () => read()));
  return {
    get db() {
      return (db ??= new Kysely<Database>({ dialect: new SqliteDialect({ database: cachedConnection }) }));
    },
    codec: sqliteCodec,
    dialect: 'sqlite',
    displayUrl: `sqlite:${path}`,
    sqlitePath: path,
    schema: null,
    directReads: {
      values: (statement) => onTheConnection(() => cachedConnection.values(statement.sql, statement.parameters)),
      rows: (statement) => onTheConnection(() => cachedConnection.prepare(statement.sql).all(statement.parameters) as Array<Record<string, unknown>>),
    },
    close: async () => {
      if (db === undefined) connection.close();
      else await db.destroy();
    },
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
