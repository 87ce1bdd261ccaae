#!/usr/bin/env node
const args = process.argv.slice(2);
// `agentgw --version` is what scripts run to probe the tool: answered before the CLI (commander
// and the command tree) loads, with exactly what commander would print.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  // Colour is decided before any library loads: chalk and cli-table3 ignore NO_COLOR themselves.
  if (process.env.NO_COLOR || process.env.TERM === 'dumb' || args.includes('--no-color') || !process.stdout.isTTY) {
    process.env.FORCE_COLOR = '0';
  }
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(process.argv);
}
