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
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * How the build frames each bundle (scripts/build.mjs writes the same text around it). Node's
 * require runs the framed file as the CommonJS module it holds (the source-map path, launch.ts);
 * compiled here as a script, its value is the module's function, so V8 compiles the text as read.
 * Wrapped here instead, as Node's loader wraps a module, the joined text is one more copy of the
 * bundle, made when V8 flattens it: 1.4 MB of fresh memory, on a machine where a page touched for
 * the first time costs ~12 µs (about 7 ms of `gateway list`).
 */
export const BUNDLE_FRAME = {
  start:
    '(function (run) { return typeof module === "object" ? run.call(exports, exports, require, module, __filename, __dirname) : run; })(function (exports, require, module, __filename, __dirname) {',
  end: '\n});',
};

/** Runs the CommonJS module `file` with the code cache of `options.key`. */
export function loadWithCodeCache<T>(file: string, options: CodeCacheOptions): CachedModule<T> {
  const { cacheDir, key, sourceHash } = options;
  const { source, buffer } = readSource(file);
  if (!source.startsWith(BUNDLE_FRAME.start)) throw new Error(`${file} is not a bundle framed by agentgw's build (scripts/build.mjs); build it again`);
  const cacheFile = cacheDir === null ? null : codeCacheFile(file, cacheDir, key, sourceHash);
  // The source's bytes are in the string now: the cache is read into their buffer when it fits.
  const stored = cacheFile === null ? undefined : readIfPresent(cacheFile, buffer);
  const cachedData = stored === undefined ? undefined : payloadOf(stored, CODE_CACHE, sourceHash);
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, options.require ?? createRequire(file), module, file, dirname(file));
  const codeCache =
    cacheFile === null ? 'off' : stored === undefined ? 'missing' : cachedData === undefined || script.cachedDataRejected === true ? 'rejected' : 'used';
  return {
    exports: module.exports,
    codeCache,
    saveCodeCache() {
      if (cacheDir === null || cacheFile === null || codeCache === 'used') return;
      try {
        const bytecode = script.createCachedData();
        writeAtomically(cacheDir, cacheFile, Buffer.concat([Buffer.from(header(CODE_CACHE, sourceHash, bytecode), 'latin1'), bytecode]));
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

/**
 * The SQL statements a command compiled (src/store/statement-cache.ts), kept beside its code cache
 * and checked as it is: a file of another build, or damaged, is never given to the CLI.
 */
export function readKeptStatements(file: string, cacheDir: string, key: string, sourceHash: string): string | undefined {
  const stored = readIfPresent(statementsFile(file, cacheDir, key, sourceHash), Buffer.alloc(0));
  const text = stored === undefined ? undefined : payloadOf(stored, STATEMENTS, sourceHash);
  return text?.toString('utf8');
}

/** Keeps `text` as the statements of the command `key` (readKeptStatements). Never throws. */
export function keepStatements(file: string, cacheDir: string, key: string, sourceHash: string, text: string): void {
  try {
    const payload = Buffer.from(text, 'utf8');
    writeAtomically(cacheDir, statementsFile(file, cacheDir, key, sourceHash), Buffer.concat([Buffer.from(header(STATEMENTS, sourceHash, payload), 'latin1'), payload]));
  } catch {
    // As for the code cache: the next run compiles them again.
  }
}

/** Named as the code cache is, so it goes with the caches of its build (saveCodeCache). */
function statementsFile(file: string, cacheDir: string, key: string, sourceHash: string): string {
  return codeCacheFile(file, cacheDir, key, sourceHash).replace(/\.bin$/, '.sql.json');
}

/** What a cache file holds, as its header says. */
const CODE_CACHE = 'agentgw-code-cache 2';
const STATEMENTS = 'agentgw-statements 1';

/**
 * The first line of a cache file: what it is, the bundle it was compiled from, its checksum;
 * padded to a multiple of 8 bytes, so the bytecode after it starts 8-byte aligned in the buffer it
 * is read into. V8 copies cache data that is not aligned before it reads it: 1.2 MB of fresh
 * memory for `gateway list`, ~300 page faults.
 */
function header(kind: string, sourceHash: string, payload: Buffer): string {
  const line = `${kind} ${sourceHash} ${crc32(payload).toString(16)}`;
  return `${line.padEnd(Math.ceil((line.length + 1) / 8) * 8 - 1)}\n`;
}

/**
 * What a cache file of `kind` holds, when its header names this bundle and its checksum matches.
 * V8 checks little more than the source's length, and runs damaged bytecode (it crashed on it).
 * The checksum is CRC-32, as in Node's own compile cache: with loading node:zlib, ~1 ms a start
 * for an 850 KB cache, where SHA-1 cost 4 ms (node:crypto loads 17 modules of its own).
 */
function payloadOf(stored: Buffer, kind: string, sourceHash: string): Buffer | undefined {
  const end = stored.indexOf(0x0a);
  if (end === -1) return undefined;
  const payload = stored.subarray(end + 1);
  return stored.toString('latin1', 0, end + 1) === header(kind, sourceHash, payload) ? payload : undefined;
}

/**
 * The bundle's text. esbuild writes ASCII (non-ASCII characters escaped), which reads as Latin-1
 * in a fraction of the time UTF-8 decoding takes (measured on the 1.4 MB CLI: 2 ms against 9 ms).
 */
function readSource(file: string): { source: string; buffer: Buffer } {
  const buffer = readFileSync(file);
  return { source: isAscii(buffer) ? buffer.toString('latin1') : buffer.toString('utf8'), buffer };
}

/**
 * The file's bytes, read into `reuse` when they fit: memory already touched, where a new buffer
 * of 1.2 MB would be 300 fresh pages (3.5 ms of a start here).
 */
function readIfPresent(file: string, reuse: Buffer): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const bytes = size <= reuse.length ? reuse.subarray(0, size) : Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const count = readSync(fd, bytes, read, size - read, read);
      if (count === 0) break;
      read += count;
    }
    return bytes.subarray(0, read);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function writeAtomically(dir: string, file: string, data: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, data, { mode: 0o600 });
  renameSync(temporary, file);
}
