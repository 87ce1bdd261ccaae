/**
 * Kysely over postgres.js, built for throughput and to outlive a database restart.
 *
 * - A single query runs on the pool (`sql.unsafe`): postgres.js pipelines it on a free or busy
 *   connection and reconnects dead connections itself. (kysely-postgres-js reserves a whole
 *   connection per query and holds it across event-loop turns, which caps a loaded daemon at a
 *   few hundred queries a second.)
 * - A transaction reserves a connection. A reserved connection that lost its database is never
 *   released: postgres.js 3.4.9 would put it back in its open queue, and the next query on it
 *   writes to a null socket from a setImmediate — an uncatchable TypeError that kills the process
 *   (porsager/postgres#1154 and #1208, open). It is not rolled back either: the server ended the
 *   session, and the transaction with it.
 * - After any connection loss the whole client is replaced by a fresh one and the old one is
 *   ended with a timeout: a connection closed while a write was buffered keeps a stale write
 *   timer inside postgres.js and never sends again, so it must not linger.
 * - A statement that goes unanswered (a connection the network dropped without a reset) fails
 *   after `queryTimeoutMs` as a lost connection, which replaces the client; inside a transaction
 *   too, except under `withoutStatementTimeout` (migrations, which may wait minutes for another
 *   replica's lock). postgres.js has no query timeout, and its end({timeout}) never settles with
 *   such a query in flight, so closing does not wait for it past the drain time either.
 * - After a connection loss the database is left alone for a growing pause (see
 *   reconnect-backoff.ts): queries and transactions fail at once as unavailable, and one probe
 *   at a time tries the database, instead of every request opening a connection of its own.
 *
 * `db.connection()` (several statements on one session without a transaction) is refused on
 * PostgreSQL rather than silently spread over several sessions: use `db.transaction()`.
 * The one remaining window, a connection closing while idle inside a transaction, is covered by
 * `isPostgresNullSocketWrite`, which the daemon uses to survive that TypeError.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: new ResilientPostgresDialect({ connect: () => postgres(url), isConnectionLoss }) });
 */
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresDriver,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ReservedSql, Sql } from 'postgres';
import { ReconnectBackoff } from './reconnect-backoff.js';

export interface ResilientPostgresOptions {
  /** Creates a postgres.js client; called at start and after each connection loss. */
  connect: () => Sql;
  /** True for errors that mean the database connection was lost (not a bad query). */
  isConnectionLoss: (error: unknown) => boolean;
  /** Seconds the replaced client gets to finish its in-flight queries. */
  drainSeconds?: number;
  /** How long a query may wait for a free connection before it fails as unavailable. */
  acquireTimeoutMs?: number;
  /**
   * How long a statement may go unanswered before it fails as a lost connection (and the client
   * is replaced). A connection the network dropped without a reset (a black hole) otherwise
   * holds its queries forever: postgres.js has no query timeout.
   */
  queryTimeoutMs?: number;
}

/** Statements run inside this scope have no time limit (see withoutStatementTimeout). */
const unbounded = new AsyncLocalStorage<true>();

/**
 * Runs `body` with no limit on how long its statements may take: for migrations, which wait for
 * another replica's migration lock and may build an index for minutes.
 */
export function withoutStatementTimeout<T>(body: () => Promise<T>): Promise<T> {
  return unbounded.run(true, body);
}

/**
 * Statements with at most this many parameters run as named prepared statements, which each
 * connection keeps: PostgreSQL then skips parsing and planning them, which was two thirds of a
 * `GET /gateways/{id}`. (Repositories name their columns: a prepared `select *` would fail once a
 * later migration added a column under a running daemon.) Batch statements (an IN list of a few hundred uuids) are left unprepared:
 * their lists vary in length, so preparing them would keep a statement per length on every
 * connection, and planning is a small part of what they cost.
 */
const MAX_PREPARED_PARAMETERS = 16;

export class ResilientPostgresDialect implements Dialect {
  constructor(private readonly options: ResilientPostgresOptions) {}

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new ResilientPostgresDriver(this.options);
  }

  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

/** What a closing store gives the queries still in flight (see destroy). */
const CLOSE_DRAIN_SECONDS = 1;

/** While the database is away every query fails; replacing the client once a second is enough. */
const MIN_CLIENT_AGE_MS = 1000;

/**
 * The pauses between tries of a lost database: from 50 ms, doubling, to a second. Longer pauses
 * would spare a database that is down for long a few more attempts, but a database that came
 * back would be noticed later by as much.
 */
