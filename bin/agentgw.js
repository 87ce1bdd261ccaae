#!/usr/bin/env node
// A CommonJS script (bin/package.json says so): an ES module entry point would start Node's ES
// module loader, ~8 ms of every run.
'use strict';
const args = process.argv.slice(2);
// `agentgw --version` is what scripts run to probe the tool: answered before the CLI (commander
// and the command tree) loads, with exactly what commander would print.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${require('../dist/version.cjs').VERSION}\n`);
} else {
  // Colour is decided before any library loads: chalk and cli-table3 ignore NO_COLOR themselves.
  if (process.env.NO_COLOR || process.env.TERM === 'dumb' || args.includes('--no-color') || !process.stdout.isTTY) {
    process.env.FORCE_COLOR = '0';
  }
  // The CLI is one CommonJS file, run from V8's code cache (see src/launcher/code-cache.ts).
  const { codeCacheDir, commandKey, loadWithCodeCache } = require('../dist/code-cache.cjs');
  const cli = loadWithCodeCache(require('node:path').join(__dirname, '..', 'dist', 'cli.cjs'), codeCacheDir(), commandKey(args));
  // import() works here, in a module Node loaded, and not inside the cached bundle (custom adapters).
  cli.exports.setModuleImporter((specifier) => import(specifier));
  cli.exports.main(process.argv).then((exitCode) => {
    process.exitCode = exitCode;
    cli.saveCodeCache();
  });
}
