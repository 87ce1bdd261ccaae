// What the generators of src/domain/*.generated.ts share: run as a script, they write their module,
// or with --check exit 1 when the module on disk is not what the spec gives (as CI runs them).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The gateway-controller's management API, as the tests' fixtures hold it. */
export const SPEC = resolve(ROOT, 'test/unit/adapters/fixtures/gateway-controller-specs/management-openapi.yaml');

/** Resolves local `$ref`s (`#/components/schemas/X`) until a schema is left. */
export function dereference(spec, schema) {
  let node = schema;
  while (node !== null && typeof node === 'object' && typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
    node = ref
      .slice(2)
      .split('/')
      .reduce((at, key) => at?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], spec);
    if (node === undefined) throw new Error(`dangling $ref ${ref}`);
  }
  return node;
}

/** When `scriptUrl` (a generator's import.meta.url) is the script Node runs: write or check `module`. */
export function runGenerator(scriptUrl, module, render, npmScript) {
  if (process.argv[1] === undefined || resolve(process.argv[1]) !== fileURLToPath(scriptUrl)) return;
  const wanted = render(readFileSync(SPEC, 'utf8'));
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(module, 'utf8');
    } catch {}
    if (current !== wanted) {
      process.stderr.write(`${relative(ROOT, module)} is not what ${relative(ROOT, SPEC)} gives; run: npm run ${npmScript}\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(module, wanted);
    process.stdout.write(`wrote ${relative(ROOT, module)}\n`);
  }
}
