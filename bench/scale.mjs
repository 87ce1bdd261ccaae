// Issue 22's figures: N simulated gateways (real HTTP, from a few `agentgw dev gateway-sim`
// processes) checked by several `agentgw serve` daemons on one PostgreSQL schema for a few rounds.
// Reported, over the measured window (after one interval of warm-up, in which the first daemon
// spreads the fleet over the interval):
// - per gateway, from the simulators' recorded check times: checked twice within a round (two
//   checks closer than 0.9 × interval, the shortest jittered delay), a round missed (1.8 ×
//   interval or more without a check: room for two), or merely late (more than the longest
//   jittered delay, 1.1 × interval, plus a jittered poll, 1.5 × poll, plus 1 s);
// - per daemon (from its own /metrics and /proc): checks made, its share, CPU µs per check, peak
//   RSS (VmHWM), the largest schedule lag seen, lease losses;
// - PostgreSQL rows inserted/updated per round (pg_stat_user_tables of the bench's schema);
// - checks per second the fleet needs against what the daemons did.
// Knobs (environment): AGENTGW_BENCH_SCALE_GATEWAYS (default 100000), _INTERVAL_MS (30000),
// _ROUNDS (3), _DAEMONS (3), _PER_SIMULATOR (10000), _LATENCY_MS (20), _CONCURRENCY (200);
// AGENTGW_BENCH_CPU_PROF=DIR writes each daemon's V8 CPU profile there (node --cpu-prof).
// Targets: none twice, none missed, each share within ±20% of 1/daemons, ≤ 150 µs/check, RSS ≤ 250 MB.
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { startServer } from './daemon.mjs';
import { pool, startSimulator } from './source.mjs';
import { BIN, round } from './support.mjs';

const DATABASE = process.env.AGENTGW_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';
const knob = (name, fallback) => Number(process.env[`AGENTGW_BENCH_SCALE_${name}`] ?? fallback);
const progress = (message) => process.stderr.write(`  scale: ${message}\n`);

