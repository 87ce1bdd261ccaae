/**
 * Where the encryption key comes from: `secrets.key` (config or AGENTGW_SECRET_KEY), or, for the
 * embedded SQLite default only, a key generated once into the data directory. A PostgreSQL
 * deployment must bring its own key: several daemons share that database and must share the key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../domain/errors.js';
import { createPrivateDirectory, PRIVATE_FILE_MODE } from '../store/private-files.js';
import { SecretBox } from './secret-box.js';

export interface KeySourceOptions {
  configuredKey: string | null;
  /** The SQLite file of the embedded store, or null for PostgreSQL. */
  sqlitePath: string | null;
  warn(message: string): void;
}

/** A function giving the SecretBox on first use: most commands never need a key. */
export function lazySecretBox(options: KeySourceOptions): () => SecretBox {
  let box: SecretBox | undefined;
  return () => (box ??= resolveSecretBox(options));
}

/** Where the key of an embedded store is generated: beside its database file. */
export function generatedKeyFile(sqlitePath: string): string {
  return join(dirname(sqlitePath), 'secret.key');
}

function resolveSecretBox({ configuredKey, sqlitePath, warn }: KeySourceOptions): SecretBox {
  if (configuredKey) return SecretBox.fromBase64(configuredKey);
  if (sqlitePath === null || sqlitePath === ':memory:') {
    throw new ConfigError('storing a secret needs an encryption key: set secrets.key or AGENTGW_SECRET_KEY', {
      hint: 'generate one with: openssl rand -base64 32',
    });
  }
  const keyFile = generatedKeyFile(sqlitePath);
  if (existsSync(keyFile)) return SecretBox.fromBase64(readFileSync(keyFile, 'utf8'));
  createPrivateDirectory(dirname(keyFile));
  const key = randomBytes(32).toString('base64');
  // Owner-only from its creation: a chmod afterwards would leave a moment to read it in.
  writeFileSync(keyFile, `${key}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  warn(`generated an encryption key for stored secrets at ${keyFile}; back it up with the database, or set secrets.key`);
  return SecretBox.fromBase64(key);
}
