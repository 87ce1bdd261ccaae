/**
 * Exit codes are a CI contract: every code `agentgw help exit-codes` documents is produced here
 * by the built CLI, the way a script meets it, against real simulators (a gateway-controller
 * and a cloud provider) and a real daemon on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import { TokenService } from '../../src/services/tokens.js';
import { startCloudSimulator, type CloudSimulator } from '../../src/simulators/cloud-provider/index.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { BIN, cliEnvironment, type CliEnvironment } from '../support/cli.js';
import { testConfig } from '../support/harness.js';
import { closeTerminals, hasTmux, openTerminal } from '../support/terminal.js';

const CLOUD = { clientId: 'exit-codes', clientSecret: 'cs-exit-codes-secret' };
const FAIL_REGION = 'eu-south-9';
/** Every code the tests below produce, checked against what `help exit-codes` documents. */
const produced = new Set<number>();

let sim: GatewaySimulator;
let cloud: CloudSimulator;
let cli: CliEnvironment;
let dir: string;

async function run(args: string[], expected: number, options: Parameters<CliEnvironment['run']>[1] = {}) {
  const result = await cli.run(args, options);
  expect(result.exitCode, `agentgw ${args.join(' ')}\n${result.stderr}`).toBe(expected);
  produced.add(result.exitCode);
  return result;
}

beforeAll(async () => {
  sim = await startGatewaySimulator({
    gateways: [{ name: 'gw-ok' }, { name: 'gw-down' }, { name: 'gw-denied' }, { name: 'gw-locked', auth: { username: 'admin', password: 'right' } }],
  });
  const controllers = sim;
  cloud = await startCloudSimulator({ ...CLOUD, provisioningDelayMs: 300, failRegions: [FAIL_REGION], managementUrlFor: (_name, id) => controllers.addGateway({ name: id }) });
  dir = mkdtempSync(join(tmpdir(), 'agentgw-exit-codes-'));
  cli = cliEnvironment();
  for (const name of ['gw-ok', 'gw-down', 'gw-denied']) {
    await run(['gateway', 'register', name, '--control-plane-url', sim.urlOf(name), '--env', 'production'], 0);
  }
});
afterAll(async () => {
  await closeTerminals();
  await cloud?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway health', () => {
  it('0 when the gateway is ACTIVE and answered', async () => {
    const result = await run(['gateway', 'health', 'gw-ok'], 0);
    expect(result.stdout).toMatch(/^Status:\s+ACTIVE$/m);
  });

  it('6 when it does not answer, INACTIVE or not yet (the data is still printed)', async () => {
    sim.setFaults('gw-down', { down: true });
    const first = await run(['gateway', 'health', 'gw-down', '-o', 'json'], 6);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'ACTIVE', errorClass: 'network' });
    expect(first.stderr).toMatch(/^error: gateway "gw-down" is ACTIVE but did not answer this check: /m);
    await run(['gateway', 'health', 'gw-down'], 6);
    const inactive = await run(['gateway', 'health', 'gw-down'], 6);
    expect(inactive.stdout).toMatch(/^Status:\s+INACTIVE$/m);
    expect(inactive.stderr).toContain('error: gateway "gw-down" is INACTIVE: ');
    expect(inactive.stderr).toContain('hint: wait for it with: agentgw gateway health gw-down --wait --timeout 2m');
  });

  it('6 when it is in ERROR (it refuses the health probe)', async () => {
    sim.setFaults('gw-denied', { unauthorized: true });
    const result = await run(['gateway', 'health', 'gw-denied'], 6);
    expect(result.stdout).toMatch(/^Status:\s+ERROR$/m);
  });

  it('--wait: 6 when --timeout passes first, 0 as soon as the gateway is back', async () => {
    const timedOut = await run(['gateway', 'health', 'gw-down', '--wait', '--timeout', '1s'], 6);
    expect(timedOut.stderr).toContain('error: gateway "gw-down" is still INACTIVE after 1s');

    const waiting = cli.run(['gateway', 'health', 'gw-down', '--wait', '--timeout', '60s', '-o', 'json']);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    sim.setFaults('gw-down', { down: false });
    const result = await waiting;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'ACTIVE', errorMessage: null });
    produced.add(result.exitCode);
  });

  it('130 when a wait is interrupted (Ctrl-C)', async () => {
    sim.setFaults('gw-down', { down: true });
    try {
      const child = execa(process.execPath, [BIN, 'gateway', 'health', 'gw-down', '--wait', '--timeout', '2m'], { env: cli.env, extendEnv: false, reject: false, cwd: cli.env.HOME });
      // Interrupted once a check has been made and failed, so the wait is on.
      await waitForRequests('gw-down', sim.stats('gw-down').totalRequests + 1);
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(130);
      expect(String(result.stderr)).toContain('stopped waiting for gateway "gw-down"');
      produced.add(130);
    } finally {
      sim.setFaults('gw-down', { down: false });
    }
  });

  it('refuses --timeout without --wait, and a timeout that is no duration (2)', async () => {
    await run(['gateway', 'health', 'gw-ok', '--timeout', '1m'], 2);
    await run(['gateway', 'health', 'gw-ok', '--wait', '--timeout', 'soon'], 2);
  });
});

