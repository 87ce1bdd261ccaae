/**
 * Three real `agentgw serve` processes on one PostgreSQL schema check a small simulated fleet
 * (real HTTP on loopback) at a short interval; one is killed with SIGKILL mid-round, holding
 * leases. From the simulator's recorded check times:
 * - no gateway is checked twice in a round: consecutive checks are never closer than the
 *   shortest jittered interval (0.9 × interval; this holds by construction, so it is exact);
 * - no round is missed: consecutive checks are never further apart than the longest jittered
 *   interval, plus the lease TTL for the gateways the killed daemon held (their leases must run
 *   out first), plus a margin for a loaded machine.
 * Time is real here (separate processes): the margin is for a two-core machine shared by others.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { defaultLeaseTtl } from '../../src/services/health-monitor.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { BIN } from '../support/cli.js';
import { seedGateways } from '../support/fleet.js';
import { SECRET_KEY, testConfig } from '../support/harness.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

const GATEWAYS = 90;
const INTERVAL = 3000;
const TIMEOUT = 1000;
const TTL = defaultLeaseTtl(TIMEOUT, INTERVAL);
const POLL = INTERVAL / 10;
/** Each check answers this late, so a daemon holds a few leases at any instant, and dies holding some. */
const LATENCY = 250;
/** For a machine shared by other work: a daemon's event loop may be late by this much. */
const MARGIN = 2000;
const names = Array.from({ length: GATEWAYS }, (_, i) => `gw-${String(i).padStart(2, '0')}`);
const silent = { warn: () => {}, info: () => {}, debug: () => {} };

interface Daemon {
  url: string;
  child: ResultPromise;
}

describe('three agentgw serve processes on one PostgreSQL, one killed with SIGKILL', { timeout: 180_000 }, () => {
  let schema: TestSchema;
  let sim: GatewaySimulator;
  let runtime: Runtime;
  const daemons: Daemon[] = [];

  beforeAll(async () => {
    schema = createTestSchema('killfailover');
    sim = await startGatewaySimulator({ gateways: names.map((name) => ({ name, faults: { latencyMs: LATENCY } })) });
    runtime = await openRuntime({ config: await testConfig(schema.url), logger: silent, migrate: true });
    // Registered long ago and never checked: the first daemon up spreads them over one interval.
    await seedGateways(
      runtime.store,
      names.map((name) => ({ name, controlPlaneUrl: sim.urlOf(name), healthUrl: `${sim.adminUrlOf(name)}/api/admin/v1/health` })),
      new Date(Date.now() - 10 * INTERVAL),
    );
    const home = mkdtempSync(join(tmpdir(), 'agentgw-failover-'));
    const configFile = join(home, 'agentgw.config.yaml');
    writeFileSync(configFile, `gateway:\n  adapter:\n    onPremise:\n      healthCheck:\n        interval: ${INTERVAL}ms\n        timeout: ${TIMEOUT}ms\n`);
    const env = { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1', AGENTGW_CONFIG: configFile, AGENTGW_CONFIG_DIR: join(home, 'config'), AGENTGW_DATABASE_URL: schema.url, AGENTGW_SECRET_KEY: SECRET_KEY, AGENTGW_LOG_LEVEL: 'warn' };
    for (let i = 0; i < 3; i++) daemons.push(await serve(env));
  });
  afterAll(async () => {
    for (const daemon of daemons) if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await Promise.all(daemons.map((daemon) => daemon.child));
    await runtime?.close();
    await sim?.close();
    await schema?.drop();
  });

  const leasesOf = async (pid: number) =>
    (await runtime.store.db.selectFrom('gateways').select(['name', 'lease_owner']).where('lease_owner', 'is not', null).execute())
      .filter((row) => row.lease_owner!.split(':')[1] === String(pid))
      .map((row) => row.name);
  const leasesTaken = async (daemon: Daemon) => {
    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    return Number(/^agentgw_monitor_leases_taken_total (\S+)$/m.exec(text)?.[1]);
  };

  it('its gateways are checked again within interval + lease TTL; none twice in a round, no round missed', async () => {
    // Two full rounds with all three taking part.
    const started = Date.now();
    await vi.waitFor(() => expect(Math.min(...names.map((name) => sim.stats(name).healthChecks))).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 100 });
    for (const daemon of daemons) expect(await leasesTaken(daemon)).toBeGreaterThan(0);

    // Killed while it holds leases: checks in flight whose results it will never store.
    const victim = daemons[0]!;
    await vi.waitFor(async () => expect((await leasesOf(victim.child.pid!)).length).toBeGreaterThanOrEqual(1), { timeout: 60_000, interval: 5 });
    victim.child.kill('SIGKILL');
    await victim.child;
    const killedAt = Date.now();
    const orphans = await leasesOf(victim.child.pid!);
    expect(orphans.length).toBeGreaterThanOrEqual(1);
    // When each orphan's last stored check was made (its last answer the database knows of).
    const lastStored = new Map(
      (await runtime.store.db.selectFrom('gateways').select(['name', 'last_checked_at']).where('name', 'in', orphans).execute()).map((row) => [
        row.name,
        runtime.store.codec.readTime(row.last_checked_at).getTime(),
      ]),
    );

    // Long enough for the leases to run out and three more rounds to pass.
    const survivorsBefore = await Promise.all(daemons.slice(1).map(leasesTaken));
    await new Promise((resolve) => setTimeout(resolve, TTL + 3 * INTERVAL * 1.1 + MARGIN));
    const survivorsAfter = await Promise.all(daemons.slice(1).map(leasesTaken));
    survivorsAfter.forEach((taken, i) => expect(taken).toBeGreaterThan(survivorsBefore[i]!));

    const shortest = INTERVAL * 0.9 - 1;
    const longest = INTERVAL * 1.1 + POLL + MARGIN;
    const failures: string[] = [];
    for (const name of names) {
      const stamps = sim.stats(name).healthCheckTimestamps.filter((t) => t >= started);
      const limit = orphans.includes(name) ? longest + TTL : longest;
      for (let i = 1; i < stamps.length; i++) {
        const gap = stamps[i]! - stamps[i - 1]!;
        if (gap < shortest) failures.push(`${name}: checked twice within ${gap} ms`);
        // The killed daemon may have sent a check whose answer it never stored: for its gateways
        // the takeover is measured from the last check the database has (below).
        const straddlesKill = stamps[i - 1]! <= killedAt && stamps[i]! > killedAt;
        if (gap > limit && !(orphans.includes(name) && straddlesKill)) failures.push(`${name}: ${gap} ms between checks (limit ${limit})`);
      }
      if (orphans.includes(name)) {
        const takeover = stamps.find((t) => t > killedAt)! - lastStored.get(name)!;
        if (!(takeover <= limit)) failures.push(`${name}: taken over ${takeover} ms after its last stored check (limit ${limit})`);
      }
      const last = stamps.at(-1)!;
      if (Date.now() - last > limit) failures.push(`${name}: not checked for ${Date.now() - last} ms at the end`);
    }
    expect(failures).toEqual([]);
    // The orphans were checked again after the kill, by the survivors.
    for (const name of orphans) expect(sim.stats(name).healthCheckTimestamps.some((t) => t > killedAt)).toBe(true);
  });
});

/** `agentgw serve --port 0`; resolves once it listens. */
async function serve(env: Record<string, string>): Promise<Daemon> {
  const child = execa(process.execPath, [BIN, 'serve', '--port', '0'], { env, extendEnv: false, reject: false });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void child.then(() => reject(new Error(`serve exited: ${stderr}`)));
  });
  return { url, child };
}
