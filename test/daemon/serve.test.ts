/**
 * `agentgw serve` as a process: JSON logs on stdout with secrets redacted, a SIGTERM that lets
 * the request in flight finish before exiting 0, and the CLI's remote mode failing with exit 3
 * and the URL when no daemon answers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { BIN, cliEnvironment } from '../support/cli.js';
import { SECRET_KEY } from '../support/harness.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { http } from './support.js';

const CANARY_PASSWORD = 'canary-pw-3d1f7a-never-logged';
const CANARY_TOKEN = 'agw_canaryTokenThatMustNeverAppearInTheLogs000';

describe('agentgw serve', () => {
  let schema: TestSchema;
  let sim: GatewaySimulator;
  let daemon: ResultPromise;
  let url = '';
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    schema = createTestSchema('serve');
    sim = await startGatewaySimulator({ gateways: [{ name: 'slow', auth: { username: 'admin', password: CANARY_PASSWORD } }] });
    daemon = execa(process.execPath, [BIN, 'serve', '--port', '0', '--database', schema.url], {
      reject: false,
      extendEnv: false,
      // A busy machine may need more than execa's default 5 s to see the drain through.
      forceKillAfterDelay: 30_000,
      env: { NO_COLOR: '1', AGENTGW_SECRET_KEY: SECRET_KEY, AGENTGW_LOG_LEVEL: 'debug', AGENTGW_CONFIG_DIR: join(schema.schema, 'none'), PATH: process.env.PATH ?? '' },
    });
    daemon.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
      daemon.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
  });
  afterAll(async () => {
    if (daemon?.exitCode === null) daemon.kill('SIGKILL');
    await daemon?.catch(() => {});
    await sim?.close();
    await schema?.drop();
  });

  it('listens on 127.0.0.1 by default and names its database and adapter', () => {
    expect(stderr).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ · database postgres:\/\/postgres@127\.0\.0\.1:5432\/test\?schema=serve_\w+ · adapter on-premise · auth off/);
  });

  it('logs JSON lines to stdout, with the authorization header and secrets redacted', async () => {
    const registered = await http(url, 'POST', '/api/v1/gateways', {
      token: CANARY_TOKEN,
      body: { name: 'logged', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('slow'), username: 'admin', password: CANARY_PASSWORD } },
    });
    expect(registered.status, registered.text).toBe(201);
    expect(JSON.stringify(registered.body)).not.toContain(CANARY_PASSWORD);
    await http(url, 'GET', '/api/v1/gateways/logged/health', { token: CANARY_TOKEN });
    await http(url, 'GET', '/api/v1/gateways/nope', { headers: { authorization: `Bearer ${CANARY_TOKEN}`, cookie: `session=${CANARY_TOKEN}` } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = stdout.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const completed = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request completed');
    expect(completed.length).toBeGreaterThanOrEqual(3);
    expect(completed[0]).toMatchObject({ level: 30, req: { method: 'POST', url: '/api/v1/gateways' }, res: { statusCode: 201 } });
    expect(stdout).not.toContain(CANARY_PASSWORD);
    expect(stdout).not.toContain(CANARY_TOKEN);
  });

  it('on SIGTERM finishes the request in flight, refuses new ones, and exits 0', async () => {
    sim.setFaults('slow', { latencyMs: 1500 });
    // A live check: it waits on the slow gateway.
    const inFlight = http(url, 'POST', '/api/v1/gateways/logged/health-checks');
    await new Promise((resolve) => setTimeout(resolve, 400));
    daemon.kill('SIGTERM');
    const answered = await inFlight;
    expect(answered.status, answered.text).toBe(201);
    expect(answered.body.status).toBe('ACTIVE');
    const result = await daemon;
    expect(result.exitCode).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(stdout).toContain('shutting down');
  }, 30_000);

  it('remote mode: an unreachable daemon is exit 3, naming the URL', async () => {
    const cli = cliEnvironment();
    const result = await cli.run(['--server', url, 'gateway', 'list']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`cannot reach the agentgw daemon at ${url}`);
    expect(result.stdout).toBe('');
    const viaEnv = await cli.run(['env', 'list'], { env: { AGENTGW_SERVER: 'http://127.0.0.1:9' } });
    expect(viaEnv.exitCode).toBe(3);
    expect(viaEnv.stderr).toContain('http://127.0.0.1:9');
  });

  it('remote mode: something that is not an agentgw daemon is exit 3 too', async () => {
    const other = await startGatewaySimulator({ gateways: [] });
    try {
      const result = await cliEnvironment().run(['--server', other.baseUrl, 'env', 'list']);
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toContain(`${other.baseUrl} is not an agentgw daemon`);
    } finally {
      await other.close();
    }
  });
});

describe('agentgw serve, when a step of its stop hangs', () => {
  it('exits 1 after server.shutdownTimeout, naming the step in its log', async () => {
    const cli = cliEnvironment();
    const home = cli.env.HOME!;
    // The example adapter, but its close() never ends and keeps the process busy, as a library
    // waiting on a connection the network dropped would.
    const adapter = join(home, 'hanging-close-adapter.mjs');
    writeFileSync(
      adapter,
      `import { createAdapter as base } from ${JSON.stringify(resolve('examples/custom-adapter/static-fleet-adapter.js'))};\n` +
        'export function createAdapter(options, context) { return { ...base(options, context), close: () => new Promise(() => setInterval(() => {}, 1000)) }; }\n',
    );
    writeFileSync(join(home, 'agentgw.config.yaml'), ['gateway:', '  adapter:', '    type: custom', '    custom:', `      module: ${adapter}`, 'server:', '  shutdownTimeout: 1s', ''].join('\n'));
    mkdirSync(cli.dataDir, { recursive: true });
    const daemon = execa(process.execPath, [BIN, 'serve', '--port', '0'], { env: cli.env, extendEnv: false, cwd: home, reject: false, forceKillAfterDelay: 30_000 });
    let stderr = '';
    await new Promise<void>((resolveListening, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
      daemon.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolveListening();
        }
      });
    });
    // The built CLI loads an ES module adapter (import() from the launcher, not the cached bundle).
    expect(stderr).toContain('adapter custom');
    daemon.kill('SIGTERM');
    const result = await daemon;
    expect(result.exitCode, result.stderr).toBe(1);
    const logged = String(result.stdout)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; step?: string });
    expect(logged.at(-1)).toMatchObject({ level: 50, step: 'draining requests and closing the database', msg: expect.stringContaining('shutdown did not finish within 1 s') });
  }, 40_000);
});

