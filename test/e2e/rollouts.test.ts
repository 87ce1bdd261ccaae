/**
 * Progressive rollouts, end to end: the built CLI against three simulated gateways whose
 * Prometheus traffic the test sets. Revision 2 goes out in waves `1,100%` gated on
 * `errorRate<1%`: at 50% errors it stops after wave 1 and puts gw-1 back on revision 1 (gw-2 and
 * gw-3 never get revision 2); at 0% it reaches all three. `rollback` returns them to revision 1,
 * and a CLI killed with SIGKILL during a pause leaves a rollout `rollout resume` finishes. A
 * `p99Latency` gate reads the simulators' duration histogram over the pause.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { SECRET_KEY } from '../support/harness.js';

const EXAMPLES = join(process.cwd(), 'test/unit/simulators/fixtures/gateway-controller-examples');
const PROVIDER = 'LlmProvider/openai-provider';
const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'];
const manifest = (displayName: string) => readFileSync(join(EXAMPLES, 'openai-provider.yaml'), 'utf8').replace('displayName: OpenAI Provider', `displayName: ${displayName}`);
const REVISION_NAMES: Record<string, number> = { 'Revision One': 1, 'Revision Two': 2 };

let sim: SimulatorProcess;

beforeAll(async () => {
  sim = await startSimulatorProcess(['--count', '3']);
});
afterAll(async () => {
  await sim?.stop();
});

/** Which revision a gateway holds, by the display name each revision carries; null when none. */
async function heldRevision(gateway: string): Promise<number | null> {
  const response = await fetch(`${sim.urls.get(gateway)}/api/management/v1/llm-providers/openai-provider`);
  if (response.status === 404) return null;
  const body = (await response.json()) as { spec?: { displayName?: string }; provider?: { spec?: { displayName?: string } } };
  const name = body.spec?.displayName ?? body.provider?.spec?.displayName ?? '';
  return REVISION_NAMES[name] ?? -1;
}

async function traffic(errorRatio: number, meanLatencyMs = 40): Promise<void> {
  for (const name of GATEWAYS) {
    const response = await fetch(`${sim.baseUrl}/__sim/gateways/${name}/traffic`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestsPerSecond: 200, errorRatio, meanLatencyMs }),
    });
    expect(response.ok).toBe(true);
  }
}

const held = () => Promise.all(GATEWAYS.map(heldRevision));

