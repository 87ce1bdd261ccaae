#!/usr/bin/env node
// Colour is decided before any library loads: chalk and cli-table3 ignore NO_COLOR themselves.
if (process.env.NO_COLOR || process.env.TERM === 'dumb' || process.argv.includes('--no-color') || !process.stdout.isTTY) {
  process.env.FORCE_COLOR = '0';
}
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv);
