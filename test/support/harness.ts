/**
 * The contract suite's backends: the same Client interface over local SQLite, local PostgreSQL
 * and (when the daemon is available) a real daemon on a random port. Every backend talks to a
 * real gateway-controller simulator on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../src/client/client.js';
import { LocalClient } from '../../src/client/local.js';
import { loadConfig } from '../../src/config/load.js';
import type { AgentgwConfig } from '../../src/config/schema.js';
import { openRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { createTestSchema } from './postgres.js';

export type BackendMode = 'local-sqlite' | 'local-pg' | 'remote';

export interface Harness {
  mode: BackendMode;
  client: Client;
  runtime: Runtime;
  sim: GatewaySimulator;
  /** Lines the adapters logged; the secret canary reads them. */
  logs: string[];
  close(): Promise<void>;
}

export const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export async function testConfig(databaseUrl: string, overrides: Record<string, unknown> = {}): Promise<AgentgwConfig> {
  const cwd = mkdtempSync(join(tmpdir(), 'agentgw-cfg-'));
  try {
    const { config } = await loadConfig({
      cwd,
      env: { AGENTGW_CONFIG_DIR: join(cwd, 'none') },
      flags: { 'database.url': databaseUrl, 'secrets.key': SECRET_KEY, 'gateway.adapter.onPremise.healthCheck.timeout': '2s', ...overrides },
    });
    return config;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

export async function createHarness(mode: BackendMode): Promise<Harness> {
  const sim = await startGatewaySimulator({ gateways: [] });
  const cleanups: Array<() => Promise<void>> = [() => sim.close()];
  let databaseUrl: string;
  if (mode === 'local-sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'agentgw-sqlite-'));
    databaseUrl = `sqlite:${join(dir, 'agentgw.sqlite')}`;
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  } else {
    const schema = createTestSchema('contract');
    databaseUrl = schema.url;
    cleanups.push(() => schema.drop());
  }
  const logs: string[] = [];
  const logger = {
    warn: (message: string) => logs.push(`warn ${message}`),
    info: (message: string) => logs.push(`info ${message}`),
    debug: (message: string) => logs.push(`debug ${message}`),
  };
  const config = await testConfig(databaseUrl);
  const runtime = await openRuntime({ config, logger, migrate: true });
  cleanups.unshift(() => runtime.close());
  let client: Client = new LocalClient(runtime);
  if (mode === 'remote') {
    const { startDaemon } = await import('../../src/daemon/server.js');
    const { RemoteClient } = await import('../../src/client/remote.js');
    const daemon = await startDaemon({ config, runtime, port: 0, logger: false });
    cleanups.unshift(() => daemon.close());
    client = await RemoteClient.connect(daemon.url, null);
  }
  return {
    mode,
    client,
    runtime,
    sim,
    logs,
    async close() {
      for (const cleanup of cleanups) await cleanup();
    },
  };
}

/** Every row of the tables a write may touch, to prove a rejected write changed nothing. */
export async function snapshot(runtime: Runtime): Promise<string> {
  const db = runtime.store.db;
  const [environments, gateways, mappings] = await Promise.all([
    db.selectFrom('environments').selectAll().orderBy('uuid').execute(),
    db.selectFrom('gateways').selectAll().orderBy('uuid').execute(),
    db.selectFrom('gateway_environment_mappings').select(['gateway_uuid', 'environment_uuid']).orderBy('gateway_uuid').orderBy('environment_uuid').execute(),
  ]);
  return JSON.stringify({ environments, gateways, mappings });
}
