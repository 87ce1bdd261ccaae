/**
 * private-files: the embedded SQLite store's files hold every gateway's sealed credentials and
 * the key that opens them. One `agentgw serve` on a fresh data directory, run under umask 000
 * (so that any file agentgw does not make private itself comes out world-writable), and the CLI
 * in local mode on another: the data directory must be 0700 and the database, its -wal and -shm
 * files, the daemon's lock and the generated key 0600 — from the moment they exist, which a
 * watcher polling the directory while the daemon starts checks too. Then a second `serve` on a
 * copy whose directory and files were opened up (0755, 0644) must warn about each of them, and
 * leave their modes as they were.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { BIN } from '../support/cli.js';
import { CANARY, canaryCredentials, logTrouble, request, Scenario, show, startServe } from './support.js';

const s = new Scenario('private-files', 'modes of the data directory, the SQLite files and the key, and the warning for loose ones');

let root: string;
let sim: GatewaySimulator;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'agentgw-private-'));
  sim = await startGatewaySimulator({ gateways: [{ name: 'good', auth: { username: CANARY.username, password: CANARY.password } }] });
});

afterAll(async () => {
  s.finish();
  await s.cleanup();
  await sim?.close();
  rmSync(root, { recursive: true, force: true });
});

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

/** The config of a daemon on a SQLite file in `dir`, with no key configured (so one is generated beside it). */
function sqliteConfig(dir: string): Record<string, unknown> {
  return { database: { url: `sqlite:${join(dir, 'agentgw.sqlite')}` }, logging: { level: 'info' } };
}

/** Watches a directory's entries and their modes until stopped; every mode seen, by name. */
function watchModes(dir: string): { stop(): Map<string, Set<string>> } {
  const seen = new Map<string, Set<string>>();
  const look = () => {
    const entries = [['.', dir], ...(existsSync(dir) ? readdirSync(dir).map((name) => [name, join(dir, name)]) : [])];
    for (const [name, path] of entries) {
      try {
        const mode = modeOf(path!);
        if (!seen.has(name!)) seen.set(name!, new Set());
        seen.get(name!)!.add(mode);
      } catch {
        // created or removed between the listing and the stat
      }
    }
  };
  const timer = setInterval(look, 1);
  return {
    stop() {
      clearInterval(timer);
      look();
      return seen;
    },
  };
}

describe('reliability: private files', () => {
  it('creates the data directory 0700 and every file 0600 from the start, and warns of looser ones', async () => {
    const data = join(root, 'serve', 'data');
    const watcher = watchModes(data);
    s.fault('umask 000');
    const daemon = await startServe(s, 'umask 000', { config: sqliteConfig(data), umask: 0o000 });
    // A gateway with a password: the first secret makes the daemon generate its key.
    s.figures.notes.canaryRegistrations = 1;
    const registered = await request(s, daemon.url, 'POST', '/api/v1/gateways', {
      body: { name: 'private', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('good'), ...canaryCredentials() } },
    });
    s.check(registered.status === 201, `registering a gateway: ${show(registered)}`);
    const seen = watcher.stop();
    const expected: Record<string, string> = {
      '.': '0700',
      'agentgw.sqlite': '0600',
      'agentgw.sqlite-wal': '0600',
      'agentgw.sqlite-shm': '0600',
      'agentgw.sqlite-serve.lock': '0600',
      'secret.key': '0600',
    };
    for (const [name, mode] of Object.entries(expected)) {
      const path = name === '.' ? data : join(data, name);
      if (!s.check(existsSync(path), `${name} was not created`)) continue;
      s.check(modeOf(path) === mode, `${name} is ${modeOf(path)}, expected ${mode}`);
      const modes = [...(seen.get(name) ?? [])];
      s.check(modes.every((m) => m === mode), `${name} was seen as ${modes.join(', ')} while the daemon started`);
    }
    for (const name of readdirSync(data)) s.check(modeOf(join(data, name)) === '0600', `${name} is ${modeOf(join(data, name))}`);
    s.note('modesSeenWhileStarting', Object.fromEntries([...seen].map(([name, modes]) => [name, [...modes]])));
    s.check(!/warning: .* is open to other users/.test(daemon.stderr()), `a fresh install warned: ${daemon.stderr()}`);
    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `the daemon exited ${exitCode} on SIGTERM`);
    for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`daemon log: ${line}`);

    // The CLI in local mode creates the same store the same way.
    const local = join(root, 'local', 'data');
    const run = await execa('/bin/sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, BIN, '--database', `sqlite:${join(local, 'agentgw.sqlite')}`, 'env', 'create', 'staging'], {
      env: { PATH: process.env.PATH ?? '', HOME: root, AGENTGW_CONFIG_DIR: join(root, 'none'), NO_COLOR: '1', CI: '1' },
      extendEnv: false,
      reject: false,
    });
    s.figures.cliRuns += 1;
    s.capture('CLI env create (umask 000)', `${run.stdout}\n${run.stderr}`);
    s.check(run.exitCode === 0, `agentgw env create: exit ${run.exitCode}: ${run.stderr}`);
    s.check(modeOf(local) === '0700', `the CLI's data directory is ${modeOf(local)}`);
    for (const name of readdirSync(local)) s.check(modeOf(join(local, name)) === '0600', `the CLI's ${name} is ${modeOf(join(local, name))}`);

    // An install whose files were opened up: serve names each one, and changes none.
    const loose = join(root, 'serve', 'data');
    chmodSync(loose, 0o755);
    const opened = readdirSync(loose);
    for (const name of opened) chmodSync(join(loose, name), 0o644);
    s.fault('files opened to other users', opened.length + 1);
    const second = await startServe(s, 'loose files', { config: sqliteConfig(loose) });
    const stderr = second.stderr();
    s.check(new RegExp(`warning: the data directory ${loose} is open to other users \\(mode 0755\\).*chmod 700 ${loose}`).test(stderr), `no warning for the directory: ${stderr}`);
    for (const name of opened) {
      const path = join(loose, name);
      s.check(stderr.includes(`warning: ${path} is open to other users (mode 0644)`) && stderr.includes(`chmod 600 ${path}`), `no warning for ${name}: ${stderr}`);
    }
    s.check(modeOf(loose) === '0755' && opened.every((name) => modeOf(join(loose, name)) === '0644'), 'serve changed the modes it warned about');
    s.note('warned', opened.length + 1);
    const secondExit = await second.stop();
    s.check(secondExit === 0, `the second daemon exited ${secondExit} on SIGTERM`);
    s.check(/"level":40.*is open to other users/.test(second.stdout()), 'the warnings are not in the log');
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 120_000);
});
