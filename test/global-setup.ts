/**
 * The end-to-end tests run the built CLI. Each test run builds its own copy under .test-build/
 * (with bin/ beside it), so concurrent runs never delete each other's files; the
 * copy is removed when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export default function setup(): () => void {
  const root = resolve('.test-build', String(process.pid));
  mkdirSync(join(root, 'bin'), { recursive: true });
  execFileSync(process.execPath, ['scripts/build.mjs', join(root, 'dist')], { stdio: 'inherit' });
  for (const file of ['agentgw.js', 'package.json']) copyFileSync(join('bin', file), join(root, 'bin', file));
  process.env.AGENTGW_TEST_BIN = join(root, 'bin', 'agentgw.js');
  return () => rmSync(root, { recursive: true, force: true });
}