const RECONNECT_BACKOFF = { initialMs: 50, maxMs: 1000 };

class ResilientPostgresDriver extends PostgresDriver {
  #client: Sql | undefined;
  #clientSince = 0;
  /** Requests waiting for a connection of a client, failed at once when it is replaced. */
  #waiters = new Map<Sql, Set<(error: Error) => void>>();
  readonly backoff = new ReconnectBackoff(RECONNECT_BACKOFF);

  constructor(private readonly options: ResilientPostgresOptions) {
    super({} as never);
  }

  override async init(): Promise<void> {
    this.#client = this.options.connect();
    this.#clientSince = Date.now();
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    return new PooledConnection(this.client, this);
  }

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PooledConnection).reserve();
    await super.beginTransaction(connection, settings);
  }

  /** A transaction whose connection died was rolled back by the server when the session ended. */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if ((connection as PooledConnection).lost) return;
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  override async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PooledConnection).release();
  }

  /**
   * Replaced clients are not awaited: they finish (or are cut off) on their own timer. The last
   * one is closed when its callers are done (the daemon has drained its requests): a query still
   * in flight then has nobody waiting for it, and gets a second, not the replaced clients' drain
   * time. postgres.js's own end({timeout}) was seen never to settle after a connection went
   * silent mid-query (the reliability battery's black hole), so it is given a second more, and a
   * daemon told to stop stops.
   */
  override async destroy(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    const drainSeconds = Math.min(this.options.drainSeconds ?? 5, CLOSE_DRAIN_SECONDS);
    let timer: NodeJS.Timeout | undefined;
    const cutOff = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainSeconds * 1000 + 1000)));
    try {
      await Promise.race([client.end({ timeout: drainSeconds }), cutOff]);
    } finally {
      clearTimeout(timer);
    }
  }

  get client(): Sql {
    if (this.#client === undefined) throw new Error('the database driver is closed');
    return this.#client;
  }

  /** Called when a query on `client` lost its connection: later queries get a fresh client. */
  connectionLost(client: Sql): void {
    if (this.#client !== client || Date.now() - this.#clientSince < MIN_CLIENT_AGE_MS) return;
    this.#client = this.options.connect();
    this.#clientSince = Date.now();
    for (const fail of this.#waiters.get(client) ?? []) fail(new AcquireTimeoutError('the database connection was lost while waiting for it'));
    this.#waiters.delete(client);
    void client.end({ timeout: this.options.drainSeconds ?? 5 }).catch(() => {});
  }

  /** Registers a waiter for a connection of `client`; returns its removal. */
  onReplaced(client: Sql, fail: (error: Error) => void): () => void {
    let waiting = this.#waiters.get(client);
    if (waiting === undefined) this.#waiters.set(client, (waiting = new Set()));
    waiting.add(fail);
    return () => {
      waiting.delete(fail);
      if (waiting.size === 0 && this.#waiters.get(client) === waiting) this.#waiters.delete(client);
    };
  }

  isConnectionLoss(error: unknown): boolean {
    return error instanceof AcquireTimeoutError || error instanceof QueryTimeoutError || this.options.isConnectionLoss(error);
  }

  get acquireTimeoutMs(): number {
    return this.options.acquireTimeoutMs ?? 10_000;
  }

  get queryTimeoutMs(): number {
    return this.options.queryTimeoutMs ?? 30_000;
  }
}

/** One Kysely connection: queries on the pool, or on a reserved connection inside a transaction. */
class PooledConnection implements DatabaseConnection {
  #reserved: ReservedSql | null = null;
  #pooledQueries = 0;
  lost = false;

  constructor(
    private readonly client: Sql,
    private readonly driver: ResilientPostgresDriver,
  ) {}

  /**
   * Waits for a connection, but not forever: a client replaced while requests waited for one
   * of its connections never hands them one (postgres.js ends it without failing its waiters).
   */
  async reserve(): Promise<void> {
    if (this.admit()) {
      // The probe after a loss tries the database with a statement, not a reserve: a reserve cannot
      // be taken back, and postgres.js reconnects for a waiting one until it is served, past any
      // pause. A statement fails and is done; once it is answered, the pause is over.
      await this.guard(() => answeredWithin(this.client.unsafe('select 1'), this.driver.queryTimeoutMs), true);
    }
    const probe = false;
    const pending = this.client.reserve();
    let timer: NodeJS.Timeout | undefined;
    let forget = () => {};
    const abandoned = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AcquireTimeoutError()), this.driver.acquireTimeoutMs);
      forget = this.driver.onReplaced(this.client, reject);
    });
    try {
      this.#reserved = await this.guard(() => Promise.race([pending, abandoned]), probe);
    } catch (error) {
      // Should the connection come after all, it goes straight back.
      pending.then((late) => late.release(), () => {});
      throw error;
    } finally {
      clearTimeout(timer);
      forget();
    }
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.lost) throw new ConnectionLostError();
    if (this.#reserved === null && this.#pooledQueries++ > 0) {
      throw new Error('db.connection() is not supported on PostgreSQL: its statements would run on different sessions; use db.transaction()');
    }
    // A transaction already begun runs to its end (or to its first lost statement): it holds a
    // connection that must be committed or rolled back, never handed back mid-way.
    const probe = this.#reserved === null ? this.admit() : false;
    const target = this.#reserved ?? this.client;
    const parameters = [...compiledQuery.parameters] as never[];
    const prepare = parameters.length <= MAX_PREPARED_PARAMETERS;
    const run = () => target.unsafe(compiledQuery.sql, parameters, { prepare });
    const result = await this.guard(() => (unbounded.getStore() ? run() : answeredWithin(run(), this.driver.queryTimeoutMs)), probe);
    const { command, count } = result;
    return {
      ...(command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE' ? { numAffectedRows: BigInt(count) } : {}),
      rows: Array.from(result.values()) as R[],
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by this driver');
  }

  release(): void {
    // A connection that lost its database must not go back to the pool's open queue: the pool
    // has already moved it to its closed queue, and reconnects it from there.
    if (this.#reserved !== null && !this.lost) this.#reserved.release();
    this.#reserved = null;
  }

  /** Whether this caller may try the database now (true: as the probe); throws while it waits. */
  private admit(): boolean {
    const admission = this.driver.backoff.admit();
    if (admission === 'wait') throw new BackoffError(this.driver.backoff.waitMs);
    return admission === 'probe';
  }

  private async guard<T>(run: () => Promise<T>, probe: boolean): Promise<T> {
    try {
      const result = await run();
      this.driver.backoff.reached(probe);
      return result;
    } catch (error) {
      if (this.driver.isConnectionLoss(error)) {
        this.lost = true;
        this.driver.connectionLost(this.client);
        this.driver.backoff.lost(probe);
      } else {
        // An error from the database (a constraint, a bad statement) means it was reached.
        this.driver.backoff.reached(probe);
      }
      throw error;
    }
  }
}

/**
 * The TypeError postgres.js 3.4.9 throws from a setImmediate when a connection writes after its
 * socket closed. Nothing awaits it, so it surfaces as an uncaught exception; the connection it
 * came from is already closed, its client is replaced, and its query is rejected when the old
 * client is ended — so a daemon may log it and go on.
 */
export function isPostgresNullSocketWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /reading 'write'|evaluating 'socket\.write'/.test(error.message) &&
    /nextWrite/.test(error.stack ?? '') &&
    /postgres[\\/](cjs[\\/])?src[\\/]connection\.js/.test(error.stack ?? '')
  );
}

