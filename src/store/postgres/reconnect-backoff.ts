/**
 * How soon a lost PostgreSQL is tried again. Without a pause every request tried to connect on
 * its own — 181 connection attempts in 20 s while a database was down, enough for one coming
 * back to answer "too many clients". After a connection is lost, requests fail at once (503)
 * for a pause; then a single request goes through as the probe. If it reaches the database,
 * everyone may again; if not, the next pause is twice as long, up to `maxMs`. Pauses are
 * jittered (between half and all of their length) so that replicas do not probe in step.
 *
 * @example
 * const backoff = new ReconnectBackoff({ initialMs: 50, maxMs: 1000 });
 * const admitted = backoff.admit(); // 'go' | 'probe' | 'wait'
 */
export interface ReconnectBackoffOptions {
  /** The first pause after a loss. */
  initialMs: number;
  /** The longest pause: also how late a database that came back may be noticed. */
  maxMs: number;
  now?: () => number;
  random?: () => number;
}

export type Admission = 'go' | 'probe' | 'wait';

export class ReconnectBackoff {
  /** Failed tries in a row; 0 while the database is reachable. */
  #failures = 0;
  #retryAt = 0;
  #probing = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: ReconnectBackoffOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Whether a caller may use the database: freely, as the one probe, or not yet. */
  admit(): Admission {
    if (this.#failures === 0) return 'go';
    if (this.#probing || this.now() < this.#retryAt) return 'wait';
    this.#probing = true;
    return 'probe';
  }

  /** The database answered. Only the probe's answer ends a pause: others may be stragglers. */
  reached(probe: boolean): void {
    if (!probe) return;
    this.#failures = 0;
    this.#probing = false;
  }

  /**
   * A caller lost its connection. While a pause is on, only the probe's failure lengthens it: the
   * queries that were in flight when the database went fail together, and count once.
   */
  lost(probe: boolean): void {
    if (this.#failures > 0 && !probe) return;
    this.#failures += 1;
    this.#probing = false;
    const pause = Math.min(this.options.maxMs, this.options.initialMs * 2 ** (this.#failures - 1));
    this.#retryAt = this.now() + pause * (0.5 + this.random() / 2);
  }

  /** Milliseconds until the next probe may go (0 when none is due to wait). */
  get waitMs(): number {
    return this.#failures === 0 ? 0 : Math.max(0, this.#retryAt - this.now());
  }
}
