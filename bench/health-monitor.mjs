// Issue 4's figures: one round of the health monitor over 10,000 simulated gateways (50 ms
// latency each) at concurrency 200, on PostgreSQL, in this process (the "daemon": runtime,
// adapter, monitor; the simulator runs in its own process). Reported: the round's duration
// against the floor N × latency / C, the p99 of a check, false failures, and RSS (peak of this
// process, and its growth over the round). Then the same with 10% of the gateways hanging,
// against the floor (N_ok × latency + N_hung × timeout) / C.
//
// The latency in the floors is measured in the same run (median of checks made one at a time:
// the simulator's 50 ms plus loopback HTTP), and so is a plain node:http client at the same
// concurrency over the same gateways: what this machine, right now, allows any client.
// Targets: ≤ 10 s, no false failure, RSS ≤ 250 MB; with hanging gateways ≤ 1.25× the floor.
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import postgres from 'postgres';
import { median, percentile, round } from './support.mjs';
import { importSources, pool, rssSampler, startSimulator } from './source.mjs';

const POSTGRES = process.env.AGENTGW_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORGANIZATION = '00000000-0000-4000-8000-000000000001';
const silent = { warn: () => {}, info: () => {}, debug: () => {} };
const mb = (bytes) => round(bytes / 1024 / 1024, 1);

