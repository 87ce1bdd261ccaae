/**
 * A clock that only moves when a test says so: intervals, timeouts and leases of minutes pass in
 * microseconds, and nothing depends on how fast the machine is.
 */
import type { MonitorClock } from '../../src/services/health-scheduler.js';

interface Sleeper {
  at: number;
  ms: number;
  resolve: () => void;
}

export class ManualClock implements MonitorClock {
  #now: number;
  #sleepers: Sleeper[] = [];

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Milliseconds since the epoch, for the simulators' `clock` option. */
  readonly millis = (): number => this.#now;

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        at: this.#now + ms,
        ms,
        resolve: () => {
          signal?.removeEventListener('abort', sleeper.resolve);
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          resolve();
        },
      };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', sleeper.resolve, { once: true });
    });
  }

  /** Moves time forward and wakes every sleeper whose time has come. */
  advance(ms: number): void {
    this.#now += ms;
    for (const sleeper of [...this.#sleepers]) if (sleeper.at <= this.#now) sleeper.resolve();
  }

  /** How many are asleep for `ms` (any duration when not given): lets a test wait until a loop is idle. */
  sleeping(ms?: number): number {
    return this.#sleepers.filter((s) => ms === undefined || s.ms === ms).length;
  }
}
