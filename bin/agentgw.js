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
  // The CLI is one CommonJS file, started from a code cache (see src/launcher/launch.ts).
  require('../dist/launcher.cjs').launch(require('node:path').join(__dirname, '..', 'dist'), process.argv);
}
