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
// - checks per second the fleet needs against what the daemons did;
// - then one daemon is killed with SIGKILL (bench/scale-failover.mjs): when the gateways it held
//   were checked again, against interval + lease TTL, and whether any gateway missed a round.
// Knobs (environment): AGENTGW_BENCH_SCALE_GATEWAYS (default 100000), _INTERVAL_MS (30000),
// _TIMEOUT_MS (5000), _ROUNDS (3), _DAEMONS (3), _PER_SIMULATOR (10000), _LATENCY_MS (20),
// _CONCURRENCY (200), _KILL (1: kill one daemon afterwards, when there are two or more);
// AGENTGW_BENCH_CPU_PROF=DIR writes each daemon's V8 CPU profile there (node --cpu-prof).
// _CAPACITY=1 measures one daemon's capacity instead (bench/scale-capacity.mjs).
// Targets: none twice, none missed, each share within ±20% of 1/daemons, ≤ 150 µs/check, RSS ≤ 250 MB;
// after the kill: every orphan checked again within the bound, no round missed.
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from './daemon.mjs';
import { measureCapacity } from './scale-capacity.mjs';
import { failoverOf, killHolding, watchAfterKillMs } from './scale-failover.mjs';
import { closeFleet, knob, openFleet, peakRss, progress, readStamps, scrape, tableRows } from './scale-fleet.mjs';
import { importSources } from './source.mjs';
import { round } from './support.mjs';

export async function run() {
  const settings = {
    gateways: knob('GATEWAYS', 100_000),
    intervalMs: knob('INTERVAL_MS', 30_000),
    timeoutMs: knob('TIMEOUT_MS', 5000),
    perSimulator: knob('PER_SIMULATOR', 10_000),
    latencyMs: knob('LATENCY_MS', 20),
    concurrency: knob('CONCURRENCY', 200),
  };
  const capacity = knob('CAPACITY', 0) === 1;
  const fleet = await openFleet({ ...settings, parked: capacity });
  try {
    return capacity ? await measureCapacity(fleet, settings) : await measureRounds(fleet, settings);
  } finally {
    await closeFleet(fleet);
    rmSync(fleet.home, { recursive: true, force: true });
  }
}

async function measureRounds(fleet, { gateways, intervalMs, timeoutMs, latencyMs, concurrency }) {
  const rounds = knob('ROUNDS', 3);
  const daemonCount = knob('DAEMONS', 3);
  const kill = knob('KILL', 1) === 1 && daemonCount >= 2;
  const cpuProfDir = process.env.AGENTGW_BENCH_CPU_PROF;
  const { monitor } = await importSources({ monitor: 'src/services/health-monitor.ts' });
  const leaseTtlMs = monitor.defaultLeaseTtl(timeoutMs, intervalMs);
  const pollMs = Math.min(1000, intervalMs / 10);
  const { admin, schema, sims } = fleet;
  const daemons = [];
  try {
    progress(`starting ${daemonCount} daemon(s), interval ${intervalMs} ms`);
    const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(cpuProfDir)}`];
    for (let i = 0; i < daemonCount; i++) daemons.push(await startServer([...profile, ...fleet.serveArgs], fleet.env));
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
    const loadDuringRun = round(loadavg()[0]);
    const peakRssMb = daemons.map((d) => peakRss(d.child.pid));

    let killed;
    if (kill) {
      killed = await killHolding(fleet, daemons[0]);
      await sleep(watchAfterKillMs({ intervalMs, leaseTtlMs, pollMs }));
    }
    const watchedUntil = Date.now();
    // pg_stat counters reach the view a moment after the statements (and the kill's wait is past them).
    if (!kill) await sleep(1500);
    const rowsAfter = await tableRows(admin, schema);

    progress('reading every gateway’s recorded check times');
    const stamps = await readStamps(sims, windowStart - intervalMs * 2);
    const schedule = scheduleOf(stamps, windowStart, windowEnd, intervalMs);
    const failover = kill ? failoverOf(stamps, killed, { intervalMs, leaseTtlMs, pollMs, watchedUntil }) : null;

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
      leaseTtlMs,
      windowSeconds: round((windowEnd - windowStart) / 1000, 1),
      checksPerSecondNeeded: round(gateways / (intervalMs / 1000), 1),
      checksPerSecondDone: round(totalChecks / ((windowEnd - windowStart) / 1000), 1),
      schedule,
      perDaemon,
      cpuMicrosPerCheckAllDaemons: round((cpuAll * 1e6) / Math.max(1, totalChecks), 0),
      postgres: {
        // Over the measured rounds (and, with a kill, the watch after it: same fleet, same work).
        rowsInsertedPerRound: round(((rowsAfter.inserted - rowsBefore.inserted) * intervalMs) / (watchedUntil - windowStart), 0),
        rowsUpdatedPerRound: round(((rowsAfter.updated - rowsBefore.updated) * intervalMs) / (watchedUntil - windowStart), 0),
        hotUpdatesPerRound: round(((rowsAfter.hot - rowsBefore.hot) * intervalMs) / (watchedUntil - windowStart), 0),
      },
      failover,
      loadAverage1mAtEnd: loadDuringRun,
      targets:
        'twice = 0, missed = 0, share within ±20% of 1/daemons, µs/check ≤ 150, peak RSS ≤ 250 MB; after a kill: orphans checked again within interval × 1.1 + TTL + poll, no round missed',
    };
    const fair = 1 / daemonCount;
    result.pass =
      schedule.checkedTwice === 0 &&
      schedule.missedRound === 0 &&
      perDaemon.every((d) => Math.abs(d.share - fair) <= 0.2 * fair && d.peakRssMb <= 250) &&
      result.cpuMicrosPerCheckAllDaemons <= 150 &&
      (failover === null || (failover.orphansLate === 0 && failover.orphansNeverChecked === 0 && failover.missedRound === 0));
    return result;
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
}

/** From every gateway's recorded check times within the window: checked twice in a round, or a round missed. */
function scheduleOf(stamps, windowStart, windowEnd, intervalMs) {
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
  for (const times of stamps.values()) {
    const inWindow = times.filter((t) => t >= windowStart && t <= windowEnd);
    checks += inWindow.length;
    const edges = [windowStart, ...inWindow, windowEnd];
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
  }
  return { checks, checkedTwice, missedRound, lateGateways, lateMeansGapOverMs: late, minGapMs, maxGapMs, maxGapToInterval: round(maxGapMs / intervalMs, 3) };
}