export async function run({ gateways = 10_000, latencyMs = 50, concurrency = 200, hungFraction = 0.1, timeoutMs = 5000 } = {}) {
  const src = await importSources({
    runtime: 'src/runtime/runtime.ts',
    load: 'src/config/load.ts',
    monitor: 'src/services/health-monitor.ts',
  });
  const schema = `bench_monitor_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-bench-monitor-'));
  const sim = await startSimulator(gateways, latencyMs);
  const names = Array.from({ length: gateways }, (_, i) => `gw-${i + 1}`);
  let runtime;
  try {
    const { config } = await src.load.loadConfig({
      cwd: dir,
      env: { AGENTGW_CONFIG_DIR: join(dir, 'none') },
      flags: { 'database.url': `${POSTGRES}?schema=${schema}`, 'gateway.adapter.onPremise.healthCheck.timeout': `${timeoutMs}ms` },
    });
    runtime = await src.runtime.openRuntime({ config, logger: silent, migrate: true });
    const uuids = await seed(runtime.store, names, sim);

    const latency = await singleCheckLatency(runtime.adapter, names.slice(0, 45).map((name) => target(uuids.get(name), name, sim)), timeoutMs);
    const rawHttpMs = await rawHttpRound(names, sim, concurrency);

    const monitorOptions = {
      deps: runtime.deps,
      intervalMs: 30_000,
      timeoutMs,
      concurrency,
      thresholds: { unhealthyThreshold: 3, healthyThreshold: 2 },
      logger: silent,
    };

    // 1. Every gateway healthy.
    globalThis.gc?.();
    const rssBefore = process.memoryUsage.rss();
    const sampler = rssSampler();
    let started = performance.now();
    const cpuBefore = process.cpuUsage();
    const healthy = await new src.monitor.HealthMonitor(monitorOptions).runRound();
    const durationMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const rssPeak = sampler.stop();
    const floorMs = (gateways * latency) / concurrency;

    // 2. Every tenth gateway hangs until the timeout.
    const hung = names.filter((_, i) => i % Math.round(1 / hungFraction) === Math.round(1 / hungFraction) - 1);
    await pool(hung, 50, (name) => sim.setFaults(name, { hang: true }));
    await runtime.store.db.updateTable('gateways').set({ next_check_at: new Date() }).execute();
    started = performance.now();
    const hanging = await new src.monitor.HealthMonitor(monitorOptions).runRound();
    const hangingMs = performance.now() - started;
    const hungSet = new Set(hung);
    const hangingFloorMs = ((gateways - hung.length) * latency + hung.length * timeoutMs) / concurrency;
    const failedNames = hanging.checks.filter((check) => !check.healthy).map((check) => check.name);

    const result = {
      gateways,
      concurrency,
      latencyMs,
      timeoutMs,
      singleCheckMedianMs: round(latency),
      round: {
        checked: healthy.checked,
        durationMs: round(durationMs),
        floorMs: round(floorMs),
        ratio: round(durationMs / floorMs),
        nominalFloorMs: round((gateways * latencyMs) / concurrency),
        plainHttpClientMs: round(rawHttpMs),
        ratioToPlainHttpClient: round(durationMs / rawHttpMs),
        p99CheckMs: round(percentile(healthy.checks.map((check) => check.durationMs), 99)),
        falseFailures: healthy.failed,
        writeBatches: healthy.writeBatches,
        // This process's CPU over the round (client, monitor, store; the simulator runs in its own).
        cpuMs: round(cpuMs),
        cpuPerCheckUs: round((cpuMs * 1000) / gateways),
        rssBeforeMb: mb(rssBefore),
        rssPeakMb: mb(rssPeak),
        rssDeltaMb: mb(rssPeak - rssBefore),
      },
      hanging: {
        checked: hanging.checked,
        hung: hung.length,
        durationMs: round(hangingMs),
        floorMs: round(hangingFloorMs),
        ratio: round(hangingMs / hangingFloorMs),
        p99CheckMs: round(percentile(hanging.checks.filter((check) => !hungSet.has(check.name)).map((check) => check.durationMs), 99)),
        failures: failedNames.length,
        falseFailures: failedNames.filter((name) => !hungSet.has(name)).length,
        writeBatches: hanging.writeBatches,
      },
      targets: 'round ≤ 10 s, falseFailures = 0, rssPeakMb ≤ 250; hanging ratio ≤ 1.25',
      // Absolute times on a shared two-core machine depend on what else runs: the 1-minute load.
      loadAverage: round(loadavg()[0]),
      transport: process.env.AGENTGW_BENCH_TRANSPORT ?? 'node-http',
    };
    result.pass =
      durationMs <= 10_000 && healthy.failed === 0 && mb(rssPeak) <= 250 && hangingMs / hangingFloorMs <= 1.25 && result.hanging.falseFailures === 0 && hanging.failed === hung.length;
    return result;
  } finally {
    await runtime?.close();
    await sim.stop();
    const sql = postgres(POSTGRES, { max: 1, onnotice: () => {} });
    await sql.unsafe(`drop schema if exists "${schema}" cascade`).finally(() => sql.end());
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The gateways, stored as if registered now, a thousand rows per insert. */
export async function seed(store, names, sim, status = 'ACTIVE') {
  const now = new Date();
  const uuids = new Map(names.map((name) => [name, randomUUID()]));
  for (let start = 0; start < names.length; start += 1000) {
    const chunk = names.slice(start, start + 1000);
    await store.db
      .insertInto('gateways')
      .values(
        chunk.map((name) => ({
          uuid: uuids.get(name),
          organization_uuid: ORGANIZATION,
          name,
          display_name: name,
          gateway_type: 'EGRESS',
          status,
          status_changed_at: now,
          control_plane_url: sim.urlOf(name),
          adapter_type: 'on-premise',
          adapter_config: store.codec.json({ controlPlaneUrl: sim.urlOf(name), apiBasePath: '/api/management/v1', healthUrl: sim.healthUrlOf(name) }),
          metadata: store.codec.json({}),
          version: 1,
          consecutive_failures: 0,
          consecutive_successes: status === 'ACTIVE' ? 1 : 0,
          next_check_at: now,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  }
  return uuids;
}

function target(uuid, name, sim) {
  const controlPlaneUrl = sim.urlOf(name);
  return {
    uuid,
    name,
    type: 'EGRESS',
    adapterType: 'on-premise',
    controlPlaneUrl,
    endpoint: null,
    region: null,
    adapterConfig: { controlPlaneUrl, apiBasePath: '/api/management/v1', healthUrl: sim.healthUrlOf(name) },
    credentials: {},
    status: 'ACTIVE',
  };
}

/** Median of checks made one at a time through the adapter, after five to warm up. */
async function singleCheckLatency(adapter, targets, timeoutMs) {
  const samples = [];
  for (const [index, t] of targets.entries()) {
    const started = performance.now();
    await adapter.checkHealth(t, { timeoutMs });
    if (index >= 5) samples.push(performance.now() - started);
  }
  return median(samples);
}

/** The same round with a bare keep-alive node:http client and nothing else: the machine's own floor. */
async function rawHttpRound(names, sim, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const get = (url) =>
    new Promise((resolve, reject) => {
      http
        .get(url, { agent }, (response) => {
          response.resume();
          response.on('end', resolve);
        })
        .on('error', reject);
    });
  try {
    const started = performance.now();
    await pool(names, concurrency, (name) => get(sim.healthUrlOf(name)));
    return performance.now() - started;
  } finally {
    agent.destroy();
  }
}
