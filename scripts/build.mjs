// Bundles src/ into dist/:
// - cli.cjs: the whole CLI as one CommonJS file. One file, because Node 20's ES module loader
//   spends tens of milliseconds a start resolving and translating modules (measured on
//   `gateway list`: 29 ES modules 212 ms, the same code as one CommonJS file 142 ms); CommonJS,
//   because only a classic script can start from V8's code cache (src/launcher/code-cache.ts).
//   Each command's code still runs only when that command does: esbuild turns every
//   `await import()` of a source module into a lazy initialiser, so Ink and React, bundled for
//   the dashboard, cost the other commands nothing but bytes on disk. Packages stay in
//   node_modules and load with require() when first used; Kysely, commander, Ink and React with
//   everything they use, ipaddr.js, get-east-asian-width and better-sqlite3's JavaScript (its
//   native addon still loads from node_modules) are bundled: loaded by Node from node_modules,
//   without the code cache, they cost far more to start (better-sqlite3's 15 files: 6 ms).
// - Package chunks: packages only some commands use, each set in a file of its own, loaded on
//   first use. Bundled into cli.cjs they cost every other command: more text read and decoded on
//   each start, and a larger code cache to deserialise.
//   - ui.cjs: Ink, React and Yoga, for the dashboard (600 KB). With validators.cjs below,
//     `gateway list -o json --all` over 1,000 gateways, Node 22: 212.9 ms with both in cli.cjs,
//     193.5 ms without (`node -e 0` 78.4 ms; interleaved runs, a clean environment).
//   - typebox.cjs: TypeBox, for the daemon's request schemas (250 KB).
//   - kysely.cjs: Kysely (270 KB), loaded when the store first builds a query with it, not when a
//     store module loads: the embedded store's reads run on their statements kept from an earlier
//     run (src/store/statement-cache.ts). Kysely was half the functions `gateway list` compiled.
//   cli.cjs requires each package through a one-line module (`require("./ui.cjs").ink`), a
//   CommonJS one: a default import of it is the package's namespace, as for any CommonJS module
//   (ora, whose default export is the function, stays in cli.cjs for that reason). A chunk holds
//   the one copy of its packages (the one React that Ink and the dashboard share). Chunks run
//   from the code cache too (src/launcher/launch.ts).
// - validators.cjs: the manifest validators generated from the gateway-controller's spec (260 KB
//   of code), for the same reason: only apply, deploy and diff run them.
// - version.cjs and launcher.cjs: what bin/agentgw.js needs before the CLI loads. launcher.cjs
//   carries the SHA-256 of each bundle as written (AGENTGW_BUNDLE_HASHES): the code cache is keyed
//   by it (src/launcher/code-cache.ts), because two builds can have the same size and, installed
//   by npm, the same modification time.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const BUNDLED_PACKAGES = /^(@sinclair\/typebox(\/(compiler|errors|value))?|better-sqlite3|kysely|kysely\/helpers\/(postgres|sqlite)|commander|ink|react|react\/jsx-runtime|ipaddr\.js|get-east-asian-width|ora)$/;
/** The package chunks (above): each package's name, and the export cli.cjs finds it by in its chunk. */
const PACKAGE_CHUNKS = {
  'ui.cjs': { ink: 'ink', react: 'react', 'react/jsx-runtime': 'jsxRuntime' },
  'typebox.cjs': { '@sinclair/typebox': 'typebox', '@sinclair/typebox/compiler': 'compiler', '@sinclair/typebox/errors': 'errors', '@sinclair/typebox/value': 'value' },
  'kysely.cjs': { kysely: 'kysely', 'kysely/helpers/postgres': 'helpersPostgres', 'kysely/helpers/sqlite': 'helpersSqlite' },
};
/**
 * Chunks loaded when one of their exports is first read, not when a module importing them loads:
 * every store module imports Kysely, and the embedded store's reads run without it (see
 * src/store/sqlite/open-sqlite.ts).
 */
