import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheDir, codeCacheFile, commandKey, loadWithCodeCache } from '../../../src/launcher/code-cache.js';

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

/** CommonJS code as the build writes a bundle: inside the function Node wraps a module in. */
const asBundle = (code: string) => `(function (exports, require, module, __filename, __dirname) { ${code}\n})`;

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

  function writeBundle(answer: string, mtime = new Date('2026-01-01T00:00:00Z')) {
    writeFileSync(
      bundle,
      asBundle(`'use strict';\nconst { twice } = require('./helper.cjs');\nexports.answer = () => ${answer} + 1;\nexports.where = () => [__filename, __dirname];\nexports.twice = twice;\n`),
    );
    utimesSync(bundle, mtime, mtime);
  }

  const cacheFiles = () => readdirSync(cacheDir).filter((name) => name.endsWith('.bin'));

  it('runs the module as CommonJS, relative requires and __filename included', () => {
    const loaded = loadWithCodeCache<Record<string, () => unknown>>(bundle, cacheDir, 'env.list');
    expect(loaded.exports.answer!()).toBe(42);
    expect(loaded.exports.where!()).toEqual([bundle, root]);
    expect((loaded.exports.twice as unknown as (n: number) => number)(4)).toBe(8);
  });

  it('reads a bundle that is not ASCII as UTF-8', () => {
    writeFileSync(bundle, asBundle("exports.word = () => 'café …';\n"));
    expect(loadWithCodeCache<{ word(): string }>(bundle, null, 'env.list').exports.word()).toBe('café …');
  });

  it('writes a cache on the first run and reads it, unchanged, on the next', () => {
    loadWithCodeCache(bundle, cacheDir, 'env.list').saveCodeCache();
    const [file] = cacheFiles();
    expect(file).toMatch(/^bundle\.cjs-[0-9a-f]{8}-.+-env\.list\.bin$/);
    const written = statSync(join(cacheDir, file!)).mtimeMs;
    const again = loadWithCodeCache<{ answer(): number }>(bundle, cacheDir, 'env.list');
    again.saveCodeCache();
    expect(again.exports.answer()).toBe(42);
    expect(statSync(join(cacheDir, file!)).mtimeMs).toBe(written);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
  });

  it('keeps one cache per command', () => {
    loadWithCodeCache(bundle, cacheDir, 'env.list').saveCodeCache();
    loadWithCodeCache(bundle, cacheDir, 'gateway.list').saveCodeCache();
    expect(cacheFiles().map((name) => name.replace(/^.*-/, '')).sort()).toEqual(['env.list.bin', 'gateway.list.bin']);
  });

  it('replaces a cache V8 rejects, and still runs the module', () => {
    // Nothing loaded first: V8 would find the script in its in-process compilation cache.
    const file = codeCacheFile(bundle, cacheDir, 'env.list');
    mkdirSync(cacheDir);
    writeFileSync(file, 'not a code cache');
    const loaded = loadWithCodeCache<{ answer(): number }>(bundle, cacheDir, 'env.list');
    expect(loaded.exports.answer()).toBe(42);
    loaded.saveCodeCache();
    expect(readFileSync(file).toString()).not.toBe('not a code cache');
  });

  it('never runs a cache of another build: a rebuilt bundle gets its own, and the old one is removed', () => {
    loadWithCodeCache(bundle, cacheDir, 'env.list').saveCodeCache();
    const [before] = cacheFiles();
    // Same length, other text, other time: V8 alone would accept the old cache (it checks the length).
    writeBundle('51', new Date('2026-02-01T00:00:00Z'));
    const rebuilt = loadWithCodeCache<{ answer(): number }>(bundle, cacheDir, 'env.list');
    expect(rebuilt.exports.answer()).toBe(52);
    rebuilt.saveCodeCache();
    const after = cacheFiles();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
  });

  it('keeps the caches of two installations apart', () => {
    const otherRoot = join(root, 'other');
    mkdirSync(otherRoot);
    const other = join(otherRoot, 'bundle.cjs');
    writeFileSync(other, asBundle("exports.answer = () => 'other';\n"));
    loadWithCodeCache(bundle, cacheDir, 'env.list').saveCodeCache();
    loadWithCodeCache(other, cacheDir, 'env.list').saveCodeCache();
    expect(cacheFiles()).toHaveLength(2);
  });

  it('runs without a cache when it is off or cannot be written', () => {
    const off = loadWithCodeCache<{ answer(): number }>(bundle, null, 'env.list');
    off.saveCodeCache();
    expect(off.exports.answer()).toBe(42);
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o500);
    const readOnly = loadWithCodeCache<{ answer(): number }>(bundle, cacheDir, 'env.list');
    expect(() => readOnly.saveCodeCache()).not.toThrow();
    expect(readOnly.exports.answer()).toBe(42);
  });
});
