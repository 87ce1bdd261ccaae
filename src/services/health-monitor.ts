/**
 * The background health monitor of `agentgw serve` (DESIGN §6): every gateway is checked on its
 * cadence (see `health-scheduler.ts`), at most `concurrency` checks at a time, each bounded by
 * `timeout`; results go through the state machine (`health-state.ts`) and are stored in batches.
 *
 * How the work flows:
 * 1. **Claim.** Due gateways are leased from the store (`health-leases.ts`), oldest due first,
 *    into a local queue that is topped up to `2 × concurrency` whenever it falls to
 *    `concurrency`: deep enough that the slots never wait on a claim's round trip, short enough
 *    to bound how long a leased gateway waits. With several daemons on one PostgreSQL, each
 *    claims different rows (SKIP LOCKED), so each gateway is checked by exactly one of them per
 *    cadence.
 * 2. **Check.** A free slot takes the next queued gateway at once. A hanging gateway holds one
 *    slot for at most `timeout` (the adapter's own timeout, with a safety net here for adapters
 *    that ignore it, shared by the checks that start together: `health-safety-nets.ts`); the
 *    other slots carry on.
 * 3. **Store.** Results are written in batches (`health-writer.ts`): while one write is in flight the
 *    next results gather, so a sweep over thousands of gateways costs a few hundred statements.
 *    A write is fenced by the lease and conditional on the status the decision started from.
 *
 * The lease TTL should outlast a gateway's wait in the queue (at most two timeouts: the queue
 * holds two slots' worth) plus its check (one timeout) plus the write; the default is
 * `3 × timeout + min(10 s, interval)`. A write that still comes too late is refused by the fence
 * and costs one extra check, nothing else. A daemon killed mid-check leaves leases that expire
 * after that TTL, and the others take the gateways over on their next poll.
 *
 * @example
 * const monitor = new HealthMonitor({ deps: runtime.deps, intervalMs: 30_000, timeoutMs: 5_000, concurrency: 200, thresholds, logger });
 * monitor.start();
 * // … on shutdown:
 * await monitor.stop();
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { AdapterLogger, HealthStatus } from '../adapters/adapter.js';
import type { AgentgwConfig } from '../config/schema.js';
import { AgentgwError } from '../domain/errors.js';
import type { GatewayStatus, HealthErrorClass } from '../domain/types.js';
import { HealthLeaseRepository, type CheckResult, type ClaimedGateway } from '../store/repositories/health-leases.js';
import type { ServiceDependencies } from './context.js';
import { toTarget } from './credentials.js';
import { cadenceOf, nextCheckDelay, systemClock, type Cadence, type MonitorClock } from './health-scheduler.js';
import { quietObserver, type MonitorObserver } from './health-observer.js';
import { nextHealthState, type HealthThresholds } from './health-state.js';
import { SafetyNets } from './health-safety-nets.js';
import { HealthResultWriter } from './health-writer.js';

export interface HealthMonitorOptions {
  /** The runtime's store, adapter and secret box. */
  deps: Pick<ServiceDependencies, 'store' | 'adapter' | 'secrets'>;
  /** Names this monitor in leases; unique per process. Default: host, pid and a random suffix. */
  ownerId?: string;
  clock?: MonitorClock;
  /** Uniform in [0, 1): drives the ±10% jitter. */
  random?: () => number;
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  /** Default: 3 × timeout + min(10 s, interval) (see the module comment). */
  leaseTtlMs?: number;
  thresholds: HealthThresholds;
  logger: AdapterLogger;
  /** How often an idle monitor looks for due gateways. Default: interval / 10, at most 1 s. */
  pollMs?: number;
  /** Most results stored per write. Default 500. */
  maxBatch?: number;
  /** Longest a result waits for others to share its write (see `health-writer.ts`). Default: `pollMs`. */
  writeDelayMs?: number;
  /** Told of every check, lease and claim (the daemon's /metrics). */
  observer?: MonitorObserver;
}