describe('runtime errors are 1', () => {
  it('gateway metrics of a gateway that cannot be read, with what could be read on stdout', async () => {
    sim.setFaults('gw-down', { down: true });
    try {
      const result = await run(['gateway', 'metrics', 'gw-down', '-o', 'json'], 1);
      expect(JSON.parse(result.stdout)).toMatchObject({ resourceCount: null, unavailable: { resourceCount: expect.any(String) } });
      expect(result.stderr).toMatch(/^error: gateway "gw-down" could not be read: cannot list resources: /m);
    } finally {
      sim.setFaults('gw-down', { down: false });
    }
    await run(['gateway', 'metrics', 'gw-ok'], 0);
  });

  it('a gateway refusing the credentials agentgw holds for it: 1, not 4', async () => {
    const refused = await run(['gateway', 'register', 'gw-locked', '--control-plane-url', sim.urlOf('gw-locked'), '--username', 'admin', '--password', 'wrong'], 1);
    expect(refused.stderr).toContain('rejected the credentials (HTTP 401)');
    await run(['gateway', 'register', 'gw-locked', '--control-plane-url', sim.urlOf('gw-locked'), '--username', 'admin', '--password', 'right'], 0);
    // The controller's password changes behind agentgw's back.
    sim.removeGateway('gw-locked');
    sim.addGateway({ name: 'gw-locked', auth: { username: 'admin', password: 'rotated' } });
    const later = await run(['gateway', 'metrics', 'gw-locked'], 1);
    expect(later.stderr).toContain('HTTP 401');
  });

  it('an unknown environment in any filter is an error naming it, never an empty success', async () => {
    for (const args of [
      ['gateway', 'list', '--env', 'typo'],
      ['gateway', 'list', '--env', 'typo', '--type', 'EGRESS', '-o', 'json'],
      ['env', 'gateways', 'typo'],
      ['deployments', '--env', 'typo'],
      ['deployments', '--matrix', '--env', 'typo'],
      ['diff', '--env', 'typo'],
    ]) {
      const result = await run(args, 1);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toContain('error: environment "typo" not found');
    }
  });
});

describe('usage errors are 2', () => {
  it('an update with nothing to change, for every noun', async () => {
    const env = await run(['env', 'update', 'production'], 2);
    expect(env.stderr).toContain('error: nothing to update');
    expect(env.stderr).toContain('hint: pass --display-name or --description');
    const gateway = await run(['gateway', 'update', 'gw-ok'], 2);
    expect(gateway.stderr).toContain('error: nothing to update');
  });
});

