/**
 * The commands that behave differently at a terminal, run in a real pseudo-terminal (tmux), 160
 * and 60 columns wide: the spinner of `gateway register`, the progress of `deploy` and `undeploy`
 * (done/total, failures so far), Ctrl-C during a deploy, and `undeploy --dry-run`. Piped runs
 * (every other e2e test) never take these paths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/domain/resources.js';
import { cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { closeTerminals, hasTmux, openTerminal, PTY_TEST_TIMEOUT_MS } from '../support/terminal.js';

const PROVIDER = 'LlmProvider/openai-provider';

describe.skipIf(!hasTmux)('at a terminal', { timeout: PTY_TEST_TIMEOUT_MS }, () => {
  let sim: SimulatorProcess;
  let cli: CliEnvironment;
  /** A person's environment: no CI variable (ora stays still under CI), no NO_COLOR. */
  let env: Record<string, string>;

  const faults = async (name: string, body: Record<string, unknown>) => {
    const response = await fetch(`${sim.baseUrl}/__sim/gateways/${name}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.ok).toBe(true);
  };
  const deployments = async (environment: string) =>
    (JSON.parse((await cli.run(['deployments', '--env', environment, '--resource', PROVIDER, '-o', 'json'])).stdout) as { deployments: Deployment[] }).deployments;

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--name', 'tty-gw-1', ...['a', 'b'].flatMap((set) => [1, 2, 3, 4].flatMap((n) => ['--name', `${set}-${n}`]))]);
    cli = cliEnvironment();
    const { CI: _ci, NO_COLOR: _noColor, ...rest } = cli.env;
    env = rest;
    const applied = await cli.run(['apply', '-f', 'examples/resources/openai-template.yaml', '-f', 'examples/resources/openai-provider.yaml'], { cwd: process.cwd() });
    expect(applied.exitCode).toBe(0);
    // Two environments of four gateways each, one per width: each test deploys to a fresh one.
    for (const set of ['a', 'b']) {
      expect((await cli.run(['env', 'create', `slow-${set}`])).exitCode).toBe(0);
      for (const n of [1, 2, 3, 4]) {
        const name = `${set}-${n}`;
        expect((await cli.run(['gateway', 'register', name, '--control-plane-url', sim.urls.get(name)!, '--env', `slow-${set}`])).exitCode).toBe(0);
      }
    }
  });

  afterAll(async () => {
    await closeTerminals();
    await sim?.stop();
  });

  const open = (args: string[], columns: number) => openTerminal({ args, env, cwd: env.HOME!, columns });
  const run = async (args: string[], columns = 160) => (await open(args, columns)).exit();

  it('registers a gateway behind a spinner, then deploys and undeploys with progress', async () => {
    const registered = await run(['gateway', 'register', 'tty-gw-1', '--control-plane-url', sim.urls.get('tty-gw-1')!, '--env', 'production']);
    expect(registered.output).not.toContain('error');
    expect(registered.exitCode).toBe(0);
    expect(registered.output).toMatch(/Name:\s+tty-gw-1/);

    const deployed = await run(['deploy', 'LlmProvider/openai-provider', '--env', 'production']);
    expect(deployed.output).not.toContain('error');
    expect(deployed.exitCode).toBe(0);
    expect(deployed.output).toMatch(/tty-gw-1\s+create\s+DEPLOYED\s+1\s+ok/);

    const undeployed = await run(['undeploy', 'LlmProvider/openai-provider', '--env', 'production']);
    expect(undeployed.output).not.toContain('error');
    expect(undeployed.exitCode).toBe(0);
    expect(undeployed.output).toMatch(/tty-gw-1\s+\S+\s+UNDEPLOYED/);
  });

  describe.each([
    [160, 'a'],
    [60, 'b'],
  ])('%i columns', (columns, set) => {
    const environment = `slow-${set}`;

    it('shows a long deploy’s progress as it runs: done/total, the latest gateway, the failures so far', async () => {
      await faults(`${set}-1`, { down: true });
      for (const n of [2, 3, 4]) await faults(`${set}-${n}`, { latencyMs: 400 });
      try {
        const terminal = await open(['deploy', 'LlmProviderTemplate/openai', '--env', environment, '--concurrency', '1'], columns);
        // While it runs: the failure stays on screen as its own line, the spinner counts.
        const running = await terminal.waitFor((screen) => /\[1\/4\] \S+-1 FAILED/.test(screen) && /\[[23]\/4\] \S+ create DEPLOYED/.test(screen));
        expect(running).toMatch(/1 failed/);
        const { exitCode, output } = await terminal.exit();
        expect(exitCode).toBe(1);
        expect(output).toMatch(new RegExp(`^${set}-4 +create +DEPLOYED`, 'm'));
        expect(output).toMatch(/error: 1 of 4 gateway\(s\) failed/);
      } finally {
        await faults(`${set}-1`, { down: null });
      }
    });

    it('Ctrl-C during a deploy: no new gateway is called, the calls in flight are recorded, no PENDING row is left', async () => {
      for (const n of [1, 2, 3, 4]) await faults(`${set}-${n}`, { latencyMs: 700 });
      const terminal = await open(['deploy', PROVIDER, '--env', environment, '--concurrency', '1'], columns);
      await terminal.waitFor(/\[1\/4\] \S+ create DEPLOYED/);
      await terminal.press('C-c');
      const { exitCode, output } = await terminal.exit();
      expect(exitCode).toBe(130);
      expect(output).toContain('interrupted: no further gateway is called');
      expect(output).toMatch(/not called: interr/);
      expect(output).not.toMatch(/^error/m);
      const rows = await deployments(environment);
      expect(rows.filter((row) => row.status === 'PENDING')).toEqual([]);
      const deployed = rows.filter((row) => row.status === 'DEPLOYED').map((row) => row.gateway.name);
      expect(deployed.length).toBeGreaterThanOrEqual(1);
      expect(deployed.length).toBeLessThan(4);
      // Running it again finishes the job, sending only what differs.
      for (const n of [1, 2, 3, 4]) await faults(`${set}-${n}`, { latencyMs: 0 });
      const again = await cli.run(['deploy', PROVIDER, '--env', environment]);
      expect(again.exitCode).toBe(0);
      expect(again.stderr).toContain(`${4 - deployed.length} changed, ${deployed.length} unchanged`);
    });

    it('undeploy --dry-run shows what would be removed and changes nothing', async () => {
      const before = await deployments(environment);
      expect(before.filter((row) => row.status === 'DEPLOYED')).toHaveLength(4);
      const { exitCode, output } = await run(['undeploy', PROVIDER, '--env', environment, '--dry-run'], columns);
      expect(exitCode).toBe(0);
      expect(output).toMatch(new RegExp(`^${set}-1 +remove +DEPLOYED`, 'm'));
      expect(output).toContain(`plan for ${PROVIDER} (revision 1) from environment ${environment}: 4 to change`);
      expect(await deployments(environment)).toEqual(before);
    });
  });
});
