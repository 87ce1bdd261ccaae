// Issue 3's figure: one health check of each of 1,000 simulated gateways (50 ms latency each),
// 100 at a time, through the on-premise adapter (its HTTP client, egress policy) — total
// time against the floor N × latency / C. The latency in the floor is measured in the same run:
// the median of checks made one at a time, i.e. what a single check costs on this machine
// (the simulator's 50 ms plus loopback HTTP); the nominal floor (50 ms) is reported beside it.
// Target: ≤ 1.5× the floor, no failed check.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { percentile, median, round } from './support.mjs';
import { importSources, pool, startSimulator } from './source.mjs';

const silent = { warn: () => {}, info: () => {}, debug: () => {} };

export async function run({ gateways = 1000, latencyMs = 50, concurrency = 100 } = {}) {
  const { factory, load } = await importSources({ factory: 'src/adapters/factory.ts', load: 'src/config/load.ts' });
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-bench-checks-'));
  const sim = await startSimulator(gateways, latencyMs);
  let adapter;
  try {
    const { config } = await load.loadConfig({ cwd: dir, env: { AGENTGW_CONFIG_DIR: join(dir, 'none') }, flags: {} });
    adapter = await factory.createAdapter(config, silent, dir);
    const targets = Array.from({ length: gateways }, (_, i) => {
      const name = `gw-${i + 1}`;
      const controlPlaneUrl = sim.urlOf(name);
      return {
        uuid: name,
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
    });
    const check = async (target) => {
      const started = performance.now();
      const health = await adapter.checkHealth(target, { timeoutMs: config.gateway.adapter.onPremise.healthCheck.timeout });
      return { healthy: health.healthy, ms: performance.now() - started };
    };

    // The baseline: checks one at a time (after a few to warm the JIT and open a socket).
    for (const target of targets.slice(0, 5)) await check(target);
    const single = [];
    for (const target of targets.slice(5, 45)) single.push((await check(target)).ms);
    const latency = median(single);

    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const results = await pool(targets, concurrency, check);
    const totalMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;

    const floorMs = (gateways * latency) / concurrency;
    const nominalFloorMs = (gateways * latencyMs) / concurrency;
    return {
      gateways,
      concurrency,
      latencyMs,
      singleCheckMedianMs: round(latency),
      totalMs: round(totalMs),
      floorMs: round(floorMs),
      ratio: round(totalMs / floorMs),
      nominalFloorMs: round(nominalFloorMs),
      ratioToNominalFloor: round(totalMs / nominalFloorMs),
      p99CheckMs: round(percentile(results.map((r) => r.ms), 99)),
      // This process's CPU over the concurrent checks (the simulator runs in its own): the client's cost.
      cpuMs: round(cpuMs),
      cpuPerCheckUs: round((cpuMs * 1000) / gateways),
      transport: process.env.AGENTGW_BENCH_TRANSPORT ?? 'node-http',
      failedChecks: results.filter((r) => !r.healthy).length,
      target: 'ratio ≤ 1.5, failedChecks = 0',
      loadAverage: round(loadavg()[0]),
      pass: totalMs / floorMs <= 1.5 && results.every((r) => r.healthy),
    };
  } finally {
    await adapter?.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