describe('cloud registration', () => {
  let config: string;
  beforeAll(() => {
    config = join(dir, 'cloud.yaml');
    writeFileSync(
      config,
      [
        'gateway:',
        '  adapter:',
        '    type: cloud',
        '    cloud:',
        `      apiEndpoint: ${cloud.url}`,
        `      authentication: { clientId: ${CLOUD.clientId}, clientSecret: ${CLOUD.clientSecret} }`,
        '      provisioning: { timeout: 30s, pollInterval: 100ms }',
        '',
      ].join('\n'),
    );
  });

  it('0 once the gateway is ACTIVE, with its endpoint', async () => {
    const result = await run(['--config', config, 'gateway', 'register', 'cloud-ok', '--region', 'us-east-1', '-o', 'json'], 0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'ACTIVE', endpoint: expect.stringMatching(/^https?:\/\//) });
  });

  it('1 with the provider’s reason when provisioning ends in ERROR; released, nothing stored', async () => {
    const deletes = cloud.stats().requests['DELETE /gateways/{id}'] ?? 0;
    const result = await run(['--config', config, 'gateway', 'register', 'cloud-bad', '--region', FAIL_REGION], 1);
    expect(result.stderr).toMatch(new RegExp(`^error: gateway "cloud-bad" failed to provision: .*${FAIL_REGION}`, 'm'));
    expect(result.stderr).toContain('released and nothing was stored');
    expect(cloud.stats().requests['DELETE /gateways/{id}']).toBe(deletes + 1);
    expect((await run(['--config', config, 'gateway', 'list', '-o', 'name'], 0)).stdout).not.toContain('cloud-bad');
  });

  it('…kept in ERROR with --keep-failed, still exit 1', async () => {
    const result = await run(['--config', config, 'gateway', 'register', 'cloud-kept', '--region', FAIL_REGION, '--keep-failed'], 1);
    expect(result.stderr).toContain('kept in ERROR, as asked');
    const kept = await run(['--config', config, 'gateway', 'get', 'cloud-kept', '-o', 'json'], 0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ status: 'ERROR', errorMessage: expect.stringContaining(FAIL_REGION) });
    await run(['--config', config, 'gateway', 'register', 'cloud-x', '--region', 'us-east-1', '--keep-failed', '--no-wait'], 2);
  });

  it('the same through a daemon (Prefer: wait)', async () => {
    const daemonConfig = await testConfig(`sqlite:${join(dir, 'cloud-daemon.sqlite')}`, {
      'gateway.adapter.type': 'cloud',
      'gateway.adapter.cloud.apiEndpoint': cloud.url,
      'gateway.adapter.cloud.authentication.clientId': CLOUD.clientId,
      'gateway.adapter.cloud.authentication.clientSecret': CLOUD.clientSecret,
      'gateway.adapter.cloud.provisioning.pollInterval': '100ms',
    });
    const daemon = await startDaemon({ config: daemonConfig, port: 0, logger: false });
    try {
      const remote = ['--server', daemon.url];
      const failed = await run([...remote, 'gateway', 'register', 'remote-bad', '--region', FAIL_REGION], 1);
      expect(failed.stderr).toContain('failed to provision');
      expect((await run([...remote, 'gateway', 'list', '-o', 'name'], 0)).stdout).toBe('');
      const ok = await run([...remote, 'gateway', 'register', 'remote-ok', '--region', 'us-east-1', '-o', 'json'], 0);
      expect(JSON.parse(ok.stdout).status).toBe('ACTIVE');
    } finally {
      await daemon.close();
    }
  });
});

describe('through a daemon that requires tokens', () => {
  let daemon: Daemon;
  let readToken: string;
  beforeAll(async () => {
    const config = await testConfig(`sqlite:${join(dir, 'auth-daemon.sqlite')}`, { 'server.auth.required': true });
    daemon = await startDaemon({ config, port: 0, logger: false });
    readToken = (await new TokenService(daemon.runtime.context()).create({ name: 'reader', scope: 'read' })).token;
  });
  afterAll(async () => {
    await daemon?.close();
  });

  it('4 when agentgw’s own token is missing or lacks the scope', async () => {
    const missing = await run(['--server', daemon.url, 'env', 'list'], 4);
    expect(missing.stderr).toContain('authentication required');
    const scope = await run(['--server', daemon.url, '--token', readToken, 'env', 'create', 'qa'], 4);
    expect(scope.stderr).toContain('has the read scope');
    await run(['--server', daemon.url, '--token', readToken, 'env', 'list'], 0);
  });

  it('3 when the daemon cannot be reached', async () => {
    await run(['--server', 'http://127.0.0.1:1', 'env', 'list'], 3);
  });

  it('5 on a conflict', async () => {
    await run(['env', 'create', 'twice'], 0);
    await run(['env', 'create', 'twice'], 5);
  });
});

// A stray exception no command caught: a custom adapter throwing from a timer.
describe('an exception thrown outside any command', () => {
  it('1, one line naming it and asking for a report, and its stack only with AGENTGW_DEBUG=1', async () => {
    const home = mkdtempSync(join(tmpdir(), 'agentgw-uncaught-'));
    try {
      const adapter = join(home, 'throwing-adapter.mjs');
      writeFileSync(
        adapter,
        `import { createAdapter as base } from ${JSON.stringify(join(process.cwd(), 'examples/custom-adapter/static-fleet-adapter.js'))};\n` +
          "export function createAdapter(options, context) { return { ...base(options, context), registerGateway: () => new Promise(() => setTimeout(() => { throw new Error('the adapter broke'); }, 10)) }; }\n",
      );
      writeFileSync(join(home, 'agentgw.config.yaml'), ['gateway:', '  adapter:', '    type: custom', '    custom:', `      module: ${adapter}`, ''].join('\n'));
      const register = ['gateway', 'register', 'gw-stray', '--type', 'EGRESS', '--env', 'production'];
      const quiet = await run(register, 1, { cwd: home });
      expect(quiet.stderr).toBe('error: unexpected failure: the adapter broke\nthis is a bug in agentgw: please report it, with the command you ran and what it prints with AGENTGW_DEBUG=1\n');
      const debug = await run(register, 1, { cwd: home, env: { AGENTGW_DEBUG: '1' } });
      expect(debug.stderr).toMatch(/^error: unexpected failure: the adapter broke\nError: the adapter broke\n\s+at Timeout\._onTimeout \(file:\/\/\S+throwing-adapter\.mjs:2:\d+\)/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

// Only a person can decline: a question is asked at a terminal only (off one, --yes is needed: 2).
describe.skipIf(!hasTmux)('at a terminal', () => {
  it('8 when the person answers no', async () => {
    await run(['env', 'create', 'kept'], 0);
    const { CI: _ci, ...env } = cli.env;
    const terminal = await openTerminal({ args: ['env', 'delete', 'kept'], env, cwd: env.HOME! });
    await terminal.waitFor(/delete environment "kept"\? \[y\/N\]/);
    await terminal.type('n');
    await terminal.press('Enter');
    const { exitCode } = await terminal.exit();
    expect(exitCode).toBe(8);
    produced.add(exitCode);
    await run(['env', 'get', 'kept'], 0);
  });
});

it('every exit code `help exit-codes` documents was produced above', async () => {
  const help = await cli.run(['help', 'exit-codes']);
  const documented = [...help.stdout.matchAll(/^\s+(\d+) {2}/gm)].map((m) => Number(m[1]));
  expect(documented).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 130]);
  expect([...produced].sort((a, b) => a - b)).toEqual(documented);
});

async function waitForRequests(gateway: string, atLeast: number): Promise<void> {
  for (let i = 0; i < 300 && sim.stats(gateway).totalRequests < atLeast; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(sim.stats(gateway).totalRequests).toBeGreaterThanOrEqual(atLeast);
}
