// Issue 20's figures. (1) The health monitor's 10,000-gateway round on PostgreSQL where every
// check is a status change (INACTIVE → ACTIVE, healthyThreshold 1): the worst case for the event
// log, since each check then writes a gateway.status_changed event in its batch's statement. The
// baseline is the same round with the event rows dropped by a BEFORE INSERT trigger (the ordering
// lock and the NOTIFY still run: they are part of the code path either way). Rounds alternate,
// five each; medians and bests are compared. Target: ≤ 1.05×. (2) 1,000 idle event-stream clients
// (in a child process) against a daemon in this process: the daemon's RSS growth after GC.
// Target: ≤ 50 MB.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import postgres from 'postgres';
import { seed } from './health-monitor.mjs';
import { importSources, startSimulator } from './source.mjs';
import { median, round } from './support.mjs';

const POSTGRES = process.env.AGENTGW_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const silent = { warn: () => {}, info: () => {}, debug: () => {} };
const mb = (bytes) => round(bytes / 1024 / 1024, 1);

export async function run({ gateways = 10_000, latencyMs = 50, concurrency = 200, rounds = 5, clients = 1000 } = {}) {
  const src = await importSources({
    runtime: 'src/runtime/runtime.ts',
    load: 'src/config/load.ts',
    monitor: 'src/services/health-monitor.ts',
    server: 'src/daemon/server.ts',
  });
  const schema = `bench_events_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-bench-events-'));
  const sim = await startSimulator(gateways, latencyMs);
  const sql = postgres(`${POSTGRES}`, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  let runtime;
  try {
    const { config } = await src.load.loadConfig({
      cwd: dir,
      env: { AGENTGW_CONFIG_DIR: join(dir, 'none') },
      flags: { 'database.url': `${POSTGRES}?schema=${schema}`, 'server.maxConnections': '4000' },
    });
    runtime = await src.runtime.openRuntime({ config, logger: silent, migrate: true });
    const names = Array.from({ length: gateways }, (_, i) => `gw-${i + 1}`);
    await seed(runtime.store, names, sim, 'INACTIVE');
    await sql.unsafe(`create function bench_drop_event() returns trigger language plpgsql as $$ begin return null; end $$`);
    const monitorOptions = {
      deps: runtime.deps,
      intervalMs: 30_000,
      timeoutMs: 5000,
      concurrency,
      thresholds: { unhealthyThreshold: 3, healthyThreshold: 1 },
      logger: silent,
    };
    const round_ = async (events) => {
      await sql.unsafe(`update gateways set status = 'INACTIVE', consecutive_successes = 0, next_check_at = now()`);
      if (!events) await sql.unsafe(`create trigger bench_drop_event before insert on events for each row execute function bench_drop_event()`);
      const before = Number((await sql.unsafe(`select count(*) as n from events`))[0].n);
      globalThis.gc?.();
      const started = performance.now();
      const report = await new src.monitor.HealthMonitor(monitorOptions).runRound();
      const ms = performance.now() - started;
      const written = Number((await sql.unsafe(`select count(*) as n from events`))[0].n) - before;
      if (!events) await sql.unsafe(`drop trigger bench_drop_event on events`);
      return { ms, transitions: report.transitions, written };
    };
    await round_(true); // warm-up: connections, JIT, the simulator's sockets
    const on = [];
    const off = [];
    for (let i = 0; i < rounds; i++) {
      off.push(await round_(false));
      on.push(await round_(true));
    }
    const onMs = median(on.map((r) => r.ms));
    const offMs = median(off.map((r) => r.ms));

    const idle = await idleStreams(src.server, config, runtime, clients);
    const result = {
      gateways,
      concurrency,
      monitorRound: {
        transitionsPerRound: on[0].transitions,
        eventsWrittenPerRound: on[0].written,
        eventsWrittenBaseline: off[0].written,
        withEventsMs: on.map((r) => round(r.ms)),
        withoutEventsMs: off.map((r) => round(r.ms)),
        medianWithMs: round(onMs),
        medianWithoutMs: round(offMs),
        ratio: round(onMs / offMs, 3),
        // The fastest of each: the least disturbed by the other work on a shared machine.
        bestWithMs: round(Math.min(...on.map((r) => r.ms))),
        bestWithoutMs: round(Math.min(...off.map((r) => r.ms))),
        bestRatio: round(Math.min(...on.map((r) => r.ms)) / Math.min(...off.map((r) => r.ms)), 3),
      },
      idleStreams: idle,
      targets: 'monitorRound.ratio ≤ 1.05; idleStreams.rssGrowthMb ≤ 50',
      loadAverage: round(loadavg()[0]),
    };
    result.pass = result.monitorRound.ratio <= 1.05 && idle.rssGrowthMb <= 50 && idle.connected === clients;
    return result;
  } finally {
    await runtime?.close();
    await sim.stop();
    await sql.unsafe(`drop schema if exists "${schema}" cascade`).finally(() => sql.end());
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A daemon in this process; `clients` streams opened by a child process; RSS before and after, each after GC. */
async function idleStreams(server, config, runtime, clients) {
  const daemon = await server.startDaemon({ config, runtime, port: 0, logger: false });
  try {
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        globalThis.gc?.();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return process.memoryUsage.rss();
    };
    const before = await settle();
    const script = `
      const http = require('node:http');
      const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
      let ok = 0;
      for (let i = 0; i < ${clients}; i++) {
        http.get(${JSON.stringify(`${daemon.url}/api/v1/events/stream`)}, { agent }, (res) => {
          if (res.statusCode === 200 && ++ok === ${clients}) process.stdout.write('connected ' + ok + '\\n');
          res.resume();
        }).on('error', (e) => process.stderr.write(e.message + '\\n'));
      }
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const connected = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(0), 60_000);
      child.stdout.on('data', (chunk) => {
        const match = /connected (\d+)/.exec(String(chunk));
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    // Idle for a few heartbeats' worth of polls.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await settle();
    child.kill('SIGKILL');
    return { clients, connected, rssBeforeMb: mb(before), rssAfterMb: mb(after), rssGrowthMb: mb(after - before), perClientKb: round((after - before) / 1024 / clients, 1) };
  } finally {
    await daemon.close();
  }
}
