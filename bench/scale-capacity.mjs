// `AGENTGW_BENCH_SCALE_CAPACITY=1 npm run bench -- scale`: one daemon's capacity. The whole fleet
// (AGENTGW_BENCH_SCALE_GATEWAYS) is stored parked (as cloud gateways, which the on-premise
// monitor never claims); each step hands the daemon _CAPACITY_STEP more of them (the first step
// _CAPACITY_START), spread over one interval as a fresh install's are, lets one interval pass for
// them to settle in, and watches the next: the daemon keeps up while the lag on its /metrics
// (how overdue the most overdue gateway of a claim was) stays within two polls. The first step at
// which it does not ends the search; the last one it kept up at is its capacity.
//
// The limit is a rate (checks a second against what the daemon can make), so a search at a short
// interval sizes a longer one in proportion: N gateways at 10 s are 3 × N at 30 s. Reported so,
// with the CPU the daemon used at each step.
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from './daemon.mjs';
import { inSchema, knob, progress, scrape } from './scale-fleet.mjs';
import { round } from './support.mjs';

export async function measureCapacity(fleet, { gateways, intervalMs }) {
  const start = knob('CAPACITY_START', Math.round(gateways / 10));
  const step = knob('CAPACITY_STEP', Math.round(gateways / 10));
  const pollMs = Math.min(1000, intervalMs / 10);
  const lagLimitSeconds = (2 * pollMs) / 1000;
  const daemon = await startServer(fleet.serveArgs, fleet.env);
  const steps = [];
  try {
    let active = 0;
    for (let size = start; size <= gateways; size += step) {
      await activate(fleet, size - active, intervalMs);
      active = size;
      await sleep(intervalMs);
      const before = await scrape(daemon);
      const started = Date.now();
      let maxLag = 0;
      while (Date.now() - started < intervalMs) {
        await sleep(Math.min(1000, intervalMs - (Date.now() - started)));
        maxLag = Math.max(maxLag, (await scrape(daemon)).lag);
      }
      const after = await scrape(daemon);
      const seconds = (Date.now() - started) / 1000;
      const result = {
        gateways: size,
        checksPerSecondNeeded: round(size / (intervalMs / 1000), 1),
        checksPerSecondDone: round((after.checks - before.checks) / seconds, 1),
        cpuCoresUsed: round((after.cpuSeconds - before.cpuSeconds) / seconds, 3),
        cpuMicrosPerCheck: round(((after.cpuSeconds - before.cpuSeconds) * 1e6) / Math.max(1, after.checks - before.checks), 0),
        maxLagSeconds: round(maxLag, 2),
        keptUp: maxLag <= lagLimitSeconds,
        loadAverage1m: round(loadavg()[0]),
      };
      steps.push(result);
      progress(`capacity: ${size} gateways, ${result.checksPerSecondDone} checks/s, lag ≤ ${result.maxLagSeconds} s: ${result.keptUp ? 'kept up' : 'fell behind'}`);
      if (!result.keptUp) break;
    }
  } finally {
    await daemon.stop();
  }
  const kept = steps.filter((s) => s.keptUp).at(-1);
  const capacity = kept?.gateways ?? 0;
  return {
    mode: 'capacity',
    intervalMs,
    keptUpWhileLagSecondsAtMost: lagLimitSeconds,
    steps,
    capacityGateways: capacity,
    fellBehindAt: steps.find((s) => !s.keptUp)?.gateways ?? null,
    capacityChecksPerSecond: kept?.checksPerSecondNeeded ?? 0,
    gatewaysPerDaemonAt30s: Math.round((capacity * 30_000) / intervalMs),
  };
}

/** Hands `count` more parked gateways to the on-premise monitor, due spread over one interval. */
async function activate(fleet, count, intervalMs) {
  await inSchema(fleet, async (sql) => {
    await sql`
      update gateways set adapter_type = 'on-premise', next_check_at = now() + random() * ${intervalMs}::int * interval '1 millisecond'
      where uuid in (select uuid from gateways where adapter_type = 'cloud' order by name limit ${count})`;
  });
}