/** A query on a connection that already lost its database; carries a connection-loss code. */
class ConnectionLostError extends Error {
  readonly code = 'CONNECTION_CLOSED';

  constructor() {
    super('the database connection was lost');
  }
}

/** `pending`, or a QueryTimeoutError when it has not settled within `ms`. */
async function answeredWithin<T>(pending: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new QueryTimeoutError(ms)), ms)));
  // Should it settle after all, nobody is listening any more.
  pending.catch(() => {});
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A query went unanswered; reported like a connection timeout (a 503, not a 500). */
class QueryTimeoutError extends Error {
  readonly code = 'CONNECT_TIMEOUT';

  constructor(ms: number) {
    super(`the database did not answer a query within ${ms / 1000} s`);
  }
}

/** The database was lost moments ago and is left alone for a pause; a 503, like a lost connection. */
class BackoffError extends Error {
  readonly code = 'CONNECTION_BACKOFF';

  constructor(waitMs: number) {
    super(`the database did not answer moments ago; it is tried again in ${Math.max(0.1, waitMs / 1000).toFixed(1)} s`);
  }
}

/** No connection came in time; reported like a connection timeout (a 503, not a 500). */
class AcquireTimeoutError extends Error {
  readonly code = 'CONNECT_TIMEOUT';

  constructor(message = 'no database connection became available in time') {
    super(message);
  }
}
