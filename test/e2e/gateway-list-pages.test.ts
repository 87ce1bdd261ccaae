/**
 * `agentgw gateway list` a page at a time (the built CLI, local mode over SQLite, 250 gateways):
 * the first 100 by default with a note, `--limit`, and `--all` streaming every page while
 * printing exactly the document a single `-o json` would.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrator.js';
import { cliEnvironment, type CliEnvironment } from '../support/cli.js';
import { seedGateways } from '../support/fleet.js';

const GATEWAYS = 250;
const names = Array.from({ length: GATEWAYS }, (_, i) => `gw-${String(i).padStart(3, '0')}`);

describe('gateway list pages', { timeout: 120_000 }, () => {
  let cli: CliEnvironment;
  beforeAll(async () => {
    cli = cliEnvironment();
    expect((await cli.run(['env', 'list'])).exitCode).toBe(0);
    const store = await openStore(`sqlite:${join(cli.dataDir, 'agentgw.sqlite')}`);
    try {
      await migrateToLatest(store);
      await seedGateways(
        store,
        names.map((name) => ({ name, controlPlaneUrl: `http://127.0.0.1:9/${name}` })),
        new Date(),
      );
    } finally {
      await store.close();
    }
  });

  const json = async (args: string[]) => {
    const result = await cli.run(['gateway', 'list', ...args]);
    expect(result.exitCode, result.stderr).toBe(0);
    return { ...result, gateways: (JSON.parse(result.stdout) as { gateways: Array<{ name: string }> }).gateways };
  };

  it('shows the first 100 by default and says more match', async () => {
    const first = await json(['-o', 'json']);
    expect(first.gateways.map((g) => g.name)).toEqual(names.slice(0, 100));
    expect(first.stderr).toContain('showing the first 100 gateways; more match: pass --all for every one, or --limit up to 1000');
    const limited = await json(['--limit', '1000', '-o', 'json']);
    expect(limited.gateways.map((g) => g.name)).toEqual(names);
    expect(limited.stderr).toBe('');
  });

  it('--all prints every page as one document, byte for byte what a single page of them all prints', async () => {
    const whole = await json(['--limit', '1000', '-o', 'json']);
    expect(whole.stdout).toBe(`${JSON.stringify({ gateways: whole.gateways }, null, 2)}\n`);
    for (const pageSize of ['7', '1000']) expect((await json(['--all', '--limit', pageSize, '-o', 'json'])).stdout).toBe(whole.stdout);
    expect((await json(['--all', '--status', 'ERROR', '-o', 'json'])).stdout).toBe(`${JSON.stringify({ gateways: [] }, null, 2)}\n`);
    expect((await cli.run(['gateway', 'list', '--all', '--limit', '9', '-o', 'name'])).stdout).toBe(names.map((n) => `${n}\n`).join(''));
    const table = await cli.run(['gateway', 'list', '--all', '--limit', '50']);
    expect(table.stdout.trim().split('\n').map((line) => line.split('\t')[0])).toEqual(names);
  });

  it.each(['0', '1001', 'ten', '-5'])('refuses --limit %s with a usage error', async (limit) => {
    const result = await cli.run(['gateway', 'list', '--limit', limit]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--limit must be a whole number from 1 to 1000, not "${limit}"`);
  });
});