/** Starts a canary deploy of revision 2 and kills the CLI with SIGKILL once wave 1 is pausing. */
async function killDuringFirstPause(cli: CliEnvironment, flags: string[]): Promise<void> {
  const child = execa(process.execPath, [BIN, 'deploy', PROVIDER, '--env', 'prod', ...flags], { env: cli.env, extendEnv: false, reject: false });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('wave 1/2 (gw-1): deployed; pausing')) resolve();
    });
    void child.then(() => reject(new Error(`the CLI ended before the pause: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await child;
}

/** Registers the three gateways in `prod` (gw-3 without a metrics URL when `metrics` says so), deploys revision 1, applies revision 2. */
async function prepare(run: CliEnvironment['run'], withMetrics: (name: string) => boolean): Promise<void> {
  expect((await run(['env', 'create', 'prod'])).exitCode).toBe(0);
  for (const name of GATEWAYS) {
    const metrics = withMetrics(name) ? ['--metrics-url', sim.metricsUrlOf(name)] : [];
    const registered = await run(['gateway', 'register', name, '--control-plane-url', sim.urls.get(name)!, ...metrics, '--env', 'prod']);
    expect(registered.exitCode, registered.stderr).toBe(0);
  }
  expect((await run(['apply', '-f', '-'], { input: manifest('Revision One') })).exitCode).toBe(0);
  expect((await run(['deploy', PROVIDER, '--env', 'prod'])).exitCode).toBe(0);
  expect((await run(['apply', '-f', '-'], { input: manifest('Revision Two') })).exitCode).toBe(0);
  expect(await held()).toEqual([1, 1, 1]);
}
const CANARY = ['--strategy', 'canary', '--steps', '1,100%', '--pause', '2s', '--gate', 'errorRate<1%'];

describe('progressive rollouts (local SQLite)', () => {
  let cli: CliEnvironment;
  beforeAll(async () => {
    cli = cliEnvironment({ AGENTGW_SECRET_KEY: SECRET_KEY });
    await prepare(cli.run, () => true);
  });

  it('stops after wave 1 when its error rate is 50%, puts gw-1 back on revision 1, never touches gw-2 and gw-3, exit 1', async () => {
    await traffic(0.5);
    const result = await cli.run(['deploy', PROVIDER, '--env', 'prod', ...CANARY]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/wave 1\/2 \(gw-1\): FAILED: gw-1 errorRate<1% measured 50%/);
    expect(result.stderr).toMatch(/rolled back: gate failed on wave 1: gw-1 errorRate<1% measured 50%/);
    expect(await held()).toEqual([1, 1, 1]);
    // The other two were never claimed for revision 2: their rows still speak of revision 1.
    const { deployments: rows } = JSON.parse((await cli.run(['deployments', '--env', 'prod', '-o', 'json'])).stdout) as {
      deployments: Array<{ gateway: { name: string }; revision: number; deployedRevision: number }>;
    };
    expect(rows.map((r) => [r.gateway.name, r.revision, r.deployedRevision])).toEqual([
      ['gw-1', 1, 1],
      ['gw-2', 1, 1],
      ['gw-3', 1, 1],
    ]);
    const listed = JSON.parse((await cli.run(['rollout', 'list', '-o', 'json'])).stdout) as { rollouts: Array<{ state: string; waves: Array<{ status: string }> }> };
    expect(listed.rollouts[0]).toMatchObject({ state: 'rolled_back', waves: [{ status: 'failed' }, { status: 'pending' }] });
    // The event log tells the same story, in order: each wave, each gate result and the rollback.
    const logged = JSON.parse((await cli.run(['events', '--type', 'rollout.started,rollout.wave_deployed,rollout.gate_evaluated,rollout.rolled_back,rollout.finished', '-o', 'json'])).stdout) as {
      events: Array<{ type: string; subject: { kind: string; name: string }; actor: string; data: Record<string, unknown> }>;
    };
    expect(logged.events.map((e) => e.type)).toEqual(['rollout.started', 'rollout.wave_deployed', 'rollout.gate_evaluated', 'rollout.rolled_back', 'rollout.finished']);
    expect(logged.events[0]).toMatchObject({ subject: { kind: 'rollout', name: PROVIDER }, actor: expect.stringMatching(/^local:/) });
    expect(logged.events[2]!.data).toMatchObject({ wave: 1, gateway: 'gw-1', gate: 'errorRate<1%', measured: '50%', passed: false });
    expect(logged.events[4]!.data).toMatchObject({ state: 'rolled_back' });
  });

  it('reaches all three at 0% errors, exit 0', async () => {
    await traffic(0);
    const result = await cli.run(['deploy', PROVIDER, '--env', 'prod', ...CANARY]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('wave 2/2 (gw-2, gw-3): gates passed');
    expect(await held()).toEqual([2, 2, 2]);
  });

  it('rollback returns all three to revision 1; history shows both revisions without the secret', async () => {
    const result = await cli.run(['rollback', PROVIDER, '--env', 'prod']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await held()).toEqual([1, 1, 1]);
    const history = await cli.run(['resource', 'history', PROVIDER]);
    expect(history.exitCode).toBe(0);
    expect(history.stdout).toMatch(/^revision 1\t\S+\tlocal:/m);
    expect(history.stdout).toContain('-   displayName: Revision One');
    expect(history.stdout).toContain('+   displayName: Revision Two');
    expect(history.stdout).not.toContain('sk-REPLACE');
    const json = JSON.parse((await cli.run(['resource', 'history', PROVIDER, '-o', 'json'])).stdout) as { revisions: Array<{ revision: number; deployable: boolean }> };
    expect(json.revisions.map((r) => [r.revision, r.deployable])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect((await cli.run(['rollback', PROVIDER, '--env', 'prod', '--to-revision', '9'])).exitCode).toBe(2);
  });

  it('a p99Latency gate reads the duration histogram over the pause: fails at a 400 ms mean, passes at 20 ms', async () => {
    const P99 = ['--strategy', 'canary', '--steps', '1,100%', '--pause', '2s', '--gate', 'p99Latency<1s'];
    // Durations are exponential: at a 400 ms mean the p99 is ~1.8 s (interpolated in the 1–2.5 s bucket).
    await traffic(0, 400);
    const slow = await cli.run(['deploy', PROVIDER, '--env', 'prod', ...P99]);
    expect(slow.exitCode, slow.stderr).toBe(1);
    const measured = /wave 1\/2 \(gw-1\): FAILED: gw-1 p99Latency<1s measured (\d+(?:\.\d+)?)ms/.exec(slow.stderr);
    expect(measured, slow.stderr).not.toBeNull();
    expect(Number(measured![1])).toBeGreaterThan(1000);
    expect(Number(measured![1])).toBeLessThan(2500);
    expect(await held()).toEqual([1, 1, 1]);
    // At a 20 ms mean the p99 is ~92 ms; the gate passes on every wave.
    await traffic(0, 20);
    const quick = await cli.run(['deploy', PROVIDER, '--env', 'prod', ...P99]);
    expect(quick.exitCode, quick.stderr).toBe(0);
    expect(await held()).toEqual([2, 2, 2]);
    const metrics = JSON.parse((await cli.run(['gateway', 'metrics', 'gw-1', '-o', 'json'])).stdout) as { p99LatencyMs: number; p99Latency: string };
    expect(metrics.p99LatencyMs).toBeGreaterThan(50);
    expect(metrics.p99LatencyMs).toBeLessThan(150);
    expect(metrics.p99Latency).toMatch(/^\d+ms$/);
    expect((await cli.run(['rollback', PROVIDER, '--env', 'prod'])).exitCode).toBe(0);
    expect(await held()).toEqual([1, 1, 1]);
  }, 60_000);

  it('a CLI killed with SIGKILL during the pause leaves a rollout that `rollout resume` finishes', async () => {
    await killDuringFirstPause(cli, CANARY.map((a) => (a === '2s' ? '5s' : a)));
    expect(await held()).toEqual([2, 1, 1]);
    const listed = JSON.parse((await cli.run(['rollout', 'list', '--state', 'running', '-o', 'json'])).stdout) as { rollouts: Array<{ uuid: string; currentWave: number }> };
    expect(listed.rollouts).toHaveLength(1);
    const id = listed.rollouts[0]!.uuid;
    expect(listed.rollouts[0]!.currentWave).toBe(0);
    const resumed = await cli.run(['rollout', 'resume', id]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('wave 2/2 (gw-2, gw-3): gates passed');
    expect(await held()).toEqual([2, 2, 2]);
    const status = JSON.parse((await cli.run(['rollout', 'status', id, '-o', 'json'])).stdout) as { state: string };
    expect(status.state).toBe('succeeded');
  }, 60_000);
});

describe('progressive rollouts through a daemon (--server)', () => {
  let cli: CliEnvironment;
  let daemon: ReturnType<typeof execa> | undefined;
  let server: string;
  let daemonStderr = '';
  const remote = (args: string[]) => cli.run(['--server', server, ...args]);

  beforeAll(async () => {
    cli = cliEnvironment({ AGENTGW_SECRET_KEY: SECRET_KEY });
    // gw-3 has no metrics URL: an errorRate gate must fail on it, saying so.
    await prepare(cli.run, (name) => name !== 'gw-3');
    await traffic(0);
  });
  afterAll(async () => {
    daemon?.kill('SIGTERM');
    await daemon;
  });

  it('a rollout whose CLI was killed is reported by serve at start, and resumed through the daemon', async () => {
    await killDuringFirstPause(cli, ['--strategy', 'canary', '--steps', '1,100%', '--pause', '3s', '--gate', 'health=ACTIVE']);
    expect(await held()).toEqual([2, 1, 1]);
    daemon = execa(process.execPath, [BIN, 'serve', '--port', '0', '--no-monitor'], { env: cli.env, extendEnv: false, reject: false });
    server = await new Promise<string>((resolve, reject) => {
      daemon!.stderr!.on('data', (chunk: Buffer) => {
        daemonStderr += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(daemonStderr);
        if (match) resolve(match[1]!);
      });
      void daemon!.then(() => reject(new Error(`serve exited: ${daemonStderr}`)));
    });
    expect(daemonStderr).toMatch(/warning: rollout \S+ \(LlmProvider\/openai-provider revision 2\) is unfinished: its process is gone at wave 1 of 2; continue it with: agentgw rollout resume /);
    const id = /rollout resume (\S+)/.exec(daemonStderr)![1]!;
    const resumed = await remote(['rollout', 'resume', id]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(await held()).toEqual([2, 2, 2]);
    const status = JSON.parse((await remote(['rollout', 'status', id, '-o', 'json'])).stdout) as { state: string; waves: Array<{ status: string; gates: Array<{ gate: string; measured: string }> }> };
    expect(status.state).toBe('succeeded');
    expect(status.waves[1]!.gates.map((g) => [g.gate, g.measured])).toEqual([
      ['health=ACTIVE', 'ACTIVE'],
      ['health=ACTIVE', 'ACTIVE'],
    ]);
  }, 60_000);

  it('rollback through the daemon returns all three to revision 1', async () => {
    const result = await remote(['rollback', PROVIDER, '--env', 'prod']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await held()).toEqual([1, 1, 1]);
    expect((await remote(['resource', 'history', 'openai-provider', '-o', 'json'])).stdout).toContain('"revision": 2');
  });

  it('an errorRate gate fails on a gateway without a metrics URL, naming it; both waves go back, exit 1', async () => {
    const result = await remote(['deploy', PROVIDER, '--env', 'prod', '--strategy', 'canary', '--steps', '1,100%', '--pause', '0', '--gate', 'errorRate<1%']);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain('wave 1/2 (gw-1): gates passed');
    expect(result.stderr).toMatch(/wave 2\/2 \(gw-2, gw-3\): FAILED: gw-3 errorRate<1% measured nothing \(no errorRate measured: no metrics URL/);
    expect(await held()).toEqual([1, 1, 1]);
    const refused = await remote(['deploy', PROVIDER, '--env', 'prod', '--strategy', 'canary', '--gate', 'p99Latency<200']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('give a duration, e.g. p99Latency<250ms');
  });
});
