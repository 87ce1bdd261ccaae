/**
 * A clock that only moves when a test says so: intervals, timeouts and leases of minutes pass in
 * microseconds, and nothing depends on how fast the machine is.
 */
import type { MonitorClock } from '../../src/services/health-scheduler.js';

interface Timer {
  at: number;
  ms: number;
  callback: () => void;
}

export class ManualClock implements MonitorClock {
  #now: number;
  #timers: Timer[] = [];

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Milliseconds since the epoch, for the simulators' `clock` option. */
  readonly millis = (): number => this.#now;

  schedule(ms: number, callback: () => void): () => void {
    const timer: Timer = { at: this.#now + ms, ms, callback };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward and fires every timer whose time has come, earliest first. */
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at);
    this.#timers = this.#timers.filter((t) => t.at > this.#now);
    for (const timer of due) timer.callback();
  }

  /** How many timers of `ms` (any duration when not given) are pending: lets a test wait until a loop is idle. */
  sleeping(ms?: number): number {
    return this.#timers.filter((t) => ms === undefined || t.ms === ms).length;
  }
}
