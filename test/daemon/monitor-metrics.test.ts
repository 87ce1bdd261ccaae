/**
 * The health monitor's series on a real daemon's /metrics (PostgreSQL, simulated gateways over
 * HTTP, a manual clock): checks by result and error class, their durations, leases taken, a lease
 * lost to another daemon, and how far behind its schedule the monitor ran.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HealthMonitor, type RoundReport } from '../../src/services/health-monitor.js';
import { NET_BUCKET_MS } from '../../src/services/health-safety-nets.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { http, startTestDaemon, type TestDaemon } from './support.js';

/** Long enough that the adapter's own (wall-clock) timeout never fires: the manual clock's safety net does. */
const TIMEOUT = 600_000;
const LATE_MS = 7_250;

describe('health monitor metrics', () => {
  let d: TestDaemon;
  let sim: GatewaySimulator;
  let report: RoundReport;
  let expectedLag: number;
  let text: string;

  const leaseOwner = async (name: string) =>
    (await d.runtime.store.db.selectFrom('gateways').select('lease_owner').where('name', '=', name).executeTakeFirstOrThrow()).lease_owner;
  const checkedAt = async (name: string) =>
    (await d.runtime.store.db.selectFrom('gateways').select('last_checked_at').where('name', '=', name).executeTakeFirstOrThrow()).last_checked_at;

  beforeAll(async () => {
    d = await startTestDaemon({ prefix: 'monmetrics' });
    sim = await startGatewaySimulator({ gateways: [{ name: 'up' }, { name: 'down' }, { name: 'stalled' }] });
    for (const name of ['up', 'down', 'stalled']) {
      const registered = await http(d.url, 'POST', '/api/v1/gateways', { body: { name, gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf(name) } } });
      expect(registered.status, registered.text).toBe(201);
    }
    sim.setFaults('down', { down: true });
    sim.setFaults('stalled', { hang: true });

    const { db, codec } = d.runtime.store;
    const due = await db.selectFrom('gateways').select('next_check_at').orderBy('next_check_at').execute();
    const oldest = codec.readTime(due[0]!.next_check_at).getTime();
    const clock = new ManualClock(oldest + LATE_MS);
    expectedLag = LATE_MS / 1000;
    const monitor = new HealthMonitor({
      deps: d.runtime.deps,
      clock,
      intervalMs: 30_000,
      timeoutMs: TIMEOUT,
      concurrency: 4,
      thresholds: { unhealthyThreshold: 3, healthyThreshold: 2 },
      logger: { warn: () => {}, info: () => {}, debug: () => {} },
      observer: d.daemon.metrics.monitor,
    });
    const round = monitor.runRound();
    // Another daemon takes 'stalled' over while its check hangs: the result must be refused.
    await vi.waitFor(async () => expect(await leaseOwner('stalled')).toBe(monitor.ownerId), { timeout: 20_000 });
    await db.updateTable('gateways').set({ lease_owner: 'another-daemon' }).where('name', '=', 'stalled').execute();
    // The other two stored first, so the safety net below times out only the hanging check.
    await vi.waitFor(async () => expect((await checkedAt('up')) !== null && (await checkedAt('down')) !== null).toBe(true), { timeout: 20_000 });
    clock.advance(NET_BUCKET_MS);
    clock.advance(TIMEOUT + 1000);
    report = await round;
    text = (await http(d.url, 'GET', '/metrics')).text;
  });
  afterAll(async () => {
    await sim?.close();
    await d?.close();
  });

  const value = (series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    expect(line, `${series} in /metrics`).toBeDefined();
    return Number(line!.slice(series.length + 1));
  };

  it('counts checks by result and error class, and times them', () => {
    expect(report.checked).toBe(3);
    expect(value('agentgw_monitor_checks_total{result="healthy",error_class="none"}')).toBe(1);
    expect(value('agentgw_monitor_checks_total{result="unhealthy",error_class="network"}')).toBe(1);
    expect(value('agentgw_monitor_checks_total{result="unhealthy",error_class="timeout"}')).toBe(1);
    // Series that saw nothing are there at zero, so a rate() has a baseline.
    expect(value('agentgw_monitor_checks_total{result="unhealthy",error_class="dns"}')).toBe(0);
    expect(value('agentgw_monitor_check_duration_seconds_count{result="healthy"}')).toBe(1);
    expect(value('agentgw_monitor_check_duration_seconds_count{result="unhealthy"}')).toBe(2);
    expect(value('agentgw_monitor_check_duration_seconds_bucket{le="+Inf",result="healthy"}')).toBe(1);
  });

  it('counts the leases taken and the one lost to another daemon', () => {
    expect(value('agentgw_monitor_leases_taken_total')).toBe(3);
    expect(report.lost).toBe(1);
    expect(value('agentgw_monitor_lease_losses_total{reason="fenced"}')).toBe(1);
    expect(value('agentgw_monitor_lease_losses_total{reason="write_failed"}')).toBe(0);
  });

  it('reports how long the most overdue gateway had been due at the last claim', () => {
    expect(value('agentgw_monitor_lag_seconds')).toBe(expectedLag);
  });
});
