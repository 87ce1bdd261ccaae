// After the scale benchmark's measured rounds: one daemon killed with SIGKILL while it holds
// leases, as test/monitor/kill-failover.test.ts does at a small size in CI. Its leased gateways
// (the orphans) wait for their leases to run out; the survivors then take them, and the rest of
// its share, on their next polls. Reported from the simulators' recorded check times: how long
// after the kill each orphan was checked again (bound: the longest jittered interval + the lease
// TTL + a poll), and any gateway that missed a round across the kill (a gap of 1.8 × interval or
// more, or past that bound for an orphan).
import { setTimeout as sleep } from 'node:timers/promises';
import { inSchema, progress } from './scale-fleet.mjs';
import { round } from './support.mjs';

/** Kills `victim` once it holds leases; resolves with when, and what it held. */
export async function killHolding(fleet, victim) {
  const pid = String(victim.child.pid);
  const held = (sql) => sql`select name, last_checked_at from gateways where split_part(lease_owner, ':', 2) = ${pid}`;
  return inSchema(fleet, async (sql) => {
    for (let tries = 0; tries < 200 && (await held(sql)).length === 0; tries++) await sleep(25);
    const exited = new Promise((resolve) => victim.child.once('exit', resolve));
    victim.child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    const orphans = new Map((await held(sql)).map((row) => [row.name, row.last_checked_at?.getTime() ?? null]));
    progress(`killed one daemon (SIGKILL) holding ${orphans.size} lease(s)`);
    return { killedAt, orphans };
  });
}

/** How long to watch after the kill: the orphans' leases run out, and every gateway has had two rounds. */
export function watchAfterKillMs({ intervalMs, leaseTtlMs, pollMs }) {
  return Math.max(leaseTtlMs + intervalMs * 1.1 + 1.5 * pollMs, 2 * intervalMs) + 3000;
}

/** From the recorded check times around the kill: takeover of the orphans, rounds missed. */
export function failoverOf(stamps, { killedAt, orphans }, { intervalMs, leaseTtlMs, pollMs, watchedUntil }) {
  const bound = intervalMs * 1.1 + leaseTtlMs + 1.5 * pollMs;
  const missed = intervalMs * 1.8;
  const from = killedAt - intervalMs * 1.1;
  let worstTakeoverMs = 0;
  let orphansLate = 0;
  let orphansNeverChecked = 0;
  let missedRound = 0;
  for (const [name, times] of stamps) {
    const orphan = orphans.has(name);
    const edges = [from, ...times.filter((t) => t >= from && t <= watchedUntil), watchedUntil];
    const limit = orphan ? Math.max(bound, missed) : missed;
    if (edges.some((t, i) => i > 0 && t - edges[i - 1] >= limit)) missedRound += 1;
    if (!orphan) continue;
    const next = times.find((t) => t > killedAt);
    if (next === undefined) {
      orphansNeverChecked += 1;
      continue;
    }
    // From its last stored check: the one the database knows of, so the schedule it kept.
    const takeover = next - (orphans.get(name) ?? killedAt);
    worstTakeoverMs = Math.max(worstTakeoverMs, takeover);
    if (takeover > bound) orphansLate += 1;
  }
  return {
    orphans: orphans.size,
    orphansNeverChecked,
    orphansLate,
    worstTakeoverSeconds: round(worstTakeoverMs / 1000, 1),
    boundSeconds: round(bound / 1000, 1),
    watchedSecondsAfterKill: round((watchedUntil - killedAt) / 1000, 1),
    missedRound,
  };
}
