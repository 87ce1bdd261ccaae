/**
 * One `agentgw serve` per SQLite database: two daemons on one file would run two health
 * monitors, and SQLite's claims have no SKIP LOCKED to keep them apart (PostgreSQL does; run as
 * many daemons as you like there).
 *
 * The lock is SQLite's own: an exclusive lock on a small companion database (`FILE-serve.lock`),
 * held by an open connection in exclusive locking mode. The operating system drops it when the
 * process ends, however it ends, so a `kill -9` never leaves a stale lock behind; and the file
 * is never deleted, so two starting daemons cannot each lock a different copy of it.
 *
 * @example
 * const lock = await lockSqliteDatabase('/var/lib/agentgw/agentgw.sqlite');
 * // … serve …
 * lock.release();
 */
import { resolve } from 'node:path';
import { ConflictError } from '../domain/errors.js';
import { createPrivateFile } from '../store/private-files.js';
import { sqliteNativeBinding } from '../store/sqlite/sqlite-addon.js';

export interface InstanceLock {
  path: string;
  release(): void;
}

/** The database file a `sqlite:` URL names, as `openStore` reads it; null for other URLs and `:memory:`. */
export function sqlitePathOf(url: string): string | null {
  if (!url.startsWith('sqlite:')) return null;
  const raw = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  return raw === '' || raw === ':memory:' ? null : resolve(raw);
}

/** Takes the daemon lock of a SQLite database file, or fails with a ConflictError naming it. */
export async function lockSqliteDatabase(databasePath: string): Promise<InstanceLock> {
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const path = `${databasePath}-serve.lock`;
  // The lock is taken before the store opens (and creates the data directory) on a fresh install.
  createPrivateFile(path);
  const connection = new BetterSqlite3(path, { timeout: 0, nativeBinding: sqliteNativeBinding() });
  try {
    connection.pragma('locking_mode = EXCLUSIVE');
    // The write takes the exclusive lock; in exclusive locking mode it is kept after the commit.
    connection.exec('BEGIN EXCLUSIVE');
    connection.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    connection.exec('DELETE FROM holder');
    connection.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    connection.exec('COMMIT');
  } catch (error) {
    connection.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new ConflictError('AGW_DATABASE_IN_USE', `another agentgw serve is already running on ${databasePath}`, {
        hint: 'a SQLite database takes one daemon: stop the other one, or point several daemons at PostgreSQL (--database postgres://…)',
        details: { lock: path },
      });
    }
    throw error;
  }
  return { path, release: () => connection.close() };
}
