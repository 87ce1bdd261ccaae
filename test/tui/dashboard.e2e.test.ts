/**
 * The real `agentgw dashboard`, built, in a real terminal (tmux), over a real daemon whose health
 * monitor checks three simulated gateways. One gateway goes down during the test; the screen must
 * show it, and keys must work as a person would press them. Skipped where tmux is not installed.
 *
 * `UPDATE_FIXTURES=1` saves the screen with the gateway down to fixtures/captured-screen.txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { closeTerminals, hasTmux, openTerminal } from '../support/terminal.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'captured-screen.txt');

const row = (text: string, name: string) => text.split('\n').find((line) => line.slice(2).startsWith(`${name} `)) ?? '';

describe('agentgw dashboard off a terminal', () => {
  it('exits 2 and points to gateway list --watch', async () => {
    const result = await cliEnvironment().run(['dashboard']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('error: the dashboard needs an interactive terminal\nhint: to follow gateways from a script or a pipe, use: agentgw gateway list --watch\n');
  });

  it('refuses a refresh interval that is not a duration, or too short', async () => {
    const cli = cliEnvironment();
    for (const refresh of ['soon', '10ms']) {
      const result = await cli.run(['dashboard', '--refresh', refresh]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`--refresh "${refresh}": expected a duration of at least 250ms`);
    }
  });
});

describe.skipIf(!hasTmux)('agentgw dashboard in tmux, over a daemon with simulated gateways', () => {
  let sim: SimulatorProcess;
  let cli: CliEnvironment;
  let daemon: ResultPromise;
  let server = '';
  let daemonLog = '';

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--count', '3']);
    cli = cliEnvironment();
    const home = cli.env.HOME!;
    // `serve` does not create the data directory itself (the CLI's local mode does).
    mkdirSync(cli.dataDir, { recursive: true });
    // Checks every second, INACTIVE after two failures: the test sees the monitor act in seconds.
    writeFileSync(
      join(home, 'agentgw.config.yaml'),
      ['gateway:', '  adapter:', '    onPremise:', '      healthCheck:', '        interval: 1s', '        timeout: 1s', '        unhealthyThreshold: 2', ''].join('\n'),
    );
    daemon = execa(process.execPath, [BIN, 'serve', '--port', '0'], { env: { ...cli.env, AGENTGW_LOG_LEVEL: 'warn' }, extendEnv: false, cwd: home, reject: false });
    server = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${daemonLog}`)), 30_000);
      daemon.stderr!.on('data', (chunk: Buffer) => {
        daemonLog += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(daemonLog);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void daemon.then((result) => reject(new Error(`serve exited ${result.exitCode}: ${daemonLog}`)));
    });
    const remote = ['--server', server];
    expect((await cli.run(['env', 'create', 'staging', ...remote])).exitCode).toBe(0);
    for (const [name, sim_, extra] of [
      ['prod-gw-1', 'gw-1', ['--env', 'production']],
      ['prod-gw-2', 'gw-2', ['--env', 'production', '--env', 'staging']],
      ['api-gw-1', 'gw-3', ['--type', 'INGRESS', '--env', 'staging']],
    ] as const) {
      const url = sim.urls.get(sim_)!;
      const result = await cli.run(['gateway', 'register', name, '--control-plane-url', url, '--metrics-url', sim.metricsUrlOf(sim_), ...extra, ...remote]);
      expect(result.stderr).toMatch(/^gateway "[a-z0-9-]+": health found at \S+\/api\/admin\/v1\/health /);
    }
  }, 90_000);

  afterAll(async () => {
    await closeTerminals();
    if (daemon && daemon.exitCode === null) daemon.kill('SIGTERM');
    await daemon?.catch(() => {});
    await sim?.stop();
  });

  it('shows the fleet, follows a gateway going down, answers keys and restores the terminal on q', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: cli.env.HOME!, AGENTGW_CONFIG_DIR: cli.env.AGENTGW_CONFIG_DIR!, NO_COLOR: '1' };
    // A shell around the dashboard: what it printed before must come back when the dashboard ends.
    const script = `printf 'shell before the dashboard\\n'; '${process.execPath}' '${BIN}' dashboard --server ${server} --refresh 500ms; echo "dashboard exited with $?"`;
    const terminal = await openTerminal({ program: 'sh', args: ['-c', script], env });
    const waitForScreen = (predicate: (text: string) => boolean, timeoutMs = 15_000) => terminal.waitFor(predicate, timeoutMs);
    const press = (...keys: string[]) => terminal.press(...keys);

    // First frame: the source, all three gateways ACTIVE, metrics filled in for the rows on screen.
    let text = await waitForScreen((s) => /3 gateways\s+ACTIVE 3/.test(s) && /\d+\.\d\s+\d+\.\d\s*$/.test(row(s, 'prod-gw-2')));
    expect(text).toContain(`server ${server}`);
    expect(text).toContain('adapter on-premise');
    expect(text).toMatch(/NAME\s+TYPE\s+ENVIRONMENTS\s+STATUS\s+CHECKED\s+RESPONSE\s+RESOURCES\s+REQ\/S\s+ERR%/);
    expect(row(text, 'api-gw-1')).toMatch(/INGRESS\s+staging\s+ACTIVE\s+\d+s\s+\d+ms/);
    expect(text).not.toContain('shell before the dashboard');

    // gw-2 stops answering; the daemon's monitor marks it INACTIVE; the dashboard shows it.
    const fault = await fetch(`${sim.baseUrl}/__sim/gateways/gw-2/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ down: true }) });
    expect(fault.status).toBe(200);
    text = await waitForScreen((s) => /INACTIVE\s+\d+s/.test(row(s, 'prod-gw-2')) && /3 gateways\s+ACTIVE 2\s+INACTIVE 1/.test(s));
    expect(row(text, 'prod-gw-2')).toMatch(/prod-gw-2\s+EGRESS\s+production,staging\s+INACTIVE\s+\d+s\s+-\s+-\s+-\s+-\s*$/);
    // NO_COLOR: not one colour or text attribute on the screen.
    expect(await terminal.screen({ colors: true })).not.toContain('\u001B[');
    if (process.env.UPDATE_FIXTURES) {
      mkdirSync(join(import.meta.dirname, 'fixtures'), { recursive: true });
      writeFileSync(FIXTURE, `${text.trimEnd()}\n`);
    }

    // Details of the gateway that went down: the monitor's transition and the error.
    await press('j', 'j', 'Enter');
    text = await waitForScreen((s) => s.includes('Status history') && /ACTIVE → INACTIVE/.test(s));
    expect(text).toMatch(/^prod-gw-2\s+EGRESS\s+INACTIVE for \d+s/m);
    expect(text).toMatch(/Error\s+\S+/);
    expect(text).toContain('Deployed resources');
    expect(text).toMatch(/Environments\s+production \(Production\), staging/);
    await press('Escape');
    await waitForScreen((s) => s.includes('NAME') && s.split('\n').some((line) => line.startsWith('> prod-gw-2')));

    // Filter, type and environment.
    await press('/', 'p', 'r', 'o', 'd', 'Enter');
    await waitForScreen((s) => s.includes('filter /prod') && s.includes('2 of 3 gateways') && row(s, 'api-gw-1') === '');
    await press('Escape', 't', 't');
    await waitForScreen((s) => s.includes('type INGRESS') && s.includes('1 of 3 gateways') && row(s, 'api-gw-1') !== '');
    await press('t', 'e', 'j', 'j', 'Enter');
    await waitForScreen((s) => s.includes('env staging') && s.includes('2 of 3 gateways') && row(s, 'prod-gw-1') === '');

    // Environments view.
    await press('Tab');
    text = await waitForScreen((s) => s.includes('Gateways in production'));
    expect(text).toMatch(/production\s+Production\s+2\s+1\s+1/);
    await press('Escape');

    // The daemon goes away: the last data stays, under a STALE banner.
    daemon.kill('SIGTERM');
    await daemon;
    text = await waitForScreen((s) => s.includes('STALE'));
    expect(text).toMatch(/STALE\s+showing data from \d+s ago, retrying every 500ms/);
    expect(text).toContain(`cannot reach the agentgw daemon at ${server}`);
    expect(row(text, 'prod-gw-2')).toContain('INACTIVE');

    // q leaves the alternate screen: the shell's own output is back, the dashboard is gone.
    await press('q');
    const { exitCode, output } = await terminal.exit(5000);
    expect(exitCode).toBe(0);
    expect(output).toBe('shell before the dashboard\ndashboard exited with 0');
  });
});
