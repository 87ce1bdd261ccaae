/**
 * The embedded store's files hold every gateway's sealed credentials, and the key that opens
 * them sits beside them: only their owner may read them. The data directory is created 0700 and
 * each file 0600 from the start (SQLite gives a database's -wal and -shm files the mode of the
 * database file), so there is no moment at which another user could open one.
 *
 * @example
 * createPrivateFile('/home/me/.local/share/agentgw/agentgw.sqlite');
 */
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates a directory (and its missing parents) that only its owner may enter. */
export function createPrivateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
}

/** Creates `path` empty, owner-only, unless it exists (its directory too). An existing file is left as it is. */
export function createPrivateFile(path: string): void {
  createPrivateDirectory(dirname(path));
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
}

/** The directory and files of the embedded store at `databasePath` (the daemon's lock included). */
export function storeFiles(databasePath: string): string[] {
  const suffixes = ['', '-wal', '-shm', '-serve.lock', '-serve.lock-journal'];
  return [dirname(databasePath), ...suffixes.map((suffix) => `${databasePath}${suffix}`)];
}

export interface LoosePath {
  path: string;
  /** Its permission bits in octal, e.g. "0644". */
  mode: string;
  directory: boolean;
}

/** Of `paths`, those that exist and that users other than their owner may read, write or enter. */
export function looserThanPrivate(paths: readonly string[]): LoosePath[] {
  if (process.platform === 'win32') return [];
  const loose: LoosePath[] = [];
  for (const path of paths) {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      continue;
    }
    const mode = stats.mode & 0o777;
    if ((mode & 0o077) !== 0) loose.push({ path, mode: mode.toString(8).padStart(4, '0'), directory: stats.isDirectory() });
  }
  return loose;
}
