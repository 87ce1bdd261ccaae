/**
 * better-sqlite3 behind Kysely with its prepared statements kept by SQL text. Kysely prepares
 * every query it runs; for the deployment service's batch statements (a hundred uuids per
 * settle) preparing cost as much as running, and it blocks the event loop the gateway calls
 * share. Kysely runs one query at a time on the single SQLite connection, so a cached statement
 * is never in use twice at once.
 *
 * @example
 * new SqliteDialect({ database: withStatementCache(new BetterSqlite3(path)) });
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct statements kept; the least recently used one goes first. */
export const STATEMENT_CACHE_SIZE = 256;

/** The connection as Kysely uses it, and rows as arrays of values for reads of many rows. */
export interface CachedSqliteDatabase extends SqliteDatabase {
  /**
   * The rows of a read as arrays of column values, in the order of its columns. better-sqlite3
   * builds an object per row through V8's API, property by property, at twice the cost of the
   * row itself; a caller that knows its columns builds them faster.
   */
  values(sql: string, parameters: readonly unknown[]): unknown[][];
}

export function withStatementCache(connection: RawCapableDatabase, size = STATEMENT_CACHE_SIZE): CachedSqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  // A statement is in one mode for good: the arrays-of-values ones are kept apart.
  const valueStatements = new Map<string, RawCapableStatement>();
  const cached = <S>(cache: Map<string, S>, sql: string, prepare: () => S): S => {
    let statement = cache.get(sql);
    if (statement !== undefined) {
      // Map order is insertion order: moving it to the end marks it most recently used.
      cache.delete(sql);
    } else {
      statement = prepare();
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  };
  return {
    close: () => connection.close(),
    prepare: (sql) => cached(statements, sql, () => connection.prepare(sql)),
    values: (sql, parameters) => cached(valueStatements, sql, () => connection.prepare(sql).raw(true)).all(parameters) as unknown[][],
  };
}

/** better-sqlite3's connection and statements, which can give rows as arrays. */
interface RawCapableDatabase {
  close(): unknown;
  prepare(sql: string): RawCapableStatement;
}

interface RawCapableStatement extends SqliteStatement {
  raw(toggle: boolean): RawCapableStatement;
}
