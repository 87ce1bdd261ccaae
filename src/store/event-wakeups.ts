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
import type { Store } from './database.js';

export interface EventWakeupOptions {
  /** How often the newest id is read (default: 200 ms on SQLite, 1 s on PostgreSQL). */
  pollMs?: number;
}

type Listener = () => void;

export class EventWakeups {
  readonly #listeners = new Set<Listener>();
  #latest = 0;
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #unlisten: (() => Promise<void>) | null = null;

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
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      // postgres.js listens again by itself after a reconnect; the poll covers the gap.
      await sql.listen(EVENTS_CHANNEL, (payload) => {
        if (payload === schema) void this.#poll();
      });
      this.#unlisten = () => sql.end({ timeout: 1 });
    } catch {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
}
