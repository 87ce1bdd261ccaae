/**
 * Tells a daemon's event streams that the log has grown, so each reads what is new: the table is
 * the truth, a wake-up only says "look". On PostgreSQL a LISTEN connection hears the NOTIFY every
 * writer sends at commit (any daemon, any CLI process), and a slow poll of the newest id covers a
 * lost LISTEN connection; on SQLite (one daemon, but CLI processes write too) the poll is all.
 * One poll serves every stream of the daemon, so a thousand idle streams cost one read per tick.
 *
 * @example
 * const wakeups = await EventWakeups.start(store, databaseUrl);
 * const stop = wakeups.subscribe(() => stream.readNew());
 */
import { EVENTS_CHANNEL, latestEventId } from './repositories/events.js';
import type { Options as PostgresOptions, Sql } from 'postgres';
import type { Store } from './database.js';

export interface EventWakeupOptions {
  /** How often the newest id is read (default: 200 ms on SQLite, 1 s on PostgreSQL). */
  pollMs?: number;
}

type Listener = () => void;

/** The first pause before a lost LISTEN connection listens again, and the longest. */
const LISTEN_RETRY_FIRST_MS = 2000;
const LISTEN_RETRY_MAX_MS = 30_000;

export class EventWakeups {
  readonly #listeners = new Set<Listener>();
  #latest = 0;
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #unlisten: (() => Promise<void>) | null = null;
  #sql: Sql | null = null;
  #retry: NodeJS.Timeout | null = null;
  #listenFailures = 0;
  #closed = false;

  private constructor(private readonly store: Store) {}

  static async start(store: Store, databaseUrl: string, options: EventWakeupOptions = {}): Promise<EventWakeups> {
    const wakeups = new EventWakeups(store);
    wakeups.#latest = await latestEventId(store).catch(() => 0);
    if (store.dialect === 'postgres') await wakeups.#listen(databaseUrl);
    const pollMs = options.pollMs ?? (store.dialect === 'postgres' ? 1000 : 200);
    wakeups.#timer = setInterval(() => void wakeups.#poll(), pollMs);
    wakeups.#timer.unref();
    return wakeups;
  }

  /** The newest id this daemon has seen: where a stream with nothing to resume from starts. */
  latest(): number {
    return this.#latest;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#listeners.clear();
    await this.#unlisten?.().catch(() => {});
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const latest = await latestEventId(this.store);
      if (latest !== this.#latest) {
        this.#latest = latest;
        this.#wake();
      }
    } catch {
      // The database is away: the next tick tries again, and streams keep their place.
    } finally {
      this.#polling = false;
    }
  }

  #wake(): void {
    for (const listener of this.#listeners) listener();
  }

  async #listen(databaseUrl: string): Promise<void> {
    const { default: postgres } = await import('postgres');
    const url = new URL(databaseUrl);
    url.searchParams.delete('schema');
    const schema = this.store.schema ?? 'public';
    // A connection of its own that stays open for LISTEN. When it is lost it listens again after a
    // pause that doubles up to LISTEN_RETRY_MAX_MS: the poll covers the gap, so a database that is
    // away is not hammered by this connection too (postgres.js's own listen() retries at once, once).
    // `onnotify` is postgres.js's own option (its listen() is built on it) but not in its types.
    const options: PostgresOptions<Record<string, never>> & { onnotify: (channel: string, payload: string) => void } = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: 0,
      fetch_types: false,
      onnotice: () => {},
      connect_timeout: 5,
      onnotify: (channel: string, payload: string) => {
        if (channel === EVENTS_CHANNEL && payload === schema) void this.#poll();
      },
      onclose: () => this.#relistenLater(),
    };
    const sql = postgres(url.toString(), options);
    this.#sql = sql;
    this.#unlisten = () => {
      this.#closed = true;
      if (this.#retry !== null) clearTimeout(this.#retry);
      return sql.end({ timeout: 1 });
    };
    await this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    if (this.#closed || this.#sql === null) return;
    try {
      await this.#sql`listen ${this.#sql(EVENTS_CHANNEL)}`;
      this.#listenFailures = 0;
    } catch {
      this.#relistenLater();
    }
  }

  #relistenLater(): void {
    if (this.#closed || this.#retry !== null) return;
    const pause = Math.min(LISTEN_RETRY_MAX_MS, LISTEN_RETRY_FIRST_MS * 2 ** this.#listenFailures);
    this.#listenFailures += 1;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#subscribe();
    }, pause);
    this.#retry.unref();
  }
}
