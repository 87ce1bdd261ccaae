/**
 * Crash safety: `agentgw serve` (the built CLI, its own process) is SIGKILLed in the middle of a
 * deploy to slow gateways, then started again on the same database. After the restart no
 * deployment stays PENDING — the new daemon asks the gateways and settles every row the dead one
 * left in flight — and nothing a gateway holds is unknown to the control plane.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceManifest } from '../../src/adapters/adapter.js';
import { RemoteClient } from '../../src/client/remote.js';
import type { Deployment } from '../../src/domain/resources.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { forEachLimit } from '../../src/services/pool.js';
import { openStore, type Store } from '../../src/store/database.js';
import { BIN } from '../support/cli.js';
import { SECRET_KEY } from '../support/harness.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

const GATEWAYS = Array.from({ length: 30 }, (_, i) => `slow-${String(i + 1).padStart(2, '0')}`);
const LATENCY_MS = 400;
const manifest = parse(readFileSync('test/unit/simulators/fixtures/gateway-controller-examples/openai-provider.yaml', 'utf8')) as ResourceManifest;

interface Daemon {
  url: string;
  process: ResultPromise;
}

async function startDaemon(databaseUrl: string, home: string): Promise<Daemon> {
  const child = execa(process.execPath, [BIN, 'serve', '--port', '0', '--database', databaseUrl], {
    reject: false,
    env: { NO_COLOR: '1', HOME: home, AGENTGW_SECRET_KEY: SECRET_KEY, AGENTGW_LOG_LEVEL: 'warn', AGENTGW_CONFIG_DIR: join(home, 'config'), AGENTGW_DATA_DIR: join(home, 'data') },
    extendEnv: false,
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void child.then((result) => reject(new Error(`serve exited ${result.exitCode}: ${stderr}`)));
  });
  return { url, process: child };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, attempts = 600): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.each(['postgres', 'sqlite'] as const)('a daemon killed mid-deploy (%s)', (dialect) => {
  let sim: GatewaySimulator;
  let home: string;
  let schema: TestSchema | undefined;
  let databaseUrl: string;
  let store: Store;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: GATEWAYS.map((name) => ({ name })) });
    home = mkdtempSync(join(tmpdir(), 'agentgw-crash-'));
    if (dialect === 'postgres') {
      schema = createTestSchema('crash');
      databaseUrl = schema.url;
    } else {
      databaseUrl = `sqlite:${join(home, 'agentgw.sqlite')}`;
    }
    daemon = await startDaemon(databaseUrl, home);
    store = await openStore(databaseUrl);
    const client = await RemoteClient.connect(daemon.url, null);
    await client.environments.create({ name: 'slow' });
    await forEachLimit(GATEWAYS, 8, async (name) => {
      await client.gateways.register({ name, gatewayType: 'EGRESS', environmentIds: ['slow'], adapterConfig: { controlPlaneUrl: sim.urlOf(name) } });
    });
    await client.resources.apply(manifest);
    for (const name of GATEWAYS) sim.setFaults(name, { latencyMs: LATENCY_MS });
  }, 120_000);

  afterAll(async () => {
    daemon?.process.kill('SIGKILL');
    await daemon?.process;
    await store?.close();
    await sim?.close();
    await schema?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const posts = () => GATEWAYS.reduce((sum, name) => sum + (sim.stats(name).requests['POST /api/management/v1/llm-providers'] ?? 0), 0);
  const statuses = async () => (await store.db.selectFrom('deployments').select('status').execute()).map((row) => row.status);

  it('leaves nothing PENDING after the restart, and every resource a gateway holds is recorded DEPLOYED', async () => {
    const client = await RemoteClient.connect(daemon!.url, null);
    const deploying = client.deployments.deploy({ resource: 'LlmProvider/openai-provider', environment: 'slow', concurrency: 6 }).catch((error: unknown) => error);
    // Kill once some gateways are done and others are being called.
    await until('the deploy to be under way', async () => {
      const now = await statuses();
      return posts() >= 10 && now.includes('PENDING') && now.includes('DEPLOYED') ? true : undefined;
    });
    daemon!.process.kill('SIGKILL');
    await daemon!.process;
    expect(await deploying).toBeInstanceOf(Error);

    const left = await statuses();
    // Every target's row is written before the first call; some calls were done when it died.
    expect(left).toContain('PENDING');
    expect(left).toContain('DEPLOYED');
    console.info(`${dialect}: killed with ${left.filter((s) => s === 'PENDING').length} PENDING, ${left.filter((s) => s === 'DEPLOYED').length} DEPLOYED; ${posts()} calls had reached the gateways`);

    daemon = await startDaemon(databaseUrl, home);
    const restarted = await RemoteClient.connect(daemon.url, null);
    const rows = await until('the restarted daemon to settle every row', async () => {
      const current = await restarted.deployments.list({ environment: 'slow' });
      return current.some((row) => row.status === 'PENDING') ? undefined : current;
    });
    const byGateway = new Map<string, Deployment>(rows.map((row) => [row.gateway.name, row]));
    const reconciled = rows.filter((row) => row.errorMessage?.includes('interrupted'));
    expect(reconciled.length + rows.filter((r) => r.status === 'DEPLOYED').length).toBe(rows.length);
    console.info(`${dialect}: after restart ${rows.filter((r) => r.status === 'DEPLOYED').length} DEPLOYED, ${reconciled.length} settled FAILED as interrupted`);
    for (const name of GATEWAYS) {
      const held = sim.resources(name).some((resource) => resource.name === 'openai-provider');
      const row = byGateway.get(name);
      if (held) expect(row, `${name} holds the resource: it must be recorded DEPLOYED`).toMatchObject({ status: 'DEPLOYED', deployedRevision: 1 });
      else if (row !== undefined) expect(row.status, `${name} does not hold it`).toBe('FAILED');
    }

    // The next deploy converges: what was interrupted is sent again, the rest is left alone.
    const report = await restarted.deployments.deploy({ resource: 'LlmProvider/openai-provider', environment: 'slow', concurrency: 15 });
    expect(report.summary.failed).toBe(0);
    expect(report.summary.unchanged).toBe(rows.filter((r) => r.status === 'DEPLOYED').length);
    for (const name of GATEWAYS) expect(sim.resources(name).map((r) => r.name)).toEqual(['openai-provider']);
    expect(new Set(await statuses())).toEqual(new Set(['DEPLOYED']));
  }, 120_000);
});
