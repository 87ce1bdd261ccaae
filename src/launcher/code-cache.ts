/**
 * Runs the built CLI, one CommonJS file, from V8's code cache.
 *
 * The bytecode V8 compiled during a command's first run is stored, and later runs of that
 * command deserialise it instead of parsing and compiling the bundle again (measured on Node 20
 * and 22: `env list` 86 ms of CPU without, 50 ms with). Node 22's module.enableCompileCache is the same idea,
 * but stores the bytecode before the module runs, without the functions a command calls
 * (launch.ts says what that costs).
 *
 * There is a cache per command (`gateway.list`, `env.create`, …) because a cache holds the
 * functions its run compiled, and each command compiles different ones. A cache belongs to one
 * bundle's content: V8 itself only compares the source's length, and npm gives every installed
 * file the same modification time, so an upgrade to a bundle of the same size would run the old
 * release's bytecode. The file is named by the hash of the bundle the build wrote
 * (into dist/launcher.cjs) and the Node version, and starts with a header that repeats that hash and
 * holds a checksum of the bytecode: a file of another build, renamed, copied or damaged, is
 * never handed to V8, and is replaced. Files are written atomically; writing one removes those of
 * other builds of the same installation. A cache that is missing, unreadable or rejected only
 * means a slower start; AGENTGW_NO_CODE_CACHE=1 turns it off.
 */
import { isAscii } from 'node:buffer';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

export interface CachedModule<T> {
  exports: T;
  /** What became of the cache: used, or why the bundle was compiled from its source. */
  codeCache: 'used' | 'missing' | 'rejected' | 'off';
  /** Stores what V8 compiled so far, when there was no usable cache. Never throws. */
  saveCodeCache(): void;
}

export interface CodeCacheOptions {
  /** Where the caches are kept; null runs without one. */
  cacheDir: string | null;
  /** The command the cache is for (commandKey). */
  key: string;
  /** The hash of the bundle's content, computed by the build. */
  sourceHash: string;
  /** The module's `require`; by default Node's, relative to `file`. */
  require?: NodeJS.Require;
}

/** `$XDG_CACHE_HOME/agentgw/code-cache` (or ~/.cache/…); null when turned off or there is no home. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.AGENTGW_NO_CODE_CACHE === '1') return null;
  let base = env.XDG_CACHE_HOME;
  if (!base) {
    const home = homedir();
    if (!home) return null;
    base = join(home, '.cache');
  }
  return join(base, 'agentgw', 'code-cache');
}

/** The command words of a run, as its cache is named: `gateway.list` for `gateway list -o json`. */
export function commandKey(args: readonly string[]): string {
  const words: string[] = [];
  for (const arg of args) {
    if (words.length === 2 || !/^[a-z][a-z-]{0,31}$/.test(arg)) break;
    words.push(arg);
  }
  return words.length === 0 ? 'default' : words.join('.');
}

/** Node's CommonJS wrapper, around the bundle's text (the build writes a plain CommonJS module). */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_END = '\n})';

/** Runs the CommonJS module `file` with the code cache of `options.key`. */
export function loadWithCodeCache<T>(file: string, options: CodeCacheOptions): CachedModule<T> {
  const { cacheDir, key, sourceHash } = options;
  // With source maps on, Node's loader runs the bundle, as a plain module; wrapping it here
  // costs a copy of the text when V8 flattens the string (a fraction of a millisecond).
  const source = WRAPPER_START + readSource(file) + WRAPPER_END;
  const cacheFile = cacheDir === null ? null : codeCacheFile(file, cacheDir, key, sourceHash);
  const stored = cacheFile === null ? undefined : readIfPresent(cacheFile);
  const cachedData = stored === undefined ? undefined : bytecodeOf(stored, sourceHash);
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} as T };
  script.runInThisContext().call(module.exports, module.exports, options.require ?? createRequire(file), module, file, dirname(file));
  const codeCache =
    cacheFile === null ? 'off' : stored === undefined ? 'missing' : cachedData === undefined || script.cachedDataRejected === true ? 'rejected' : 'used';
  return {
    exports: module.exports,
    codeCache,
    saveCodeCache() {
      if (cacheDir === null || cacheFile === null || codeCache === 'used') return;
      try {
        const bytecode = script.createCachedData();
        writeAtomically(cacheDir, cacheFile, Buffer.concat([Buffer.from(header(sourceHash, bytecode), 'latin1'), bytecode]));
        // Caches of earlier builds of this installation will never be read again.
        const installation = `${installationId(file)}-`;
        const thisBuild = `${installation}${buildId(sourceHash)}-`;
        for (const name of readdirSync(cacheDir)) {
          if (name.startsWith(installation) && !name.startsWith(thisBuild)) rmSync(join(cacheDir, name), { force: true });
        }
      } catch {
        // A read-only or full disk: the next run compiles again, as it would without a cache.
      }
    },
  };
}

/** Where the cache of `file` (whose content hashes to `sourceHash`) for the command `key` is kept. */
export function codeCacheFile(file: string, cacheDir: string, key: string, sourceHash: string): string {
  return join(cacheDir, `${installationId(file)}-${buildId(sourceHash)}-${key}.bin`);
}

/**
 * Which installation: the bundle's name and a hash (FNV-1a) of its path, so that two installed
 * versions of agentgw keep their caches apart instead of removing each other's.
 */
function installationId(file: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < file.length; index++) hash = Math.imul(hash ^ file.charCodeAt(index), 0x01000193);
  return `${basename(file)}-${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

/** Which build of the bundle, for which Node: V8's bytecode differs between Node versions. */
function buildId(sourceHash: string): string {
  return `${process.version}.${process.arch}.${sourceHash}`;
}

/** The first line of a cache file: what it is, the bundle it was compiled from, its checksum. */
function header(sourceHash: string, bytecode: Buffer): string {
  return `agentgw-code-cache 1 ${sourceHash} ${crc32(bytecode).toString(16)}\n`;
}

/**
 * The bytecode a cache file holds, when its header names this bundle and its checksum matches.
 * V8 checks little more than the source's length, and runs damaged bytecode (it crashed on it).
 * The checksum is CRC-32, as in Node's own compile cache: with loading node:zlib, ~1 ms a start
 * for an 850 KB cache, where SHA-1 cost 4 ms (node:crypto loads 17 modules of its own).
 */
function bytecodeOf(stored: Buffer, sourceHash: string): Buffer | undefined {
  const end = stored.indexOf(0x0a);
  if (end === -1) return undefined;
  const bytecode = stored.subarray(end + 1);
  return stored.toString('latin1', 0, end + 1) === header(sourceHash, bytecode) ? bytecode : undefined;
}

/**
 * The bundle's text. esbuild writes ASCII (non-ASCII characters escaped), which reads as Latin-1
 * in a fraction of the time UTF-8 decoding takes (measured on the 1.4 MB CLI: 2 ms against 9 ms).
 */
function readSource(file: string): string {
  const bytes = readFileSync(file);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeAtomically(dir: string, file: string, data: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, data, { mode: 0o600 });
  renameSync(temporary, file);
}
