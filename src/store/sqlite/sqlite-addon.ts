/**
 * better-sqlite3's native addon, for its `nativeBinding` option. Named directly: better-sqlite3's
 * default lookup (the `bindings` package) probes a dozen paths with fs calls on every start, and
 * it looks beside the file that calls it, which in the bundle is dist/cli.cjs, not better-sqlite3.
 * Undefined (that lookup, and its error listing where it looked) when neither a release nor a
 * debug build of the addon is there.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function sqliteNativeBinding(): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    const debugBuild = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Debug', 'better_sqlite3.node');
    return existsSync(debugBuild) ? debugBuild : undefined;
  }
}
