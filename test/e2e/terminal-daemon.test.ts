/**
 * The daemon side at a terminal, 160 and 60 columns wide: `agentgw serve` writes log lines a
 * person reads (JSON lines with --log-format json, or when piped), and `agentgw dashboard` ends
 * with the CLI's message and hint (exit 4) when the daemon refuses its token, at start or while it
 * runs, rather than showing "STALE, retrying" for ever.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { closeTerminals, hasTmux, openTerminal, PTY_TEST_TIMEOUT_MS } from '../support/terminal.js';

describe.skipIf(!hasTmux)('the daemon and the dashboard at a terminal', { timeout: PTY_TEST_TIMEOUT_MS }, () => {
  let sim: SimulatorProcess;
  let cli: CliEnvironment;
  let env: Record<string, string>;
  let daemon: ResultPromise;
  let server = '';
  let database = '';

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--count', '1']);
    cli = cliEnvironment();
    const { CI: _ci, NO_COLOR: _noColor, ...rest } = cli.env;
    env = rest;
    const home = env.HOME!;
    mkdirSync(cli.dataDir, { recursive: true });
    database = `sqlite:${join(cli.dataDir, 'agentgw.sqlite')}`;
    writeFileSync(join(home, 'agentgw.config.yaml'), 'server:\n  auth:\n    required: true\n');
    expect((await cli.run(['migrate', 'up'])).exitCode).toBe(0);
    expect((await cli.run(['gateway', 'register', 'gw-1', '--control-plane-url', sim.urls.get('gw-1')!, '--env', 'production'])).exitCode).toBe(0);
    daemon = execa(process.execPath, [BIN, 'serve', '--port', '0', '--no-monitor'], { env: cli.env, extendEnv: false, cwd: home, reject: false });
    server = await new Promise<string>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${log}`)), 30_000);
      daemon.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(log);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
  }, 60_000);

  afterAll(async () => {
    await closeTerminals();
    daemon?.kill('SIGTERM');
    await daemon?.catch(() => {});
    await sim?.stop();
  });

  const token = async (name: string) => {
    const created = await cli.run(['--database', database, 'token', 'create', name, '--scope', 'read']);
    expect(created.exitCode).toBe(0);
    return created.stdout.trim();
  };

  it('a follow of the event stream ends when its token is revoked: the reconnect is refused, exit 4', async () => {
    const name = 'follower';
    const follower = execa(process.execPath, [BIN, '--server', server, '--token', await token(name), 'events', '--follow'], { env: cli.env, extendEnv: false, reject: false });
    let out = '';
    follower.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // It follows once an event written now reaches it over the stream.
    for (let i = 0; !out.includes('"environment.created"'); i++) {
      expect(i, 'the follow never showed an event').toBeLessThan(40);
      if (i % 10 === 0) expect((await cli.run(['--database', database, 'env', 'create', `probe-${i}`])).exitCode).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await cli.run(['--database', database, 'token', 'revoke', name, '--yes'])).exitCode).toBe(0);
    const ended = await Promise.race([follower, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))]);
    if (ended === null) follower.kill('SIGKILL');
    expect(ended?.exitCode, 'the stream of a revoked token stayed open').toBe(4);
    expect(ended?.stderr).toMatch(/revoked/);
  }, 60_000);

  describe.each([160, 60])('%i columns', (columns) => {
    it('serve prints readable log lines at a terminal, JSON lines with --log-format json', async () => {
      const home = join(env.HOME!, `serve-${columns}`);
      mkdirSync(join(home, 'data'), { recursive: true });
      const serveEnv = { ...env, HOME: home, AGENTGW_DATA_DIR: join(home, 'data'), AGENTGW_CONFIG_DIR: join(home, 'config') };
      for (const [args, line] of [
        [[], /^\d\d:\d\d:\d\d INFO {2}request completed {2}GET \/api\/v1\/environments 401 \d+ms/m],
        [['--log-format', 'json'], /^\{"level":30,.*"msg":"request completed"/m],
      ] as Array<[string[], RegExp]>) {
        const terminal = await openTerminal({ args: ['serve', '--port', '0', '--no-monitor', ...args], env: serveEnv, cwd: home, columns });
        const started = await terminal.waitFor(/listening on http:\/\/\S+/);
        const url = /listening on (http:\/\/\S+)/.exec(started)![1]!;
        // Without a token: this daemon found the config that requires one, above its directory.
        expect((await fetch(`${url}/api/v1/environments`)).status).toBe(401);
        await terminal.waitFor(line);
        await terminal.signal('SIGINT');
        expect((await terminal.exit()).exitCode).toBe(0);
      }
    });

    it('a deploy through the daemon says it waits for the daemon; Ctrl-C stops waiting, and the daemon finishes it', async () => {
      const write = (await cli.run(['--database', database, 'token', 'create', `deployer-${columns}`, '--scope', 'write'])).stdout.trim();
      const remote = ['--server', server, '--token', write];
      expect((await cli.run([...remote, 'apply', '-f', 'examples/resources/openai-template.yaml'], { cwd: process.cwd() })).exitCode).toBe(0);
      await fetch(`${sim.baseUrl}/__sim/gateways/gw-1/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 1500 }) });
      try {
        if (columns === 60) expect((await cli.run([...remote, 'undeploy', 'LlmProviderTemplate/openai', '--gateway', 'gw-1'])).exitCode).toBe(0);
        const terminal = await openTerminal({ args: [...remote, 'deploy', 'LlmProviderTemplate/openai', '--gateway', 'gw-1'], env, cwd: env.HOME!, columns });
        await terminal.waitFor(/the daemon answers when it is done/);
        await terminal.press('C-c');
        const { exitCode, output } = await terminal.exit();
        expect(exitCode).toBe(130);
        expect(output).toContain('stopped waiting; the daemon carries on with it. Follow it with: agentgw deployments --resource LlmProviderTemplate/openai');
        await expect
          .poll(async () => (await cli.run([...remote, 'deployments', '--gateway', 'gw-1', '-o', 'json'])).stdout, { timeout: 15_000, interval: 250 })
          .toContain('"status": "DEPLOYED"');
      } finally {
        await fetch(`${sim.baseUrl}/__sim/gateways/gw-1/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 0 }) });
      }
    });

    it('the dashboard stops at once on a refused token, with the CLI’s message and hint', async () => {
      const terminal = await openTerminal({ args: ['dashboard', '--server', server, '--token', 'agw_not-a-token'], env, cwd: env.HOME!, columns });
      const { exitCode, output } = await terminal.exit();
      expect(exitCode).toBe(4);
      expect(output).toMatch(/^error: .*token/m);
      expect(output).toMatch(/^hint: /m);
      expect(output).not.toContain('STALE');
    });

    it('the dashboard ends when its token is revoked while it runs', async () => {
      const name = `dash-${columns}`;
      const terminal = await openTerminal({ args: ['dashboard', '--server', server, '--token', await token(name), '--refresh', '300ms'], env, cwd: env.HOME!, columns });
      await terminal.waitFor(/gw-1/);
      expect((await cli.run(['--database', database, 'token', 'revoke', name, '--yes'])).exitCode).toBe(0);
      const { exitCode, output } = await terminal.exit(15_000);
      expect(exitCode).toBe(4);
      expect(output).toMatch(/^error: .*revoked/m);
      expect(output).toMatch(/^hint: /m);
    });
  });
});
