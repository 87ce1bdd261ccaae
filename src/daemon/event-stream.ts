/**
 * One Server-Sent Events stream of the event log: `id:` the event id, `event:` its type, `data:`
 * the event JSON. It starts after the client's Last-Event-ID (or, without one, after the newest
 * event, or at `since`), reads what is new whenever the log grows, and never hands out an id at
 * or below one it already sent: with ids committed in order (events.ts), a resume has no gap and
 * no duplicate. An idle stream gets a comment every `heartbeatMs`.
 */
import type { ServerResponse } from 'node:http';
import type { AgentgwEvent } from '../domain/events.js';
import type { EventService, ResolvedEventQuery } from '../services/events.js';
import type { EventWakeups } from '../store/event-wakeups.js';

export interface EventStreamOptions {
  service: EventService;
  filter: ResolvedEventQuery;
  /** Events after this id are sent. */
  afterId: number | undefined;
  wakeups: EventWakeups;
  heartbeatMs: number;
  onError: (error: unknown) => void;
  /** The stream ends after sending an event this says ends it (its own token revoked). */
  endsWith?: (event: AgentgwEvent) => boolean;
}

/** Events read per statement while catching up. */
const BATCH = 500;
/** How soon a stream whose read failed reads again. */
const RETRY_MS = 1000;

export class EventStream {
  #afterId: number | undefined;
  #reading = false;
  #again = false;
  #closed = false;
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: EventStreamOptions,
  ) {
    this.#afterId = options.afterId;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // nginx and friends must not hold events back to fill a buffer.
      'x-accel-buffering': 'no',
    });
    // Tells the client its retry delay, and gets the headers out before the first event.
    response.write('retry: 2000\n\n');
    this.#unsubscribe = options.wakeups.subscribe(() => void this.read());
    this.#heartbeat = setInterval(() => response.write(': heartbeat\n\n'), options.heartbeatMs);
    response.on('close', () => this.close());
    void this.read();
  }

  /** Sends whatever is new; a wake-up during a read makes it read once more. */
  async read(): Promise<void> {
    if (this.#closed) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    try {
      do {
        this.#again = false;
        let events: AgentgwEvent[];
        do {
          events = await this.options.service.after({ ...this.options.filter, limit: BATCH }, this.#afterId);
          for (const event of events) {
            if (this.#closed) return;
            const writable = this.response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
            this.#afterId = event.id;
            if (this.options.endsWith?.(event)) {
              this.close();
              return;
            }
            if (!writable) {
              await new Promise((resolve) => {
                this.response.once('drain', resolve);
                this.response.once('close', resolve);
              });
            }
          }
        } while (events.length === BATCH && !this.#closed);
      } while (this.#again && !this.#closed);
    } catch (error) {
      // The database is away: the stream keeps its place and tries again shortly.
      this.options.onError(error);
      setTimeout(() => void this.read(), RETRY_MS).unref();
    } finally {
      this.#reading = false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    if (!this.response.writableEnded) this.response.end();
  }
}
