/** Opens a `postgres://…` store: postgres.js behind the resilient driver, in agentgw's session settings. */
import { Kysely, sql } from 'kysely';
import { UsageError } from '../../domain/errors.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../connection-errors.js';
import type { OpenStoreOptions, Store } from '../database.js';
import { redactUrl } from '../database-url.js';
import type { Database } from '../schema.js';
import { postgresCodec } from './postgres-codec.js';

/**
 * agentgw's statements are short and indexed, and the daemon runs many at once. PostgreSQL's
 * parallel workers and JIT compilation are for long queries: a page of 50 gateways walked by two
 * workers under a Gather Merge read 46,647 index entries (100 ms) where one process reads 3,501
 * (13 ms), and JIT added 54 ms to a 90 ms list. Set for agentgw's own sessions only.
 */
const SESSION_SETTINGS = { max_parallel_workers_per_gather: '0', jit: 'off' };

export async function openPostgres(url: string, options: OpenStoreOptions): Promise<Store> {
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
    directReads: null,
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
