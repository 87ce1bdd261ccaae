/**
 * The health monitor inside real `agentgw serve` processes (the built CLI), against a simulator
 * process on a random port: one daemon per SQLite file, status changes and their history, the
 * watch commands, and a `kill -9` of one of two daemons sharing PostgreSQL. Time is real here,
 * so the claims are eventual ("checked again", "INACTIVE"), read from the simulator's counters
 * and the stored history; the timing claims live in test/monitor and bench/.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { createTestSchema, POSTGRES_BASE_URL, type TestSchema } from '../support/postgres.js';

const FAST_CHECKS = 'gateway:\n  adapter:\n    onPremise:\n      healthCheck:\n        interval: 1s\n        timeout: 500ms\n';

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await startSimulatorProcess(['--count', '6']);
});
afterAll(async () => {
  await sim?.stop();
});

const url = (name: string) => sim.urls.get(name)!;

async function healthChecks(name: string): Promise<number> {
  const response = await fetch(`${sim.baseUrl}/__sim/gateways/${name}`);
  return ((await response.json()) as { stats: { healthChecks: number } }).stats.healthChecks;
}

async function setFaults(name: string, faults: Record<string, unknown>): Promise<void> {
  await fetch(`${sim.baseUrl}/__sim/gateways/${name}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
}

interface Daemon {
  url: string;
  child: ResultPromise;
  stderr: () => string;
}

/** `agentgw serve --port 0` in the environment's home; resolves once it listens. */
async function serve(cli: CliEnvironment, args: string[] = []): Promise<Daemon> {
  const child = execa(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: cli.env, extendEnv: false, cwd: dirname(cli.dataDir), reject: false });
  let stderr = '';
  const listening = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
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
  return { url: listening, child, stderr: () => stderr };
}

describe('agentgw serve on SQLite', () => {
  let cli: CliEnvironment;
  let daemon: Daemon;
  beforeAll(async () => {
    cli = cliEnvironment();
    writeFileSync(join(dirname(cli.dataDir), 'agentgw.config.yaml'), FAST_CHECKS);
    for (const name of ['gw-1', 'gw-2', 'gw-3']) {
      expect((await cli.run(['gateway', 'register', name, '--control-plane-url', url(name)])).exitCode).toBe(0);
    }
    daemon = await serve(cli);
  });
  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.child;
  });

  it('says it checks health, and refuses a second daemon on the same file with a clear message', async () => {
    expect(daemon.stderr()).toContain('health checks every 1s');
    const second = await cli.run(['serve', '--port', '0']);
    expect(second.exitCode).toBe(5);
    expect(second.stderr).toContain(`error: another agentgw serve is already running on ${join(cli.dataDir, 'agentgw.sqlite')}`);
    expect(second.stderr).toContain('hint: a SQLite database takes one daemon');
  });

  it('checks gateways in the background, marks a dead one INACTIVE and records why', async () => {
    const before = await healthChecks('gw-1');
    await vi.waitFor(async () => expect(await healthChecks('gw-1')).toBeGreaterThanOrEqual(before + 2), { timeout: 15_000, interval: 200 });

    await setFaults('gw-3', { down: true });
    const remote = ['--server', daemon.url];
    await vi.waitFor(
      async () => {
        const gateway = JSON.parse((await cli.run([...remote, 'gateway', 'get', 'gw-3', '-o', 'json'])).stdout) as { status: string };
        expect(gateway.status).toBe('INACTIVE');
      },
      { timeout: 20_000, interval: 250 },
    );
    const history = await cli.run([...remote, 'gateway', 'health', 'gw-3', '--history', '-o', 'json']);
    expect(history.exitCode).toBe(0);
    const { events } = JSON.parse(history.stdout) as { events: Array<Record<string, unknown>> };
    expect(events).toEqual([
      { from: 'ACTIVE', to: 'INACTIVE', reason: expect.stringMatching(/^3 consecutive failed checks: /), errorClass: 'network', occurredAt: expect.any(String) },
      { from: null, to: 'ACTIVE', reason: 'registered', errorClass: null, occurredAt: expect.any(String) },
    ]);
    // In-process (local mode) reads the same history, byte for byte.
    const local = await cli.run(['--database', `sqlite:${join(cli.dataDir, 'agentgw.sqlite')}`, 'gateway', 'health', 'gw-3', '--history', '-o', 'json']);
    expect(local.stdout).toBe(history.stdout);
    const table = await cli.run([...remote, 'gateway', 'health', 'gw-3', '--history']);
    expect(table.stdout.split('\n')[0]!.split('\t').slice(1, 4)).toEqual(['ACTIVE', 'INACTIVE', 'network']);
    await setFaults('gw-3', { down: null });
  });

  it('streams gateway changes as NDJSON when piped, and exits 130 on Ctrl-C', async () => {
    const watch = execa(process.execPath, [BIN, '--server', daemon.url, 'gateway', 'list', '--watch'], { env: cli.env, extendEnv: false, reject: false });
    let stdout = '';
    await new Promise<void>((resolve) => {
      watch.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.split('\n').length > 3) resolve();
      });
    });
    watch.kill('SIGINT');
    const result = await watch;
    expect(result.exitCode).toBe(130);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; status: string });
    expect(lines.slice(0, 3).map((gateway) => gateway.name)).toEqual(['gw-1', 'gw-2', 'gw-3']);
    // Ctrl-C is the person's own doing: it ends the watch without an error.
    expect(String(result.stderr)).toBe('');
  });

  it('leaves no lock behind when killed: the next daemon starts', async () => {
    daemon.child.kill('SIGKILL');
    await daemon.child;
    daemon = await serve(cli, ['--no-monitor']);
    expect(daemon.stderr()).toContain('health monitor off');
  });
});

