/**
 * The example custom adapter, loaded the way agentgw loads any custom adapter (config →
 * createAdapter factory), and driven through the real services: register, health, metrics.
 * Also: a module missing methods is refused by name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalClient } from '../../src/client/local.js';
import { createAdapter } from '../../src/adapters/factory.js';
import { ConfigError } from '../../src/domain/errors.js';
import { openRuntime } from '../../src/runtime/runtime.js';
import { testConfig } from '../../test/support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'agentgw-custom-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { warn: () => {}, info: () => {}, debug: () => {} };

describe('examples/custom-adapter/static-fleet-adapter.js', () => {
  it('is selected by config and runs under the services', async () => {
    const config = await testConfig(`sqlite:${join(dir, 'a.sqlite')}`, {
      'gateway.adapter.type': 'custom',
      'gateway.adapter.custom.module': resolve('examples/custom-adapter/static-fleet-adapter.js'),
    });
    const runtime = await openRuntime({ config, logger: quiet, migrate: true });
    const client = new LocalClient(runtime);
    try {
      expect(client.describe().adapter).toBe('custom');
      const gateway = await client.gateways.register({ name: 'static-1', gatewayType: 'EGRESS', environmentIds: ['production'], adapterConfig: { zone: 'eu' } });
      expect(gateway).toMatchObject({ status: 'ACTIVE', adapterType: 'custom', endpoint: 'static://static-1', adapterConfig: { zone: 'eu' } });
      expect((await client.gateways.health('static-1')).status).toBe('ACTIVE');
      const metrics = await client.gateways.metrics('static-1');
      expect(metrics.resourceCount).toBe(0);
      expect(metrics.requestRate).toBeNull();
      expect(metrics.unavailable.requestRate).toContain('no traffic');
    } finally {
      await client.close();
    }
  });

  it('refuses a module that lacks methods, naming them', async () => {
    const partial = join(dir, 'partial-adapter.js');
    writeFileSync(partial, 'export function createAdapter() { return { type: "custom", checkHealth() {}, close() {} }; }\n');
    const config = await testConfig(`sqlite:${join(dir, 'b.sqlite')}`, { 'gateway.adapter.type': 'custom', 'gateway.adapter.custom.module': partial });
    const error = (await createAdapter(config, quiet).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('lacks validateConfig, registerGateway');
    expect(error.message).not.toContain('checkHealth');
  });

  it('refuses a missing module and a module without createAdapter', async () => {
    const none = await testConfig(`sqlite:${join(dir, 'c.sqlite')}`, { 'gateway.adapter.type': 'custom' });
    expect(((await createAdapter(none, quiet).catch((e: unknown) => e)) as Error).message).toContain('custom.module: required');
    const empty = join(dir, 'empty.js');
    writeFileSync(empty, 'export const nothing = 1;\n');
    const noFactory = await testConfig(`sqlite:${join(dir, 'd.sqlite')}`, { 'gateway.adapter.type': 'custom', 'gateway.adapter.custom.module': empty });
    expect(((await createAdapter(noFactory, quiet).catch((e: unknown) => e)) as Error).message).toContain('does not export a createAdapter');
  });
});
