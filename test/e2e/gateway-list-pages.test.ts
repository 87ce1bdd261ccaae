/**
 * `agentgw gateway list` a page at a time (the built CLI, local mode over SQLite, 250 gateways):
 * the first 100 by default with a note, `--limit`, and `--all` streaming every page while
 * printing exactly the document a single `-o json` would.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrator.js';
import { BIN, cliEnvironment, type CliEnvironment } from '../support/cli.js';
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

  // `agentgw gateway list --all -o json | head`: the reader takes the first bytes and closes the
  // pipe while pages are still being written. Node throws the next write's EPIPE as an unhandled
  // 'error' event (a stack trace, exit 1) unless the CLI takes the reader leaving as the end.
  it.each(['json', 'name', 'yaml', 'table'])('--all -o %s stops quietly, exit 0, when its reader closes the pipe early', async (format) => {
    const run = await runUntilReaderLeaves(['gateway', 'list', '--all', '--limit', '1', '-o', format]);
    expect(run).toEqual({ exitCode: 0, stderr: '', received: true });
  });

  it('--watch, which polls until stopped, ends quietly with exit 0 when its reader leaves', async () => {
    const run = await runUntilReaderLeaves(['gateway', 'list', '--watch', '-o', 'json']);
    expect(run).toEqual({ exitCode: 0, stderr: '', received: true });
  });

  // `> file` on a full disk: the output is lost, and the command says so in one line and fails.
  it.skipIf(!existsSync('/dev/full'))('says the output could not be written, and exits 1, when stdout is a full disk', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [BIN, 'gateway', 'list', '--all', '-o', 'json'], { env: cli.env, stdio: ['ignore', full, 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      expect({ exitCode, stderr }).toEqual({ exitCode: 1, stderr: 'error: cannot write the output: ENOSPC: no space left on device, write\n' });
    } finally {
      closeSync(full);
    }
  });

  /** Runs the CLI into a pipe whose reader closes it after the first chunk, as `| head -c 1` does. */
  async function runUntilReaderLeaves(args: string[]): Promise<{ exitCode: number | null; stderr: string; received: boolean }> {
    const child = spawn(process.execPath, [BIN, ...args], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let received = false;
    child.stdout.once('data', () => {
      received = true;
      child.stdout.destroy();
    });
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { exitCode, stderr, received };
  }
});
