import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { BUNDLE_FRAME, codeCacheDir, codeCacheFile, commandKey, keepStatements, loadWithCodeCache, readKeptStatements } from '../../../src/launcher/code-cache.js';

describe('commandKey', () => {
  it.each([
    [['gateway', 'list', '-o', 'json'], 'gateway.list'],
    [['env', 'create', 'staging'], 'env.create'],
    [['gateway', 'env', 'add', 'gw-1', 'prod'], 'gateway.env'],
    [['dev', 'gateway-sim', '--port', '0'], 'dev.gateway-sim'],
    [['dashboard'], 'dashboard'],
    [['--server', 'http://x', 'gateway', 'list'], 'default'],
    [[], 'default'],
    [['Gateway', 'list'], 'default'],
    [['../../etc', 'list'], 'default'],
  ])('%j → %s', (args, key) => {
    expect(commandKey(args)).toBe(key);
  });
});

describe('codeCacheDir', () => {
  it('follows XDG_CACHE_HOME, then the home directory', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/agentgw/code-cache');
    expect(codeCacheDir({})).toMatch(/\/\.cache\/agentgw\/code-cache$/);
  });

  it('is off with AGENTGW_NO_CODE_CACHE=1', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/var/cache/me', AGENTGW_NO_CODE_CACHE: '1' })).toBeNull();
  });
});

/** A module's text as the build writes it (scripts/build.mjs frames each bundle). */
const framed = (code: string) => `${BUNDLE_FRAME.start}${code}${BUNDLE_FRAME.end}`;

