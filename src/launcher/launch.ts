/**
 * Loads the built CLI (dist/cli.cjs, one CommonJS file) and runs it, compiled as little as the
 * running Node allows:
 * - The bundles (cli.cjs, and ui.cjs, typebox.cjs or kysely.cjs when a command needs them) run from
 *   agentgw's code cache (code-cache.ts), one per command, keyed by each bundle's hash from the
 *   build, on every Node version. Node 22's own compile cache would do it with less code, but it
 *   keeps only what V8 compiled before the module ran, so every run
 *   compiles again the functions its command calls: measured on Node 22, `gateway list` and
 *   `env list` each took 10 ms more with it.
 * - Beside its code cache, a command keeps the SQL statements its first run compiled
 *   (src/store/statement-cache.ts), and later runs read the embedded store with them, without
 *   loading Kysely (kysely.cjs) at all.
 * - Node 22.1 and later also get Node's compile cache, for the packages Node loads itself from
 *   node_modules (the daemon's fastify, pino, prom-client: ~25 ms less of `serve`'s start).
 * - With source maps on (AGENTGW_DEBUG=1, or node --enable-source-maps), the bundle loads through
 *   Node's loader, whose code Node maps to src/…ts:line in stack traces; code run through
 *   vm.Script it does not map.
 */
import nodeModule, { createRequire } from 'node:module';
import { join } from 'node:path';
import { codeCacheDir, commandKey, keepStatements, loadWithCodeCache, readKeptStatements, type CachedModule } from './code-cache.js';

/** What dist/cli.cjs exports to its launcher (src/cli.ts). */
export interface CliModule {
  main(argv: string[]): Promise<number>;
  reportUncaughtExceptions(): void;
  /** Whether the run did what an installation does once (migrating the store): no code cache is kept from it. */
  ranOneOffWork(): boolean;
  setModuleImporter(importer: (specifier: string) => Promise<unknown>): void;
  /** The SQL statements an earlier run of the command compiled (src/store/statement-cache.ts). */
  rememberStatements(text: string): void;
  /** The statements to keep for the next run: undefined when this one compiled none. */
  statementsToRemember(): string | undefined;
}

/** module.enableCompileCache and flushCompileCache (Node 22), which @types/node 20 does not declare. */
interface CompileCache {
  enableCompileCache?(directory?: string): unknown;
  flushCompileCache?(): void;
}
const compileCache = nodeModule as CompileCache;

/** The SHA-256 of each bundle in dist/ (cli.cjs, ui.cjs, …), written in by the build (scripts/build.mjs). */
declare const AGENTGW_BUNDLE_HASHES: Record<string, string>;

/** Runs the CLI in `distDir` with `argv` (process.argv); sets the exit code when it is done. */
export function launch(distDir: string, argv: string[]): void {
  const cacheDir = codeCacheDir();
  if (cacheDir !== null) compileCache.enableCompileCache?.(cacheDir);
  const { cli, afterRun } = loadCli(distDir, cacheDir, argv.slice(2));
  // import() works in this module, which Node loaded, and not in code run through vm.Script
  // (src/launcher/import-module.ts).
  cli.setModuleImporter((specifier) => import(specifier));
  cli.reportUncaughtExceptions();
  void cli.main(argv).then((exitCode) => {
    process.exitCode = exitCode;
    afterRun();
    setImmediate(exitWhenIdle);
  });
}

function loadCli(distDir: string, cacheDir: string | null, args: readonly string[]): { cli: CliModule; afterRun(): void } {
  const file = join(distDir, 'cli.cjs');
  const requireFromDist = createRequire(file);
  if (process.env.AGENTGW_DEBUG || process.sourceMapsEnabled) {
    // Before the bundle loads: Node reads a module's source map when it compiles the module.
    process.setSourceMapsEnabled(true);
    return { cli: requireFromDist(file) as CliModule, afterRun() {} };
  }
  const key = commandKey(args);
  const loaded: Array<CachedModule<unknown>> = [];
  const load = (name: string, require: NodeJS.Require): unknown => {
    const module = loadWithCodeCache<unknown>(join(distDir, name), { cacheDir, key, sourceHash: AGENTGW_BUNDLE_HASHES[name] ?? '', require });
    loaded.push(module);
    return module.exports;
  };
  // cli.cjs requires its sibling bundles (`./ui.cjs`) through this, so they run from the code
  // cache as well, once each; anything else is Node's require.
  const chunks = new Map<string, unknown>();
  const requireChunk = (id: string): unknown => {
    const name = id.startsWith('./') ? id.slice(2) : '';
    if (!(name in AGENTGW_BUNDLE_HASHES)) return requireFromDist(id);
    if (!chunks.has(name)) chunks.set(name, load(name, requireFromDist));
    return chunks.get(name);
  };
  const cli = load('cli.cjs', Object.assign(requireChunk, requireFromDist)) as CliModule;
  const sourceHash = AGENTGW_BUNDLE_HASHES['cli.cjs'] ?? '';
  const statements = cacheDir === null ? undefined : readKeptStatements(file, cacheDir, key, sourceHash);
  if (statements !== undefined) cli.rememberStatements(statements);
  return {
    cli,
    afterRun() {
      if (cli.ranOneOffWork()) return;
      loaded.forEach((module) => module.saveCodeCache());
      const compiled = cli.statementsToRemember();
      if (cacheDir !== null && compiled !== undefined) keepStatements(file, cacheDir, key, sourceHash, compiled);
    },
  };
}

/**
 * Exits at once when the command left nothing running: no handle, request or timer (output still
 * being written to a pipe is one), and nobody listening for 'beforeExit'. Node would exit then
 * too, after freeing the heap and every handle one by one: 4 to 7 ms of `gateway list`.
 */
function exitWhenIdle(): void {
  if (process.getActiveResourcesInfo().length > 0 || process.listenerCount('beforeExit') > 0) return;
  // Node writes its compile cache when it frees the environment, which process.exit() skips.
  compileCache.flushCompileCache?.();
  process.exit();
}