/** One check of a round, timed with the real (performance) clock whatever the monitor's clock is. */
export interface CheckRecord {
  gatewayId: string;
  name: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  healthy: boolean;
  errorClass: HealthErrorClass | null;
  previousStatus: GatewayStatus;
  status: GatewayStatus;
}

export interface RoundReport {
  checked: number;
  healthy: number;
  failed: number;
  /** Status changes stored (each with its event row). */
  transitions: number;
  /** Results dropped because the gateway's status changed meanwhile. */
  superseded: number;
  /** Results refused because the lease was lost or the gateway deleted. */
  lost: number;
  /** Statements (PostgreSQL) or transactions (SQLite) that stored the results. */
  writeBatches: number;
  checks: CheckRecord[];
}

/** Extra time an adapter gets past `timeout` to report its own timeout before the monitor gives up on it. */
const TIMEOUT_GRACE_MS = 1000;
const DEFAULT_MAX_BATCH = 500;

export function defaultLeaseTtl(timeoutMs: number, intervalMs: number): number {
  return 3 * timeoutMs + Math.min(10_000, intervalMs);
}

export class HealthMonitor {
  readonly ownerId: string;
  readonly leaseTtlMs: number;
  readonly #options: HealthMonitorOptions;
  readonly #leases: HealthLeaseRepository;
  readonly #clock: MonitorClock;
  readonly #random: () => number;
  readonly #cadence: Cadence;
  readonly #pollMs: number;
  readonly #observer: MonitorObserver;

  /** Claimed gateways waiting for a slot; never longer than `2 × concurrency`. */
  #queue: ClaimedGateway[] = [];
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #writer: HealthResultWriter;
  readonly #safetyNets: SafetyNets;
  /** Woken when the queue runs low, a check ends or the monitor stops. */
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #stopping = false;
  readonly #stopSignal = new AbortController();
  #round: RoundReport | null = null;