const LAZY_CHUNKS = new Set(['kysely.cjs']);
/** Which chunk each package is in. */
const CHUNK_OF = new Map(Object.entries(PACKAGE_CHUNKS).flatMap(([chunk, packages]) => Object.keys(packages).map((name) => [name, chunk])));
const TEXT_WIDTH = resolve('src/tui/text-width.ts');
/**
 * Around each bundle: src/launcher/code-cache.ts's BUNDLE_FRAME, the same text (the launcher
 * refuses a bundle without it). A CommonJS module to Node's require, a function to the launcher.
 */
const BUNDLE_FRAME = {
  start:
    '(function (run) { return typeof module === "object" ? run.call(exports, exports, require, module, __filename, __dirname) : run; })(function (exports, require, module, __filename, __dirname) {',
  end: '\n});',
};

/** Replaces text in a bundled file, failing the build when an upgrade changed what it replaces. */
async function patch(path, replacements) {
  let code = await readFile(path, 'utf8');
  for (const [before, after] of replacements) {
    if (!code.includes(before)) throw new Error(`${path}: the code this build patches changed; update scripts/build.mjs`);
    code = code.replace(before, after);
  }
  return { contents: code, loader: 'js' };
}

// Yoga, Ink's layout engine, is WebAssembly that initialises asynchronously, behind a top-level
// await, which a CommonJS file cannot have. Emscripten lets the embedder instantiate the module
// itself (Module.instantiateWasm): the patches do that synchronously from the bytes Yoga carries
// as a data: URL (which it would otherwise read with fetch(), loading undici just to decode
// base64), so Yoga is ready when its module has run.
const YOGA_INSTANTIATE = 'if(h.instantiateWasm)try{return h.instantiateWasm(d,';
const YOGA_INSTANTIATE_SYNC =
  'h.instantiateWasm=function(imports,receive){var i=new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(H.slice(37),"base64")),imports);receive(i);return i.exports};' +
  YOGA_INSTANTIATE;
const YOGA_AWAIT = 'const Yoga = wrapAssembly(await loadYoga());';
const YOGA_SYNC = `const yogaModule = {};
loadYoga(yogaModule);
if (!yogaModule.calledRun) throw new Error('Yoga did not initialise synchronously (see scripts/build.mjs)');
const Yoga = wrapAssembly(yogaModule);`;

// Ink loads its developer tools (DEV=true) with two more top-level awaits. They need
// react-devtools-core, which is not installed: the patch fails as Ink does when it is missing.
const INK_DEVTOOLS = [
  ["await import('./devtools.js');", "throw Object.assign(new Error('react-devtools-core is not part of agentgw'), { code: 'ERR_MODULE_NOT_FOUND' });"],
  ['? await loadPackageJson()', '? { name: undefined, version: undefined }'],
];

// Ink draws every frame from nothing: each line of text is split into styled characters
// (ansi-tokenize: an object per character) in a cache that lives for that frame only, and the
// screen starts as a grid of a fresh blank object per cell. At 160 × 50 that was half a frame's
// CPU and most of its garbage. The cache keeps the previous frame's lines too (a row that did not
// change, or only scrolled, is not split again; two frames bound its size), and blank cells share
// one object (Output only reads a cell's object or replaces it, never changes it).
const INK_OUTPUT = [
  [
    'class OutputCaches {',
    'class OutputCaches {\n    static last;\n    static next() {\n        const caches = new OutputCaches();\n        caches.previous = OutputCaches.last;\n        if (caches.previous !== undefined) caches.previous.previous = undefined;\n        return (OutputCaches.last = caches);\n    }',
  ],
  ['            cached = styledCharsFromTokens(tokenize(line));', '            cached = this.previous?.styledChars.get(line) ?? styledCharsFromTokens(tokenize(line));'],
  ['    caches = new OutputCaches();', '    caches = OutputCaches.next();'],
  [
    "                row.push({\n                    type: 'char',\n                    value: ' ',\n                    fullWidth: false,\n                    styles: [],\n                });",
    '                row.push(BLANK_CELL);',
  ],
  ['export default class Output {', "const BLANK_CELL = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) });\nexport default class Output {"],
];