describe('two daemons on one PostgreSQL, one killed with SIGKILL', () => {
  let cli: CliEnvironment;
  let schema: TestSchema;
  let daemons: Daemon[] = [];
  const names = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5', 'gw-6'];
  beforeAll(async () => {
    schema = createTestSchema('servemonitor');
    cli = cliEnvironment({ DATABASE_URL: schema.url });
    writeFileSync(join(dirname(cli.dataDir), 'agentgw.config.yaml'), `database:\n  url: ${schema.url}\n${FAST_CHECKS}`);
    expect((await cli.run(['migrate', 'up'])).exitCode).toBe(0);
    for (const name of names) expect((await cli.run(['gateway', 'register', name, '--control-plane-url', url(name)])).exitCode).toBe(0);
    daemons = await Promise.all([serve(cli), serve(cli)]);
  });
  afterAll(async () => {
    for (const daemon of daemons) daemon.child.kill('SIGKILL');
    await Promise.all(daemons.map((daemon) => daemon.child));
    await schema.drop();
  });

  it('the survivor takes over every gateway, the killed one’s leases expire, and no status flips', async () => {
    const sql = postgres(POSTGRES_BASE_URL, { max: 1, onnotice: () => {} });
    try {
      const [killed, survivor] = daemons as [Daemon, Daemon];
      const owners = async () =>
        (await sql.unsafe(`select distinct lease_owner from "${schema.schema}".gateways where lease_owner is not null`)).map((row) => String(row.lease_owner));
      // Both take part before the kill.
      const seen = new Set<string>();
      await vi.waitFor(
        async () => {
          for (const owner of await owners()) seen.add(owner.split(':')[1]!);
          expect(seen).toEqual(new Set([String(killed.child.pid), String(survivor.child.pid)]));
        },
        { timeout: 20_000, interval: 20 },
      );

      killed.child.kill('SIGKILL');
      await killed.child;
      const after = await Promise.all(names.map(healthChecks));
      await vi.waitFor(
        async () => {
          const now = await Promise.all(names.map(healthChecks));
          now.forEach((count, i) => expect(count).toBeGreaterThanOrEqual(after[i]! + 3));
          expect((await owners()).filter((owner) => owner.split(':')[1] === String(killed.child.pid))).toEqual([]);
        },
        { timeout: 20_000, interval: 250 },
      );
      const flips = await sql.unsafe(`select count(*)::int as n from "${schema.schema}".gateway_status_events where from_status is not null`);
      expect(flips[0]!.n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
