/**
 * The health monitor's safety nets: a check whose adapter outlives its own timeout is given up
 * on, and its adapter call aborted, `afterMs` (timeout + grace) after it started. Checks that
 * start within one `bucketMs` share a net, one timer and one AbortController, rather than each
 * having its own: the monitor makes ~1,000 checks a second per daemon, and an AbortController
 * with its listener and a timer per check were a twentieth of a check's CPU.
 *
 * A net fires `afterMs + bucketMs` after it was opened, so a check is given up on between
 * `afterMs` and `afterMs + bucketMs` after it started: never sooner than `afterMs`. When it fires,
 * every check still held is told (`onTimeout`), and then the shared signal is aborted; a check
 * released before then is neither told nor aborted (a net whose checks all finished aborts
 * nothing).
 *
 * @example
 * const nets = new SafetyNets(systemClock, timeoutMs + 1000);
 * const net = nets.hold(onTimeout);
 * adapter.checkHealth(target, { timeoutMs, signal: net.signal }).then((health) => { net.release(onTimeout); … });
 */
import { setMaxListeners } from 'node:events';
import type { MonitorClock } from './health-scheduler.js';

/** How long one net takes new checks: the most a check's net fires past `afterMs`. */
export const NET_BUCKET_MS = 100;

export class SafetyNet {
  readonly #controller = new AbortController();
  /** The checks held, by their `onTimeout`. */
  readonly #held = new Set<() => void>();
  /** Cancels the firing timer; null once it fired or was cancelled. */
  #cancelFiring: (() => void) | null = null;
  #closed = false;

  constructor() {
    // Each check's adapter call listens on it: past the default 10 listeners Node would warn of
    // a leak (with an inspect of the signal) on every net.
    setMaxListeners(0, this.#controller.signal);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Sets the timer that fires the net: `ms` from now. */
  arm(clock: MonitorClock, ms: number): void {
    this.#cancelFiring = clock.schedule(ms, () => this.#fire());
  }

  hold(onTimeout: () => void): void {
    this.#held.add(onTimeout);
  }

  /** The check finished: it is no longer given up on, nor aborted. */
  release(onTimeout: () => void): void {
    this.#held.delete(onTimeout);
    if (this.#closed && this.#held.size === 0) this.#cancel();
  }

  /**
   * Closed to new checks. The last check out of a closed net cancels its timer, so a stopped
   * monitor leaves none behind to hold the process open.
   */
  close(): void {
    this.#closed = true;
    if (this.#held.size === 0) this.#cancel();
  }

  #cancel(): void {
    this.#cancelFiring?.();
    this.#cancelFiring = null;
  }

  /** Gives up on every check still held, then aborts their adapter calls. */
  #fire(): void {
    this.#cancelFiring = null;
    const held = [...this.#held];
    this.#held.clear();
    for (const onTimeout of held) onTimeout();
    this.#controller.abort();
  }
}

export class SafetyNets {
  /** The net new checks join; null when none is open. */
  #open: SafetyNet | null = null;

  constructor(
    private readonly clock: MonitorClock,
    private readonly afterMs: number,
    private readonly bucketMs = NET_BUCKET_MS,
  ) {}

  /** Holds a check starting now in the open net (opening one if none is), and returns that net. */
  hold(onTimeout: () => void): SafetyNet {
    let net = this.#open;
    if (net === null) {
      const opened = (net = this.#open = new SafetyNet());
      // Open for bucketMs; fired afterMs after that, when the last check to join has had afterMs.
      opened.arm(this.clock, this.bucketMs + this.afterMs);
      this.clock.schedule(this.bucketMs, () => {
        this.#open = null;
        opened.close();
      });
    }
    net.hold(onTimeout);
    return net;
  }
}