// ansi-tokenize, turning the screen's cells back into text, diffs the styles of each cell with
// the previous one's (three Sets a cell, 8,000 cells a frame). Cells split from the same run of
// text share one styles array (nothing changes a cell's styles: reduceAnsiCodesIncremental makes a
// new array), and a cell whose styles are the previous one's, or which has none after none, has
// nothing to diff: the text is the same, byte for byte.
const ANSI_TOKENIZE_STYLES = [
  ['                styles: [...codes],', '                styles: codes,'],
  [
    '            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));',
    '            const previous = chars[i - 1].styles;\n            if (previous !== char.styles && (previous.length > 0 || char.styles.length > 0)) ret += ansiCodesToString(diffAnsiCodes(previous, char.styles));',
  ],
  ['        if (i === chars.length - 1) {', '        if (i === chars.length - 1 && char.styles.length > 0) {'],
];

// commander requires child_process on load for executable subcommands, which agentgw does not
// have: loading it (and the net and stream modules it pulls in) only when one would run.
const COMMANDER_CHILD_PROCESS = [
  ["const childProcess = require('node:child_process');", "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"],
];

// Some built-in modules cost milliseconds to load (node:crypto ~4 ms, with its 17 internal
// modules; node:net ~3), and most commands never call them: agentgw's own modules import them,
// so their require() runs when those modules load. In the bundle each such import is a plain
// `import_node_crypto=require("node:crypto")`; it becomes a proxy that requires the module on
// first use (`__lazyR` has the length of `require`, so the source map stays exact).
const LAZY_BUILTINS = /(\bimport_[\w$]+=)require(\("node:(?:crypto|net|fs\/promises|timers\/promises)"\))/g;
const LAZY_REQUIRE = 'const __lazyR = (id) => { let loaded; return new Proxy({}, { get: (_, key) => (loaded ??= require(id))[key] }); };';

/**
 * For each lazy chunk's package (`kysely.cjs#kysely`), the names cli.cjs reads from it: esbuild
 * reads an export of a re-exporting module as a member of its namespace (`kysely_exports.sql`).
 * A namespace used otherwise (passed on whole) keeps every export.
 */
