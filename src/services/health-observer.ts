/**
 * What the health monitor tells whoever watches it (the daemon's /metrics): each check's result,
 * the leases it takes and loses, and how far behind its schedule it runs. Called on the hot path
 * (once per check), so implementations must be cheap and must not throw.
 *
 * @example
 * const monitor = createHealthMonitor(deps, config, { observer: daemon.metrics.monitor });
 */
import type { HealthErrorClass } from '../domain/types.js';

export interface MonitorObserver {
  /** One check finished: healthy or not, its error class (null when none), how long the adapter took. */
  checked(healthy: boolean, errorClass: HealthErrorClass | null, seconds: number): void;
  /** Gateways leased by one claim. */
  leasesTaken(count: number): void;
  /**
   * Results not stored because the lease was gone: `fenced` when the write was refused (the lease
   * ran out and another daemon took the gateway over, or the gateway was deleted), `write_failed`
   * when the write itself failed (the leases then run out and the gateways are checked again).
   */
  leasesLost(count: number, reason: 'fenced' | 'write_failed'): void;
  /**
   * At a claim: how long the most overdue gateway it took had been due, in seconds (0 when
   * nothing was overdue). Near the poll interval when the monitor keeps up; growing when not.
   */
  lag(seconds: number): void;
}

export const quietObserver: MonitorObserver = {
  checked: () => {},
  leasesTaken: () => {},
  leasesLost: () => {},
  lag: () => {},
};
