// `npm run bench`: every benchmark, each against a baseline measured in the same run. Prints a
// line per figure and writes bench/results/<name>.json. `npm run bench -- cli-startup` runs one.
import { existsSync } from 'node:fs';
import { writeResult } from './support.mjs';

const BENCHMARKS = ['cli-startup', 'daemon', 'health-checks', 'health-monitor', 'deploy', 'rollout', 'events', 'dashboard', 'scale', 'reads-100k'];

const only = process.argv.slice(2);
const selected = only.length > 0 ? BENCHMARKS.filter((name) => only.includes(name)) : BENCHMARKS;
let failed = false;
for (const name of selected) {
  const file = new URL(`./${name}.mjs`, import.meta.url);
  if (!existsSync(file)) continue;
  process.stderr.write(`bench ${name}…\n`);
  try {
    const { run } = await import(file.href);
    const result = await run();
    writeResult(name, result);
    process.stdout.write(`${name}: ${JSON.stringify(result)}\n`);
  } catch (error) {
    failed = true;
    process.stdout.write(`${name}: FAILED ${error instanceof Error ? error.stack : error}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