function exportsReadFrom(code) {
  const read = new Map();
  const namespaces = [...code.matchAll(/__esm\(\{"chunk:([^"]+)"\(\)\{__reExport\(([\w$]+),/g)];
  if (namespaces.length === 0) throw new Error('cli.cjs: no re-export of a lazy chunk found; update scripts/build.mjs');
  for (const [, path, namespace] of namespaces) {
    const names = new Set();
    let whole = false;
    for (const use of code.matchAll(new RegExp(`(?<![\\w$.])${namespace.replace(/\$/g, '\\$')}(?![\\w$])(\\.[\\w$]+)?`, 'g'))) {
      const before = code.slice(use.index - 4, use.index);
      if (use[1] !== undefined) names.add(use[1].slice(1));
      else if (!(before === 'var ' || code.slice(use.index - 11, use.index) === '__reExport(')) whole = true;
    }
    if (!whole) read.set(path, names);
  }
  return read;
}

async function requireBuiltinsLazily(path) {
  const code = await readFile(path, 'utf8');
  const names = [...code.matchAll(LAZY_BUILTINS)].map((match) => match[1].slice(0, -1));
  if (names.length === 0) throw new Error(`${path}: no import of the built-in modules it loads lazily; update scripts/build.mjs`);
  // The proxy answers property reads only: any other use of such a module (a namespace passed
  // on, `in`, enumeration, identity) fails the build rather than seeing an empty object.
  for (const name of new Set(names)) {
    for (const use of code.matchAll(new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])(.)`, 'g'))) {
      const before = code[use.index - 1];
      const declared = (before === ',' || code.slice(use.index - 4, use.index) === 'var ') && (use[1] === ',' || use[1] === ';');
      const assigned = use[1] === '=' && code[use.index + name.length + 1] !== '=';
      if (use[1] !== '.' && !assigned && !declared) throw new Error(`${path}: ${name} is used other than by reading a member: …${code.slice(use.index - 40, use.index + 40)}…`);
    }
  }
  await writeFile(path, code.replace(LAZY_BUILTINS, '$1__lazyR$2'));
}

const imports = {
  name: 'imports',
  setup(build) {
    build.onLoad({ filter: /yoga-layout\/dist\/binaries\/yoga-wasm-base64-esm\.js$/ }, (args) => patch(args.path, [[YOGA_INSTANTIATE, YOGA_INSTANTIATE_SYNC]]));
    build.onLoad({ filter: /yoga-layout\/dist\/src\/index\.js$/ }, (args) => patch(args.path, [[YOGA_AWAIT, YOGA_SYNC]]));
    build.onLoad({ filter: /ink\/build\/reconciler\.js$/ }, (args) => patch(args.path, INK_DEVTOOLS));
    build.onLoad({ filter: /ink\/build\/output\.js$/ }, (args) => patch(args.path, INK_OUTPUT));
    build.onLoad({ filter: /@alcalzone\/ansi-tokenize\/build\/styledChars\.js$/ }, (args) => patch(args.path, ANSI_TOKENIZE_STYLES));
    build.onLoad({ filter: /commander\/lib\/command\.js$/ }, (args) => patch(args.path, COMMANDER_CHILD_PROCESS));
    // Every copy of string-width in Ink's tree measures through src/tui/text-width.ts.
    build.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === TEXT_WIDTH ? { external: true } : { path: TEXT_WIDTH }));
    // In cli.cjs, the chunks' packages are the chunks' and the manifest validators validators.cjs's
    // (see above); in those bundles, they are bundled.
    if (build.initialOptions.entryPoints?.cli !== undefined) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const chunk = CHUNK_OF.get(args.path);
        return chunk === undefined ? undefined : { path: `${chunk}#${PACKAGE_CHUNKS[chunk][args.path]}`, namespace: 'chunk' };
      });
      build.onResolve({ filter: /\/manifest-validators\.generated\.js$/ }, () => ({ path: 'validators.cjs', namespace: 'chunk' }));
      build.onLoad({ filter: /.*/, namespace: 'chunk' }, (args) => {
        const [file, key] = args.path.split('#');
        if (key !== undefined && !LAZY_CHUNKS.has(file)) return { contents: `module.exports = require("./${file}").${key};`, loader: 'js' };
        // The getters below are a CommonJS module, and esbuild gives each ES module importing
        // one its own copy of its exports (__toESM: a getter defined per export, per importer;
        // 27 modules import Kysely's 300 exports: 6 ms of `gateway list`). Re-exported by an ES
        // module, they are copied once, and the importers read that module's namespace.
        return { contents: `export * from ${JSON.stringify(`getters:${args.path}`)};`, loader: 'js' };
      });
      build.onResolve({ filter: /^getters:/ }, (args) => ({ path: args.path.slice('getters:'.length), namespace: 'getters' }));
      build.onLoad({ filter: /.*/, namespace: 'getters' }, (args) => {
        const [file, key] = args.path.split('#');
        // The migrations seal manifests, so every command that opens the store imports the
        // validators' module: each export is a getter, and the file loads when one is first read.
        // A lazy chunk's packages are imported the same way.
        const loaded = key === undefined ? `require("./${file}")` : `require("./${file}").${key}`;
        const exported = key === undefined ? VALIDATOR_EXPORTS : CHUNK_EXPORTS[file][key];
        const read = exportsRead?.get(args.path);
        const getters = (read === undefined ? exported : exported.filter((name) => read.has(name))).map(
          (name) => `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => load()[${JSON.stringify(name)}] });`,
        );
        return { contents: [`let loaded; const load = () => (loaded ??= ${loaded});`, 'Object.defineProperty(exports, "__esModule", { value: true });', ...getters].join('\n'), loader: 'js' };
      });
      build.onResolve({ filter: /^\.\/[\w-]+\.cjs$/ }, () => ({ external: true }));
    }
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      const inBundledPackage = args.importer.includes('/node_modules/');
      return inBundledPackage || BUNDLED_PACKAGES.test(args.path) ? undefined : { external: true };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Start-up is spent parsing: React's reconciler alone ships 400 KB of unminified production
  // code. Whitespace and syntax are minified; identifiers are kept, so class names in errors and
  // stack traces stay what the source says (and the source maps map the rest back).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

// `node scripts/build.mjs DIR` builds elsewhere: each test run builds its own copy, so one run
// never deletes the files another is executing.
const outdir = process.argv[2] ?? 'dist';
await rm(outdir, { recursive: true, force: true });
const bundle = {
  ...common,
  outdir,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // A dynamic import() left in the file would fail when it runs from V8's code cache (a script
  // run through vm.Script has no import callback): packages are require()d instead.
  supported: { 'dynamic-import': false },
  // React's production build; nothing in src/ reads NODE_ENV. import.meta.url is the file's URL.
  define: { 'process.env.NODE_ENV': '"production"', 'import.meta.url': '__agentgwFileUrl' },
  // The frame src/launcher/code-cache.ts compiles the bundle in (BUNDLE_FRAME, which says why).
  banner: { js: `${BUNDLE_FRAME.start}const __agentgwFileUrl = require('node:url').pathToFileURL(__filename).href; ${LAZY_REQUIRE}` },
  footer: { js: BUNDLE_FRAME.end.trimStart() },
  jsx: 'automatic',
  plugins: [imports],
};
const chunkEntry = (packages) => Object.entries(packages).map(([name, key]) => `export * as ${key} from ${JSON.stringify(name)};`).join("\n");
await Promise.all([
  ...Object.entries(PACKAGE_CHUNKS).map(([chunk, packages]) =>
    build({ ...bundle, entryPoints: undefined, stdin: { contents: chunkEntry(packages), resolveDir: resolve('.'), sourcefile: chunk.replace('.cjs', '-packages.js'), loader: 'js' }, outfile: resolve(outdir, chunk), outdir: undefined }),
  ),
  build({ ...bundle, entryPoints: { validators: 'src/domain/manifest-validators.generated.ts' } }),
]);
// What validators.cjs exports, for cli.cjs's getters of them (above).
const exportsOf = (module) => Object.keys(module).filter((name) => name !== '__esModule');
const VALIDATOR_EXPORTS = exportsOf(createRequire(import.meta.url)(resolve(outdir, 'validators.cjs')));
/** What each package of a lazy chunk exports, for the getters cli.cjs finds them by. */
const CHUNK_EXPORTS = Object.fromEntries(
  [...LAZY_CHUNKS].map((chunk) => {
    const loaded = createRequire(import.meta.url)(resolve(outdir, chunk));
    return [chunk, Object.fromEntries(Object.values(PACKAGE_CHUNKS[chunk]).map((key) => [key, exportsOf(loaded[key])]))];
  }),
);
const cli = resolve(outdir, 'cli.cjs');
// Built twice: the first build tells which exports of each lazy chunk cli.cjs reads, and the
// second defines getters for those only (Kysely has 300; each getter is defined twice, in the
// getters module and in its re-export, 1.5 ms of every command that opens the store).
let exportsRead;
await build({ ...bundle, entryPoints: { cli: 'src/cli.ts' } });
exportsRead = exportsReadFrom(await readFile(cli, 'utf8'));
await build({ ...bundle, entryPoints: { cli: 'src/cli.ts' } });
await requireBuiltinsLazily(cli);
const bundleHashes = {};
for (const name of ['cli.cjs', ...Object.keys(PACKAGE_CHUNKS), 'validators.cjs']) bundleHashes[name] = createHash('sha256').update(await readFile(resolve(outdir, name))).digest('hex');
const launcherFiles = { ...common, outdir, outExtension: { '.js': '.cjs' }, format: 'cjs', packages: 'external' };
await Promise.all([
  build({ ...launcherFiles, entryPoints: { version: 'src/version.ts' } }),
  build({ ...launcherFiles, entryPoints: { launcher: 'src/launcher/launch.ts' }, define: { AGENTGW_BUNDLE_HASHES: JSON.stringify(bundleHashes) } }),
]);