  constructor(options: HealthMonitorOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError('concurrency must be a whole number ≥ 1');
    if (options.intervalMs <= 0 || options.timeoutMs <= 0) throw new RangeError('interval and timeout must be positive');
    this.#options = options;
    this.ownerId = (options.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`).slice(0, 128);
    this.leaseTtlMs = options.leaseTtlMs ?? defaultLeaseTtl(options.timeoutMs, options.intervalMs);
    this.#leases = new HealthLeaseRepository(options.deps.store);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#cadence = cadenceOf(options.intervalMs, options.thresholds.healthyThreshold);
    this.#pollMs = options.pollMs ?? Math.max(1, Math.min(1000, Math.round(options.intervalMs / 10)));
    this.#observer = options.observer ?? quietObserver;
    this.#safetyNets = new SafetyNets(this.#clock, options.timeoutMs + TIMEOUT_GRACE_MS);
    this.#writer = new HealthResultWriter({
      leases: this.#leases,
      ownerId: this.ownerId,
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      delayMs: options.writeDelayMs ?? this.#pollMs,
      clock: this.#clock,
      logger: options.logger,
      observer: this.#observer,
    });
  }

  /**
   * Runs in the background until {@link stop}. Gateways nobody has been checking (a fresh
   * install, every daemon down for a while) are first spread over one interval.
   */
  start(): void {
    if (this.#loop !== null) throw new Error('the health monitor is already running');
    if (this.#stopping) throw new Error('a stopped health monitor cannot be restarted');
    this.#loop = this.#run();
  }

  /** Stops claiming, waits for the checks in flight and their writes, and gives back unstarted leases. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stopSignal.abort();
    this.#notify();
    await this.#loop;
    const unstarted = this.#queue.splice(0).map((g) => g.uuid);
    await this.#drain();
    try {
      await this.#leases.release(this.ownerId, unstarted);
    } catch (error) {
      this.#options.logger.warn(`health monitor: could not release ${unstarted.length} lease(s); they expire in ${this.leaseTtlMs} ms`, { error: describe(error) });
    }
  }

  /**
   * Checks every gateway due now exactly once (with the other daemons sharing the work) and
   * resolves when their results are stored. For tests and benchmarks; not while started.
   */
  async runRound(): Promise<RoundReport> {
    if (this.#loop !== null) throw new Error('runRound cannot run while the monitor is started');
    if (this.#round !== null) throw new Error('a round is already running');
    const report: RoundReport = { checked: 0, healthy: 0, failed: 0, transitions: 0, superseded: 0, lost: 0, writeBatches: 0, checks: [] };
    this.#round = report;
    const dueBy = this.#clock.now();
    try {
      for (;;) {
        if (this.#queue.length > this.#lowWater()) {
          await this.#waitForWork();
          continue;
        }
        const limit = 2 * this.#options.concurrency - this.#queue.length;
        const claimed = await this.#claim(limit, dueBy);
        if (claimed < limit) break;
      }
    } finally {
      await this.#drain();
      this.#round = null;
    }
    return report;
  }

  async #run(): Promise<void> {
    try {
      const spread = await this.#leases.spreadStale(this.#clock.now(), this.#options.intervalMs, this.#options.deps.adapter.type);
      if (spread > 0) this.#options.logger.info(`health monitor: spread the first checks of ${spread} gateway(s) over one interval`);
    } catch (error) {
      this.#options.logger.warn('health monitor: could not spread the first checks', { error: describe(error) });
    }
    let failures = 0;
    while (!this.#stopping) {
      if (this.#queue.length > this.#lowWater()) {
        await this.#waitForWork();
        continue;
      }
      const limit = 2 * this.#options.concurrency - this.#queue.length;
      let claimed: number;
      try {
        claimed = await this.#claim(limit, this.#clock.now());
        failures = 0;
      } catch (error) {
        failures += 1;
        // Once per outage, not once per poll.
        if (failures === 1) this.#options.logger.warn('health monitor: cannot claim gateways to check; retrying', { error: describe(error) });
        await this.#sleep(Math.min(this.#options.intervalMs, this.#pollMs * 2 ** Math.min(failures, 6)));
        continue;
      }
      // Jittered (mean: pollMs), so daemons polling one database drift past each other and none
      // keeps the phase that lets it find most of the newly due gateways first.
      if (claimed < limit) await this.#sleep(Math.max(1, Math.round(this.#pollMs * (0.5 + this.#random()))));
    }
  }

  /** Leases up to `limit` due gateways into the queue and starts what the slots allow. */
  async #claim(limit: number, dueBy: Date): Promise<number> {
    const now = this.#clock.now();
    const claimed = await this.#leases.claim({
      owner: this.ownerId,
      now,
      dueBy,
      leaseUntil: new Date(now.getTime() + this.leaseTtlMs),
      limit,
      adapterType: this.#options.deps.adapter.type,
    });
    this.#observer.leasesTaken(claimed.length);
    let oldestDue = now.getTime();
    for (const record of claimed) {
      if (record.dueAt !== null && record.dueAt.getTime() < oldestDue) oldestDue = record.dueAt.getTime();
      // Our own lease ran out while the check was still going, and we took it again: the
      // running check's write will settle it.
      if (!this.#inFlight.has(record.uuid)) this.#queue.push(record);
    }
    this.#observer.lag((now.getTime() - oldestDue) / 1000);
    this.#dispatch();
    return claimed.length;
  }

  /** At or below this the queue is topped up: one slots' worth of gateways. */
  #lowWater(): number {
    return this.#options.concurrency;
  }

  #dispatch(): void {
    while (!this.#stopping && this.#inFlight.size < this.#options.concurrency && this.#queue.length > 0) {
      const record = this.#queue.shift()!;
      const check = this.#check(record).finally(() => {
        this.#inFlight.delete(record.uuid);
        this.#dispatch();
      });
      this.#inFlight.set(record.uuid, check);
    }
    if (this.#queue.length <= this.#lowWater()) this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Waits `ms` on the monitor's clock, or until it stops. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#stopSignal.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        signal.removeEventListener('abort', done);
        cancel();
        resolve();
      };
      const cancel = this.#clock.schedule(ms, done);
      signal.addEventListener('abort', done);
    });
  }

  #waitForWork(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      if (this.#stopping) this.#notify();
    });
  }

  async #check(record: ClaimedGateway): Promise<void> {
    const started = performance.now();
    const health = await this.#probe(record);
    const finished = performance.now();
    const checkedAt = this.#clock.now();
    const decision = nextHealthState(record, health, this.#options.thresholds);
    this.#observer.checked(health.healthy, health.errorClass, (finished - started) / 1000);
    const result: CheckResult = {
      uuid: record.uuid,
      previousStatus: record.status,
      status: decision.status,
      checkedAt,
      healthy: health.healthy,
      responseTimeMs: health.responseTimeMs,
      errorMessage: health.errorMessage,
      errorClass: health.errorClass,
      consecutiveFailures: decision.consecutiveFailures,
      consecutiveSuccesses: decision.consecutiveSuccesses,
      transitionReason: decision.transitionReason,
      nextCheckAt: new Date(checkedAt.getTime() + nextCheckDelay(decision, this.#cadence, this.#random)),
      ...(health.endpoint === undefined ? {} : { endpoint: health.endpoint }),
    };
    const round = this.#round;
    if (round !== null) {
      round.checked += 1;
      if (health.healthy) round.healthy += 1;
      else round.failed += 1;
      round.checks.push({
        gatewayId: record.uuid,
        name: record.name,
        startedAt: performance.timeOrigin + started,
        finishedAt: performance.timeOrigin + finished,
        durationMs: finished - started,
        healthy: health.healthy,
        errorClass: health.errorClass,
        previousStatus: record.status,
        status: decision.status,
      });
    }
    // A round (tests, benchmarks) writes at once; the running monitor lets results share writes.
    this.#writer.add(result, record.name, round, round !== null);
  }

  /**
   * One adapter call, which never throws and never outlives timeout + grace (+ the safety nets'
   * bucket: see `health-safety-nets.ts`). One promise settled by whichever comes first, the call
   * or the safety net (not a race of two): this runs per check.
   */
  #probe(record: ClaimedGateway): Promise<HealthStatus> {
    const { adapter, secrets } = this.#options.deps;
    const { timeoutMs } = this.#options;
    return new Promise((resolve) => {
      const timedOut = (): void => resolve(failure(`no answer within ${timeoutMs} ms`, 'timeout', false));
      const net = this.#safetyNets.hold(timedOut);
      const settle = (health: HealthStatus): void => {
        net.release(timedOut);
        resolve(health);
      };
      const thrown = (error: unknown): void => {
        // A thrown error (not a failed check) is a bug or a bad stored config: it needs an operator.
        const permanent = error instanceof AgentgwError && error.status === 400;
        settle(failure(`cannot check the gateway: ${describe(error)}`, null, permanent));
      };
      try {
        adapter.checkHealth(toTarget(record, secrets), { timeoutMs, signal: net.signal }).then(settle, thrown);
      } catch (error) {
        thrown(error);
      }
    });
  }

  /** Waits until nothing is in flight and every result is stored. */
  async #drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
    await this.#writer.settled();
  }
}

/** The monitor `agentgw serve` runs, with the settings of `gateway.adapter.onPremise.healthCheck`. */
export function createHealthMonitor(
  deps: Pick<ServiceDependencies, 'store' | 'adapter' | 'secrets' | 'health' | 'logger'>,
  config: AgentgwConfig,
  overrides: Partial<HealthMonitorOptions> = {},
): HealthMonitor {
  const settings = config.gateway.adapter.onPremise.healthCheck;
  return new HealthMonitor({
    deps,
    intervalMs: settings.interval,
    timeoutMs: settings.timeout,
    concurrency: settings.concurrency,
    thresholds: { unhealthyThreshold: deps.health.unhealthyThreshold, healthyThreshold: deps.health.healthyThreshold },
    logger: deps.logger,
    ...overrides,
  });
}

function failure(message: string, errorClass: HealthErrorClass | null, permanent: boolean): HealthStatus {
  return { healthy: false, permanent, responseTimeMs: null, errorClass, errorMessage: message, checkedAt: new Date() };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
