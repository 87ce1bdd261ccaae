/**
 * The commands that behave differently at a terminal, run in a real pseudo-terminal (tmux): the
 * spinner of `gateway register`, the progress of `deploy` and `undeploy`. Piped runs (every
 * other e2e test) never take these paths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { closeTerminals, hasTmux, openTerminal } from '../support/terminal.js';

describe.skipIf(!hasTmux)('at a terminal', () => {
  let sim: SimulatorProcess;
  let cli: CliEnvironment;
  /** A person's environment: no CI variable (ora stays still under CI), no NO_COLOR. */
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--count', '2']);
    cli = cliEnvironment();
    const { CI: _ci, NO_COLOR: _noColor, ...rest } = cli.env;
    env = rest;
  });

  afterAll(async () => {
    await closeTerminals();
    await sim?.stop();
  });

  const run = async (args: string[], columns = 160) => {
    const terminal = await openTerminal({ args, env, cwd: env.HOME!, columns });
    return terminal.exit();
  };

  it('registers a gateway behind a spinner, then deploys and undeploys with progress', async () => {
    const registered = await run(['gateway', 'register', 'tty-gw-1', '--control-plane-url', sim.urls.get('gw-1')!, '--env', 'production']);
    expect(registered.output).not.toContain('error');
    expect(registered.exitCode).toBe(0);
    expect(registered.output).toMatch(/Name:\s+tty-gw-1/);

    const applied = await cli.run(['apply', '-f', 'examples/resources/openai-template.yaml', '-f', 'examples/resources/openai-provider.yaml'], { cwd: process.cwd() });
    expect(applied.exitCode).toBe(0);

    const deployed = await run(['deploy', 'LlmProvider/openai-provider', '--env', 'production']);
    expect(deployed.output).not.toContain('error');
    expect(deployed.exitCode).toBe(0);
    expect(deployed.output).toMatch(/tty-gw-1\s+create\s+DEPLOYED\s+1\s+ok/);

    const undeployed = await run(['undeploy', 'LlmProvider/openai-provider', '--env', 'production']);
    expect(undeployed.output).not.toContain('error');
    expect(undeployed.exitCode).toBe(0);
    expect(undeployed.output).toMatch(/tty-gw-1\s+\S+\s+UNDEPLOYED/);
  });
});
