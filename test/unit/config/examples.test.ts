/**
 * Every configuration a reader is shown loads as shown: the README's block and each file in
 * examples/config. A block that is not valid YAML (or names a key agentgw does not have) fails here.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const ENV: NodeJS.ProcessEnv = {
  AGENTGW_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'agentgw-examples-user-')),
  CLOUD_CLIENT_ID: 'client-1',
  CLOUD_CLIENT_SECRET: 'secret-1',
  AGENTGW_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
};

function readmeConfigBlock(): string {
  const readme = readFileSync(resolve('README.md'), 'utf8');
  const block = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no ```yaml block under ## Configuration');
  return block;
}

describe('configuration examples', () => {
  it('loads the README’s configuration block as written', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agentgw-readme-')), 'agentgw.config.yaml');
    writeFileSync(file, readmeConfigBlock());
    const { config, files } = await loadConfig({ configFile: file, env: ENV });
    expect(files).toContain(file);
    expect(config.gateway.adapter.type).toBe('on-premise');
    expect(config.gateway.adapter.onPremise.healthCheck).toMatchObject({ interval: 30_000, timeout: 5_000, healthyThreshold: 2 });
    expect(config.gateway.adapter.cloud.authentication).toMatchObject({ clientId: 'client-1', clientSecret: 'secret-1' });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080, shutdownTimeout: 20_000 });
  });

  it.each(readdirSync(resolve('examples/config')).filter((name) => /\.ya?ml$/.test(name)))('loads examples/config/%s', async (name) => {
    const { config, origins } = await loadConfig({ configFile: resolve('examples/config', name), env: ENV });
    const fromFile = [...origins.values()].filter((origin) => origin.endsWith(name));
    expect(fromFile.length).toBeGreaterThan(0);
    expect(config.gateway.adapter.type).toMatch(/^(on-premise|cloud|custom)$/);
  });
});
