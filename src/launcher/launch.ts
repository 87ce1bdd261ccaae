/**
 * Loads the built CLI (dist/cli.cjs, one CommonJS file) and runs it, compiled as little as the
 * running Node allows:
 * - Node 22.1 and later: Node's own compile cache (module.enableCompileCache), in agentgw's cache
 *   directory. Node checks each entry against a checksum of the module's source.
 * - Node 20: the code cache of code-cache.ts, keyed by the bundle's hash from the build.
 * - Source maps on (AGENTGW_DEBUG=1, or node --enable-source-maps): Node's own loader, whose
 *   code Node maps to src/…ts:line in stack traces; it does not map code run through vm.Script.
 */
import nodeModule, { createRequire } from 'node:module';
import { join } from 'node:path';
import { codeCacheDir, commandKey, loadWithCodeCache } from './code-cache.js';

/** What dist/cli.cjs exports to its launcher (src/cli.ts). */
export interface CliModule {
  main(argv: string[]): Promise<number>;
  setModuleImporter(importer: (specifier: string) => Promise<unknown>): void;
}

/** module.enableCompileCache and flushCompileCache (Node 22), which @types/node 20 does not declare. */
interface CompileCache {
  enableCompileCache?(directory?: string): unknown;
  flushCompileCache?(): void;
}
const compileCache = nodeModule as CompileCache;

/** Runs the CLI in `distDir` with `argv` (process.argv); sets the exit code when it is done. */
export function launch(distDir: string, argv: string[]): void {
  const { cli, afterRun } = loadCli(distDir, argv.slice(2));
  // import() works in this module, which Node loaded, and not in code run through vm.Script
  // (src/launcher/import-module.ts).
  cli.setModuleImporter((specifier) => import(specifier));
  void cli.main(argv).then((exitCode) => {
    process.exitCode = exitCode;
    afterRun();
    setImmediate(exitWhenIdle);
  });
}

/**
 * Exits at once when the command left nothing running: no handle, request or timer (output still
 * being written to a pipe is one), and nobody listening for 'beforeExit'. Node would exit then
 * too, after freeing the heap and every handle one by one: ~7 ms of a 60 ms command.
 */
function exitWhenIdle(): void {
  if (process.getActiveResourcesInfo().length > 0 || process.listenerCount('beforeExit') > 0) return;
  // Node writes its compile cache when it frees the environment, which process.exit() skips.
  compileCache.flushCompileCache?.();
  process.exit();
}

function loadCli(distDir: string, args: readonly string[]): { cli: CliModule; afterRun(): void } {
  const file = join(distDir, 'cli.cjs');
  const cacheDir = codeCacheDir();
  const mapStacks = Boolean(process.env.AGENTGW_DEBUG) || process.sourceMapsEnabled;
  if (compileCache.enableCompileCache !== undefined || mapStacks) {
    // Before the bundle loads: Node reads a module's source map when it compiles the module.
    if (mapStacks) process.setSourceMapsEnabled(true);
    if (cacheDir !== null) compileCache.enableCompileCache?.(cacheDir);
    return { cli: createRequire(file)(file) as CliModule, afterRun() {} };
  }
  const { BUNDLE_HASH } = createRequire(file)(join(distDir, 'version.cjs')) as { BUNDLE_HASH: string };
  const loaded = loadWithCodeCache<CliModule>(file, { cacheDir, key: commandKey(args), sourceHash: BUNDLE_HASH });
  return { cli: loaded.exports, afterRun: () => loaded.saveCodeCache() };
}