export async function run() {
  const gateways = knob('GATEWAYS', 100_000);
  const intervalMs = knob('INTERVAL_MS', 30_000);
  const rounds = knob('ROUNDS', 3);
  const daemonCount = knob('DAEMONS', 3);
  const perSimulator = knob('PER_SIMULATOR', 10_000);
  const latencyMs = knob('LATENCY_MS', 20);
  const concurrency = knob('CONCURRENCY', 200);
  const cpuProfDir = process.env.AGENTGW_BENCH_CPU_PROF;

  const schema = `bench_scale_${process.pid}`;
  const databaseUrl = `${DATABASE}${DATABASE.includes('?') ? '&' : '?'}schema=${schema}`;
  const home = mkdtempSync(join(tmpdir(), 'agentgw-bench-scale-'));
  const configFile = join(home, 'agentgw.config.yaml');
  writeFileSync(configFile, `gateway:\n  adapter:\n    onPremise:\n      healthCheck:\n        interval: ${intervalMs}ms\n        concurrency: ${concurrency}\n`);
  const env = {
    AGENTGW_LOG_LEVEL: 'warn',
    AGENTGW_CONFIG: configFile,
    AGENTGW_CONFIG_DIR: join(home, 'config'),
    AGENTGW_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    NO_COLOR: '1',
  };
  const serveArgs = [BIN, 'serve', '--port', '0', '--database', databaseUrl];
  const admin = postgres(DATABASE, { max: 1, onnotice: () => {} });
  const sims = [];
  const daemons = [];
  try {
    progress(`${Math.ceil(gateways / perSimulator)} simulator process(es) for ${gateways} gateways`);
    for (let start = 0; start < gateways; start += perSimulator) sims.push({ start, count: Math.min(perSimulator, gateways - start), sim: await startSimulator(Math.min(perSimulator, gateways - start), latencyMs) });

    progress('migrating a fresh schema and writing the fleet');
    await (await startServer([...serveArgs, '--no-monitor'], env)).stop();
    const sql = postgres(DATABASE, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      for (const { start, count, sim } of sims) await seed(sql, sim, start, count);
      await sql`analyze gateways`;
    } finally {
      await sql.end();
    }

    progress(`starting ${daemonCount} daemon(s), interval ${intervalMs} ms`);
    const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(cpuProfDir)}`];
    for (let i = 0; i < daemonCount; i++) daemons.push(await startServer([...profile, ...serveArgs], env));
    // One interval (and a bit) for the spread and the first checks of everything.
    await sleep(intervalMs * 1.1 + 2000);

    const windowStart = Date.now();
    const before = await Promise.all(daemons.map(scrape));
    const rowsBefore = await tableRows(admin, schema);
    const lags = daemons.map(() => 0);
    const windowMs = rounds * intervalMs;
    progress(`measuring ${rounds} rounds (${windowMs / 1000} s)`);
    while (Date.now() - windowStart < windowMs) {
      await sleep(Math.min(2000, windowMs - (Date.now() - windowStart)));
      (await Promise.all(daemons.map(scrape))).forEach((s, i) => (lags[i] = Math.max(lags[i], s.lag)));
    }
    const after = await Promise.all(daemons.map(scrape));
    const windowEnd = Date.now();
    // pg_stat counters reach the view a moment after the statements.
    await sleep(1500);
    const rowsAfter = await tableRows(admin, schema);
    const loadDuringRun = round(loadavg()[0]);
    const peakRssMb = daemons.map((d) => peakRss(d.child.pid));

    progress('reading every gateway’s recorded check times');
    const schedule = await checkSchedule(sims, windowStart, windowEnd, intervalMs);

    const checks = after.map((a, i) => a.checks - before[i].checks);
    const totalChecks = checks.reduce((n, c) => n + c, 0);
    const perDaemon = daemons.map((_, i) => ({
      checks: checks[i],
      share: round(checks[i] / totalChecks, 3),
      cpuMicrosPerCheck: round(((after[i].cpuSeconds - before[i].cpuSeconds) * 1e6) / Math.max(1, checks[i]), 0),
      cpuCoresUsed: round((after[i].cpuSeconds - before[i].cpuSeconds) / ((windowEnd - windowStart) / 1000), 3),
      peakRssMb: peakRssMb[i],
      maxLagSeconds: round(lags[i], 2),
      leaseLosses: after[i].losses - before[i].losses,
    }));
    const cpuAll = after.reduce((n, a, i) => n + a.cpuSeconds - before[i].cpuSeconds, 0);
    const result = {
      gateways,
      simulators: sims.length,
      daemons: daemonCount,
      intervalMs,
      rounds,
      latencyMs,
      concurrency,
      windowSeconds: round((windowEnd - windowStart) / 1000, 1),
      checksPerSecondNeeded: round(gateways / (intervalMs / 1000), 1),
      checksPerSecondDone: round(totalChecks / ((windowEnd - windowStart) / 1000), 1),
      schedule,
      perDaemon,
      cpuMicrosPerCheckAllDaemons: round((cpuAll * 1e6) / Math.max(1, totalChecks), 0),
      postgres: {
        rowsInsertedPerRound: round((rowsAfter.inserted - rowsBefore.inserted) / rounds, 0),
        rowsUpdatedPerRound: round((rowsAfter.updated - rowsBefore.updated) / rounds, 0),
        hotUpdatesPerRound: round((rowsAfter.hot - rowsBefore.hot) / rounds, 0),
      },
      loadAverage1mAtEnd: loadDuringRun,
      targets: 'twice = 0, missed = 0, share within ±20% of 1/daemons, µs/check ≤ 150, peak RSS ≤ 250 MB',
    };
    const fair = 1 / daemonCount;
    result.pass =
      schedule.checkedTwice === 0 &&
      schedule.missedRound === 0 &&
      perDaemon.every((d) => Math.abs(d.share - fair) <= 0.2 * fair && d.peakRssMb <= 250) &&
      result.cpuMicrosPerCheckAllDaemons <= 150;
    return result;
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    await Promise.all(sims.map(({ sim }) => sim.stop()));
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
    rmSync(home, { recursive: true, force: true });
  }
}

/** The simulator's gateways gw-1 … gw-count, stored as bench gateway s{start+i}, overdue and never checked. */
async function seed(sql, sim, start, count) {
  const managementPrefix = sim.urlOf('');
  const [healthPrefix, healthSuffix] = sim.healthUrlOf('\u0000').split('\u0000');
  await sql`
    insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, control_plane_url, status,
                          adapter_config, adapter_type, metadata, version, status_changed_at,
                          consecutive_failures, consecutive_successes, next_check_at, created_at, updated_at)
    select gen_random_uuid(), ${DEFAULT_ORG}, 'gw-' || lpad((${start}::int + i)::text, 6, '0'), 'Gateway ' || (${start}::int + i), 'EGRESS',
           ${managementPrefix} || 'gw-' || i, 'ACTIVE',
           jsonb_build_object('controlPlaneUrl', ${managementPrefix} || 'gw-' || i, 'apiBasePath', '/api/management/v1',
                              'healthUrl', ${healthPrefix} || 'gw-' || i || ${healthSuffix}),
           'on-premise', '{}'::jsonb, 1, now(), 0, 1, now() - interval '1 day', now(), now()
    from generate_series(1, ${count}::int) as i`;
}

/** What a daemon's /metrics says now. */
async function scrape(daemon) {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const sum = (pattern) => [...text.matchAll(pattern)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    cpuSeconds: sum(/^agentgw_process_cpu_seconds_total (\S+)$/gm),
    checks: sum(/^agentgw_monitor_checks_total\{[^}]*\} (\S+)$/gm),
    losses: sum(/^agentgw_monitor_lease_losses_total\{[^}]*\} (\S+)$/gm),
    lag: sum(/^agentgw_monitor_lag_seconds (\S+)$/gm),
  };
}

async function tableRows(sql, schema) {
  const [row] = await sql`select coalesce(sum(n_tup_ins), 0)::bigint as inserted, coalesce(sum(n_tup_upd), 0)::bigint as updated,
                                 coalesce(sum(n_tup_hot_upd), 0)::bigint as hot
                          from pg_stat_user_tables where schemaname = ${schema}`;
  return { inserted: Number(row.inserted), updated: Number(row.updated), hot: Number(row.hot) };
}

function peakRss(pid) {
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return round(kb / 1024, 1);
}

/** From every gateway's recorded check times within the window: checked twice in a round, or a round missed. */
async function checkSchedule(sims, windowStart, windowEnd, intervalMs) {
  const shortest = intervalMs * 0.9 - 1;
  const poll = Math.min(1000, intervalMs / 10);
  const late = intervalMs * 1.1 + 1.5 * poll + 1000;
  const missed = intervalMs * 1.8;
  let checkedTwice = 0;
  let missedRound = 0;
  let lateGateways = 0;
  let maxGapMs = 0;
  let minGapMs = Infinity;
  let checks = 0;
  for (const { sim, count } of sims) {
    const names = Array.from({ length: count }, (_, i) => `gw-${i + 1}`);
    await pool(names, 32, async (name) => {
      const response = await fetch(`${sim.baseUrl}/__sim/gateways/${name}`);
      const stamps = (await response.json()).stats.healthCheckTimestamps.filter((t) => t >= windowStart && t <= windowEnd);
      checks += stamps.length;
      const edges = [windowStart, ...stamps, windowEnd];
      let twice = false;
      let missedOne = false;
      let lateOne = false;
      for (let i = 1; i < edges.length; i++) {
        const gap = edges[i] - edges[i - 1];
        if (gap >= missed) missedOne = true;
        if (gap > late) lateOne = true;
        if (i > 1 && i < edges.length - 1) {
          if (gap < shortest) twice = true;
          minGapMs = Math.min(minGapMs, gap);
          maxGapMs = Math.max(maxGapMs, gap);
        }
      }
      if (twice) checkedTwice += 1;
      if (missedOne) missedRound += 1;
      if (lateOne) lateGateways += 1;
    });
  }
  return { checks, checkedTwice, missedRound, lateGateways, lateMeansGapOverMs: late, minGapMs, maxGapMs, maxGapToInterval: round(maxGapMs / intervalMs, 3) };
}
