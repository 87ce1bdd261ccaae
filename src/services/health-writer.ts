/**
 * Stores the health monitor's results in batches (one statement on PostgreSQL, one transaction
 * on SQLite), fenced by the lease (see `health-leases.ts`), and tells the round, the observer and
 * the log what came of them.
 *
 * When a batch is written: a result waits up to `delayMs` for others to share its write, unless
 * `maxBatch` of them are waiting or someone hurries it (a round in a test, a stop). A daemon whose
 * checks are spread over the interval finishes them one by one; written one by one, each would
 * cost a statement (and most of a check's CPU). While a write is in flight the next results
 * gather. `delayMs` is what a status change may wait before it is stored: at most a poll.
 *
 * @example
 * const writer = new HealthResultWriter({ leases, ownerId, maxBatch: 500, delayMs: 1000, clock: systemClock, logger, observer });
 * writer.add(result, 'edge-1', null);
 * await writer.settled();
 */
import type { AdapterLogger } from '../adapters/adapter.js';
import type { CheckResult, HealthLeaseRepository } from '../store/repositories/health-leases.js';
import type { RoundReport } from './health-monitor.js';
import type { MonitorObserver } from './health-observer.js';
import type { MonitorClock } from './health-scheduler.js';

export interface HealthResultWriterOptions {
  leases: HealthLeaseRepository;
  ownerId: string;
  maxBatch: number;
  /** On the monitor's clock, like the leases the delay must stay well inside. */
  delayMs: number;
  clock: MonitorClock;
  logger: AdapterLogger;
  observer: MonitorObserver;
}

interface Pending {
  result: CheckResult;
  name: string;
  round: RoundReport | null;
}

export class HealthResultWriter {
  #pending: Pending[] = [];
  #writing: Promise<void> | null = null;
  /** Ends the delay of a batch not yet started; null while none is delayed. */
  #hurry: (() => void) | null = null;
  /** A queued result asked to be written without delay. */
  #urgent = false;

  constructor(private readonly options: HealthResultWriterOptions) {}

  /** Queues a result; `round` (when a round runs) is told what came of it. `now`: write without waiting. */
  add(result: CheckResult, name: string, round: RoundReport | null, now = false): void {
    this.#pending.push({ result, name, round });
    if (now) this.#urgent = true;
    if (this.#urgent || this.#pending.length >= this.options.maxBatch) this.hurry();
    this.#schedule();
  }

  /** Writes what waits without further delay. */
  hurry(): void {
    this.#hurry?.();
  }

  /** Resolves when every queued result is written (or failed to be). */
  async settled(): Promise<void> {
    while (this.#writing !== null || this.#pending.length > 0) {
      this.#urgent = true;
      if (this.#writing === null) this.#schedule();
      this.hurry();
      await this.#writing;
    }
  }

  #schedule(): void {
    if (this.#writing !== null || this.#pending.length === 0) return;
    const quick = this.#urgent || this.#pending.length >= this.options.maxBatch || this.options.delayMs <= 0;
    this.#writing = new Promise<void>((resolve) => {
      // Not delayed: still the next turn of the event loop, so results finishing together share it.
      if (quick) return setImmediate(resolve);
      const cancel = this.options.clock.schedule(this.options.delayMs, () => {
        this.#hurry = null;
        resolve();
      });
      this.#hurry = () => {
        this.#hurry = null;
        cancel();
        setImmediate(resolve);
      };
    })
      .then(() => this.#writeAll())
      .finally(() => {
        this.#writing = null;
        this.#schedule();
      });
  }

  async #writeAll(): Promise<void> {
    while (this.#pending.length > 0) {
      this.#urgent = false;
      await this.#write(this.#pending.splice(0, this.options.maxBatch));
    }
  }

  async #write(batch: Pending[]): Promise<void> {
    const { leases, ownerId, logger, observer } = this.options;
    try {
      const report = await leases.complete(
        ownerId,
        batch.map((b) => b.result),
      );
      const rounds = new Set(batch.map((b) => b.round));
      for (const round of rounds) if (round !== null) round.writeBatches += 1;
      const applied = new Set(report.applied);
      const superseded = new Set(report.superseded);
      for (const { result, name, round } of batch) {
        if (round !== null && superseded.has(result.uuid)) round.superseded += 1;
        else if (round !== null && !applied.has(result.uuid)) round.lost += 1;
        if (result.status === result.previousStatus || !applied.has(result.uuid)) continue;
        if (round !== null) round.transitions += 1;
        logger.info(`gateway ${name}: ${result.previousStatus} → ${result.status} (${result.transitionReason ?? ''})`, {
          gatewayId: result.uuid,
          from: result.previousStatus,
          to: result.status,
          errorClass: result.errorClass,
        });
      }
      if (report.lost.length > 0) {
        observer.leasesLost(report.lost.length, 'fenced');
        logger.debug(`health monitor: ${report.lost.length} result(s) refused: lease lost or gateway deleted`);
      }
    } catch (error) {
      // The leases stay until their TTL; the gateways are then checked again.
      for (const { round } of batch) if (round !== null) round.lost += 1;
      observer.leasesLost(batch.length, 'write_failed');
      logger.warn(`health monitor: could not store ${batch.length} health check result(s)`, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
