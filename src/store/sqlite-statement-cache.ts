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

export function withStatementCache(connection: SqliteDatabase, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => connection.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement !== undefined) {
        // Map order is insertion order: moving it to the end marks it most recently used.
        statements.delete(sql);
      } else {
        statement = connection.prepare(sql);
        if (statements.size >= size) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
