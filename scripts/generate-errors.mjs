// Writes docs/errors.md from the error registry (src/domain/error-codes.ts), through
// src/domain/errors-page.ts: the page is what the registry says, never edited by hand.
//
//   node scripts/generate-errors.mjs          # rewrite the page
//   node scripts/generate-errors.mjs --check  # exit 1 when the page is not what the registry gives
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = resolve(ROOT, 'docs/errors.md');

// The registry is TypeScript: bundled in memory into one module without imports, then loaded.
const bundled = await build({ entryPoints: [resolve(ROOT, 'src/domain/errors-page.ts')], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'warning' });
const { renderErrorsPage } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
const page = renderErrorsPage();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(PAGE, 'utf8');
  } catch {}
  if (current !== page) {
    process.stderr.write(`${relative(ROOT, PAGE)} is not what the registry gives: run npm run generate:errors\n`);
    process.exit(1);
  }
} else {
  writeFileSync(PAGE, page);
  process.stdout.write(`wrote ${relative(ROOT, PAGE)}\n`);
}
