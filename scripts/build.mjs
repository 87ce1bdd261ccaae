// Bundles src/ into dist/ with code splitting, so each command's code is a chunk loaded only
// when that command runs. Dependencies stay in node_modules (better-sqlite3 is native).
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Ink and React are bundled into the dashboard's chunk: loaded as hundreds of small files from
// node_modules they cost ~0.4 s more to start. Kysely (~0.25 s as separate files) and commander
// likewise: they are on every command's path. Everything else stays external (cosmiconfig too:
// it loads only when there is a config file, and bundled, `await import()` of it would see only a
// default export). Bundled CommonJS code gets a real
// `require` (the banner) for the Node built-ins it asks for; a few CommonJS packages of Ink's
// tree are still left for Node to load itself; `react-devtools-core` (only used with DEV=true) is not installed: a stub.
//
// Yoga (Ink's layout engine) ships its WebAssembly as a data: URL that it reads with fetch(),
// which makes Node load undici just to decode base64 (~0.1 s of a ~0.5 s start). The patch hands
// it the bytes directly; the build fails if a Yoga upgrade changes the code it replaces.
const YOGA_FETCH = 'function ya(){return w||"function"!=typeof fetch?';
const YOGA_BYTES = 'function ya(){return Promise.resolve(Buffer.from(H.slice(37),"base64"));return w||"function"!=typeof fetch?';
const BUNDLED_ROOTS = /^(ink|react|react\/jsx-runtime|kysely|kysely\/helpers\/(postgres|sqlite)|commander)$/;
const KEPT_EXTERNAL = /^(signal-exit|stack-utils|ws)(\/|$)/;
// Node 20 brings a CommonJS package into an ES module through its ESM translator, which costs
// tens of milliseconds a package at startup (measured: ipaddr.js takes 5 ms by require(), 57 ms
// by import; better-sqlite3 30 ms by import). External CommonJS packages are therefore loaded with
// require() — the banner's createRequire — and ES module packages with import.
const REQUIRED_NAMESPACE = 'required-commonjs';
function isCommonJs(specifier) {
  let resolved;
  try {
    resolved = fileURLToPath(import.meta.resolve(specifier));
  } catch {
    return false; // optional peers that are not installed: left to Node, as before
  }
  if (resolved.endsWith('.cjs')) return true;
  if (!resolved.endsWith('.js')) return false;
  for (let dir = dirname(resolved); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
  }
  return true;
}

/**
 * An ES module in front of a CommonJS package: its default export and, for `import { x }` and
 * `await import()` alike, a named export for each of its export names (read at build time).
 */
function commonJsFacade(specifier) {
  const names = Object.keys(requireFromProject(specifier)).filter((name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name));
  const named = names.length > 0 ? `export const { ${names.join(', ')} } = loaded;\n` : '';
  return `const loaded = require(${JSON.stringify(specifier)});\nexport default loaded;\n${named}`;
}
const requireFromProject = createRequire(import.meta.url);

const dashboardBundle = {
  name: 'dashboard-bundle',
  setup(build) {
    build.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };', loader: 'js' }));
    build.onLoad({ filter: /yoga-layout\/dist\/binaries\/yoga-wasm-base64-esm\.js$/ }, async (args) => {
      const code = await readFile(args.path, 'utf8');
      if (!code.includes(YOGA_FETCH)) throw new Error(`${args.path}: the wasm loader changed; update YOGA_FETCH in scripts/build.mjs`);
      return { contents: code.replace(YOGA_FETCH, YOGA_BYTES), loader: 'js' };
    });
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.namespace === REQUIRED_NAMESPACE || args.path.startsWith('node:')) return { external: true };
      const inBundledTree = args.importer.includes('/node_modules/');
      if (!KEPT_EXTERNAL.test(args.path) && (inBundledTree || BUNDLED_ROOTS.test(args.path))) return undefined;
      // A require() left to Node by a bundled package goes to the banner's require as it is.
      if (args.kind === 'require-call' || args.kind === 'require-resolve') return { external: true };
      return isCommonJs(args.path) ? { path: args.path, namespace: REQUIRED_NAMESPACE } : { external: true };
    });
    build.onLoad({ filter: /.*/, namespace: REQUIRED_NAMESPACE }, (args) => ({ contents: commonJsFacade(args.path), loader: 'js' }));
  },
};

// `node scripts/build.mjs DIR` builds elsewhere: each test run builds its own copy, so one run
// never deletes the files another is executing.
const outdir = process.argv[2] ?? 'dist';
await rm(outdir, { recursive: true, force: true });
await build({
  // version.js on its own: bin/agentgw.js answers --version from it without loading the CLI.
  entryPoints: { cli: 'src/cli.ts', version: 'src/version.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [dashboardBundle],
  // React's production build; nothing in src/ reads NODE_ENV.
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: { js: "import { createRequire as __agentgwCreateRequire } from 'node:module'; const require = __agentgwCreateRequire(import.meta.url);" },
  sourcemap: true,
  // Start-up is spent parsing: React's reconciler alone ships 400 KB of unminified production
  // code. Whitespace and syntax are minified; identifiers are kept, so class names in errors and
  // stack traces stay what the source says (and the source maps map the rest back).
  minifyWhitespace: true,
  minifySyntax: true,
  jsx: 'automatic',
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
});
