/**
 * Where the secret box's key comes from: the configured key first; for the embedded SQLite store a
 * key file beside the database, generated once (0600, never overwritten); otherwise a ConfigError
 * that says how to make one. The key is looked for on first use only.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ConfigError } from '../../../src/domain/errors.js';
import { lazySecretBox, type KeySourceOptions } from '../../../src/secrets/key-source.js';
import { SecretBox } from '../../../src/secrets/secret-box.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 255 - i)).toString('base64');

let dir: string;
let warnings: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentgw-key-source-'));
  warnings = [];
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function source(options: Partial<KeySourceOptions>): () => SecretBox {
  return lazySecretBox({ configuredKey: null, sqlitePath: null, warn: (message) => warnings.push(message), ...options });
}

/** True when `box` opens what a box on `key` sealed: the only way to tell which key a box holds. */
function holdsKey(box: SecretBox, key: string): boolean {
  return box.open(SecretBox.fromBase64(key).seal('probe')) === 'probe';
}

describe('lazySecretBox', () => {
  it('uses the configured key, even beside a key file, and writes nothing', () => {
    writeFileSync(join(dir, 'secret.key'), `${Buffer.alloc(32, 9).toString('base64')}\n`);
    const box = source({ configuredKey: KEY, sqlitePath: join(dir, 'agentgw.sqlite') })();
    expect(holdsKey(box, KEY)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('refuses a configured key that is not 32 bytes', () => {
    expect(() => source({ configuredKey: Buffer.alloc(16).toString('base64') })()).toThrow(/^secrets\.key must be 32 bytes/);
  });

  it.each([
    ['PostgreSQL', null],
    ['an in-memory SQLite', ':memory:'],
  ])('asks for a key, with the command that makes one, on %s', (_store, sqlitePath) => {
    const get = source({ sqlitePath });
    let error: unknown;
    try {
      get();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('storing a secret needs an encryption key: set secrets.key or AGENTGW_SECRET_KEY');
    expect((error as ConfigError).hint).toBe('generate one with: openssl rand -base64 32');
  });

  it('looks for the key on first use, not when created', () => {
    const get = source({ sqlitePath: join(dir, 'data', 'agentgw.sqlite') });
    expect(readdirSync(dir)).toEqual([]);
    get();
    expect(readdirSync(dir)).toEqual(['data']);
  });

  it('generates a key file beside the SQLite database once, private, creating the directory, and says so', () => {
    const keyFile = join(dir, 'nested', 'data', 'secret.key');
    const get = source({ sqlitePath: join(dir, 'nested', 'data', 'agentgw.sqlite') });
    const box = get();
    expect(get()).toBe(box);

    const written = readFileSync(keyFile, 'utf8');
    expect(written).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(written, 'base64')).toHaveLength(32);
    expect(holdsKey(box, written)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([
      `generated an encryption key for stored secrets at ${keyFile}; back it up with the database, or set secrets.key`,
    ]);

    // A later process reads the same key back and warns no more.
    const again = source({ sqlitePath: join(dir, 'nested', 'data', 'agentgw.sqlite') })();
    expect(holdsKey(again, written)).toBe(true);
    expect(readFileSync(keyFile, 'utf8')).toBe(written);
    expect(warnings).toHaveLength(1);
  });

  it('never writes a generated key through a file planted at its path, even a dangling symlink', () => {
    // existsSync follows the link and sees nothing; only creating the file exclusively stops the
    // key from being written wherever the link points.
    const elsewhere = join(dir, 'elsewhere.key');
    symlinkSync(elsewhere, join(dir, 'secret.key'));
    expect(() => source({ sqlitePath: join(dir, 'agentgw.sqlite') })()).toThrow(/EEXIST/);
    expect(existsSync(elsewhere)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('generates a different key for each data directory', () => {
    source({ sqlitePath: join(dir, 'a', 'agentgw.sqlite') })();
    source({ sqlitePath: join(dir, 'b', 'agentgw.sqlite') })();
    expect(readFileSync(join(dir, 'a', 'secret.key'), 'utf8')).not.toBe(readFileSync(join(dir, 'b', 'secret.key'), 'utf8'));
  });
});