/** The hash the build writes into the launcher for its bundle (scripts/build.mjs: AGENTGW_BUNDLE_HASH). */
const hashOf = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('loadWithCodeCache', () => {
  let root: string;
  let cacheDir: string;
  let bundle: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'agentgw-code-cache-'));
    cacheDir = join(root, 'cache');
    bundle = join(root, 'bundle.cjs');
    writeFileSync(join(root, 'helper.cjs'), 'module.exports = { twice: (n) => n * 2 };\n');
    writeBundle('41');
  });

  afterEach(() => {
    chmodSync(root, 0o700);
    rmSync(root, { recursive: true, force: true });
  });

  const mtime = new Date('1985-10-26T08:15:00Z'); // what npm gives every file it installs

  function writeBundle(answer: string, path = bundle) {
    writeFileSync(
      path,
      framed(`'use strict';\nconst { twice } = require('./helper.cjs');\nexports.answer = () => ${answer} + 1;\nexports.where = () => [__filename, __dirname];\nexports.twice = twice;\n`),
    );
    utimesSync(path, mtime, mtime);
  }

  const load = <T>(key = 'env.list', dir: string | null = cacheDir, file = bundle) =>
    loadWithCodeCache<T>(file, { cacheDir: dir, key, sourceHash: hashOf(file) });
  const cacheFiles = () => readdirSync(cacheDir).filter((name) => name.endsWith('.bin'));

  it('runs the module as CommonJS, relative requires and __filename included', () => {
    const loaded = load<Record<string, () => unknown>>();
    expect(loaded.exports.answer!()).toBe(42);
    expect(loaded.exports.where!()).toEqual([bundle, root]);
    expect((loaded.exports.twice as unknown as (n: number) => number)(4)).toBe(8);
  });

  it("runs the same framed file through Node's require, as the source-map path does", () => {
    const required = createRequire(bundle)(bundle) as { answer(): number; where(): string[] };
    expect(required.answer()).toBe(42);
    expect(required.where()).toEqual([bundle, root]);
  });

  it('refuses a file the build did not frame, naming it', () => {
    writeFileSync(bundle, "exports.answer = () => 42;\n");
    expect(() => load('env.list', null)).toThrow(`${bundle} is not a bundle framed by agentgw's build`);
  });

  it('reads a bundle that is not ASCII as UTF-8', () => {
    writeFileSync(bundle, framed("exports.word = () => 'café …';\n"));
    expect(load<{ word(): string }>('env.list', null).exports.word()).toBe('café …');
  });

  it('writes a cache on the first run and reads it, unchanged, on the next', () => {
    const first = load();
    expect(first.codeCache).toBe('missing');
    first.saveCodeCache();
    const [file] = cacheFiles();
    expect(file).toBe(`bundle.cjs-${file!.split('-')[1]}-${process.version}.${process.arch}.${hashOf(bundle)}-env.list.bin`);
    const written = statSync(join(cacheDir, file!)).mtimeMs;
    const again = load<{ answer(): number }>();
    again.saveCodeCache();
    expect(again.codeCache).toBe('used');
    expect(again.exports.answer()).toBe(42);
    expect(statSync(join(cacheDir, file!)).mtimeMs).toBe(written);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
  });

  it('starts the bytecode 8-byte aligned in the file, so V8 reads it in place instead of copying it', () => {
    load().saveCodeCache();
    const [file] = cacheFiles();
    const stored = readFileSync(join(cacheDir, file!));
    expect((stored.indexOf(0x0a) + 1) % 8).toBe(0);
  });

  it('keeps one cache per command', () => {
    load('env.list').saveCodeCache();
    load('gateway.list').saveCodeCache();
    expect(cacheFiles().map((name) => name.replace(/^.*-/, '')).sort()).toEqual(['env.list.bin', 'gateway.list.bin']);
  });

  it('two builds of equal size and modification time each run their own code, and the old cache is removed', () => {
    load().saveCodeCache();
    const [before] = cacheFiles();
    // An upgrade as npm installs it: same length, same mtime, other text. V8 alone would accept
    // the old cache (it checks the length), and so did a key of size and mtime.
    const size = statSync(bundle).size;
    writeBundle('51');
    expect(statSync(bundle).size).toBe(size);
    const rebuilt = load<{ answer(): number }>();
    expect(rebuilt.exports.answer()).toBe(52);
    expect(rebuilt.codeCache).toBe('missing');
    rebuilt.saveCodeCache();
    expect(load<{ answer(): number }>().exports.answer()).toBe(52);
    const after = cacheFiles();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
  });

  it('ignores and rewrites a cache file of another bundle put in its place, never running it', () => {
    const other = join(root, 'other.cjs');
    writeBundle('51', other);
    expect(statSync(other).size).toBe(statSync(bundle).size);
    // Nothing loaded from bundle.cjs first: V8 would find it in its in-process compilation cache.
    load('env.list', cacheDir, other).saveCodeCache();
    const [foreign] = cacheFiles();
    const target = codeCacheFile(bundle, cacheDir, 'env.list', hashOf(bundle));
    copyFileSync(join(cacheDir, foreign!), target);
    const loaded = load<{ answer(): number }>();
    expect(loaded.exports.answer()).toBe(42);
    expect(loaded.codeCache).toBe('rejected');
    loaded.saveCodeCache();
    expect(readFileSync(target).equals(readFileSync(join(cacheDir, foreign!)))).toBe(false);
    expect(load<{ answer(): number }>().codeCache).toBe('used');
  });

  it.each([
    ['not a code cache', () => Buffer.from('not a code cache')],
    ['a damaged byte', (valid: Buffer) => Buffer.from(valid.map((byte, index) => (index === valid.length - 100 ? byte ^ 0xff : byte)))],
    ['a truncated file', (valid: Buffer) => valid.subarray(0, valid.length >> 1)],
    ['no header', (valid: Buffer) => valid.subarray(valid.indexOf(0x0a) + 1)],
  ])('ignores and rewrites a corrupt cache (%s), and still runs the module', (_, corrupt) => {
    const file = codeCacheFile(bundle, cacheDir, 'env.list', hashOf(bundle));
    load().saveCodeCache();
    const valid = readFileSync(file);
    writeFileSync(file, corrupt(valid));
    const loaded = load<{ answer(): number }>();
    expect(loaded.codeCache).toBe('rejected');
    expect(loaded.exports.answer()).toBe(42);
    loaded.saveCodeCache();
    expect(readFileSync(file).length).toBeGreaterThan(1000);
    expect(readFileSync(file).equals(corrupt(valid))).toBe(false);
  });

  describe('the SQL statements kept beside a command’s cache', () => {
    const statements = JSON.stringify({ 'environments:list:sqlite': { sql: 'select 1 where ? = ?', names: ['a', 'b'] } });
    const keptFile = () => readdirSync(cacheDir).find((name) => name.endsWith('-env.list.sql.json'))!;

    it('are read back as written, for that command and that build only', () => {
      keepStatements(bundle, cacheDir, 'env.list', hashOf(bundle), statements);
      expect(readKeptStatements(bundle, cacheDir, 'env.list', hashOf(bundle))).toBe(statements);
      expect(readKeptStatements(bundle, cacheDir, 'gateway.list', hashOf(bundle))).toBeUndefined();
      expect(keptFile()).toMatch(/^bundle\.cjs-[0-9a-f]{8}-/);
      // Another build of the bundle names its own file, and never reads this one's.
      writeBundle('51');
      expect(readKeptStatements(bundle, cacheDir, 'env.list', hashOf(bundle))).toBeUndefined();
    });

    it.each([
      ['a damaged byte', (valid: Buffer) => Buffer.from(valid.map((byte, index) => (index === valid.length - 5 ? byte ^ 0x01 : byte)))],
      ['a truncated file', (valid: Buffer) => valid.subarray(0, valid.length - 10)],
      ['no header', (valid: Buffer) => valid.subarray(valid.indexOf(0x0a) + 1)],
      ['a code cache header', (valid: Buffer) => Buffer.concat([Buffer.from(valid.toString('latin1', 0, valid.indexOf(0x0a)).replace('agentgw-statements 1', 'agentgw-code-cache 2'), 'latin1'), valid.subarray(valid.indexOf(0x0a))])],
    ])('are never given back from a file with %s', (_, corrupt) => {
      keepStatements(bundle, cacheDir, 'env.list', hashOf(bundle), statements);
      const file = join(cacheDir, keptFile());
      writeFileSync(file, corrupt(readFileSync(file)));
      expect(readKeptStatements(bundle, cacheDir, 'env.list', hashOf(bundle))).toBeUndefined();
    });

    it('go with the caches of their build when another build saves its cache', () => {
      keepStatements(bundle, cacheDir, 'env.list', hashOf(bundle), statements);
      writeBundle('51');
      load().saveCodeCache();
      expect(readdirSync(cacheDir).filter((name) => name.endsWith('.sql.json'))).toEqual([]);
    });
  });

  it('keeps the caches of two installations apart', () => {
    const otherRoot = join(root, 'other');
    mkdirSync(otherRoot);
    const other = join(otherRoot, 'bundle.cjs');
    writeFileSync(other, framed("exports.answer = () => 'other';\n"));
    load().saveCodeCache();
    load('env.list', cacheDir, other).saveCodeCache();
    expect(cacheFiles()).toHaveLength(2);
  });

  it('runs without a cache when it is off or cannot be written', () => {
    const off = load<{ answer(): number }>('env.list', null);
    off.saveCodeCache();
    expect(off.codeCache).toBe('off');
    expect(off.exports.answer()).toBe(42);
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o500);
    const readOnly = load<{ answer(): number }>();
    expect(() => readOnly.saveCodeCache()).not.toThrow();
    expect(readOnly.exports.answer()).toBe(42);
  });
});
