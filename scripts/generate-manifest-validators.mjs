// Writes src/domain/manifest-validators.generated.ts: for every manifest kind of the
// gateway-controller's management API, a validator of its POST request schema, compiled by Ajv
// ahead of time (standalone code). agentgw checks a manifest with it before storing or sending
// one, and the simulated controller checks what it is sent with the very same functions.
//
// Derived, not hand-written: the schemas are the spec's own. Where the controller really accepts
// or refuses something the schema does not say, CONTROLLER_RULES below patches the schema, each
// patch with its reason; a patch whose target the spec no longer has fails the generation.
// Compiled ahead of time so that no command pays for compiling schemas (or loading Ajv) at start,
// and Ajv stays a development dependency.
//
//   node scripts/generate-manifest-validators.mjs          # rewrite the module
//   node scripts/generate-manifest-validators.mjs --check  # exit 1 when the module is not what the spec gives
import { relative, resolve } from 'node:path';
import Ajv from 'ajv';
import { _ } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { parse } from 'yaml';
import { dereference, ROOT, runGenerator, SPEC } from './generated-module.mjs';

const MODULE = resolve(ROOT, 'src/domain/manifest-validators.generated.ts');

const NAME_MESSAGE = 'must be 1-253 letters, digits, ".", "-" or "_", starting and ending with a letter or digit';
const VERSION_MESSAGE = 'must be a version such as v1.0';
const DISPLAY_NAME_MESSAGE = 'may contain only letters, digits, spaces, "-", "_" and "."';
const CONTEXT_MESSAGE = 'must start with / and not end with / (except the root context)';

/**
 * Where the controller's behaviour differs from its schema: [schema name, JSON pointer inside it,
 * the keywords to set (undefined deletes one), why]. `x-message` is the reason a person reads
 * when the value breaks the pattern (patterns say nothing to most people).
 */
export const CONTROLLER_RULES = [
  ['Metadata', '/properties/name', { minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$', 'x-message': NAME_MESSAGE },
    'the name is the {id} path segment of the resource: the controller refuses what is not a Kubernetes-like name'],
  ['Metadata', '/properties/labels', { propertyNames: { pattern: '^\\S+$', 'x-message': 'label keys must not contain whitespace' } },
    'the spec says "keys must not contain spaces"; the controller refuses any whitespace'],
  ['LLMPolicy', '/properties/version', { pattern: '^v\\d+$' },
    'the controller takes a major version only for every policy (Policy.version says so); the deprecated LLMPolicy leaves the pattern out'],
  ['Operation', '', { anyOf: [{ required: ['match'] }, { required: ['method', 'path'] }] },
    'the spec says "at least one form must be provided": match, or method and path'],
];

/**
 * Patterns the controller applies differently, wherever the spec uses them: pattern → [the
 * controller's pattern, why]. The spec's version pattern refuses its own examples' `version: v1`
 * and its context pattern their `/reading-list/$version`.
 */
export const CONTROLLER_PATTERNS = new Map([
  ['^v\\d+\\.\\d+$', ['^v?\\d+(\\.\\d+)?(\\.\\d+)?$', 'the controller accepts v1, v1.0 and 1.2.3']],
  ['^\\/([a-zA-Z0-9_\\-\\/]*[^\\/])?$', ['^/(.*[^/])?$', 'the controller checks only the leading and trailing slash']],
]);

/** Readable reasons for the patterns the spec uses (a pattern says nothing to most people). */
const PATTERN_MESSAGES = new Map([
  ['^[a-zA-Z0-9\\-_\\. ]+$', DISPLAY_NAME_MESSAGE],
  ['^v\\d+$', 'must be a major version such as v1'],
  ['^v?\\d+(\\.\\d+)?(\\.\\d+)?$', VERSION_MESSAGE],
  ['^/(.*[^/])?$', CONTEXT_MESSAGE],
]);

/** Keywords that document, not constrain: left out, so the generated module holds rules only. */
const DOCUMENTATION = ['description', 'example', 'examples', 'deprecated', 'default', 'readOnly', 'writeOnly'];

/** Kind → the name of its POST request schema, for every collection whose request has a `kind` enum. */
export function requestSchemas(spec) {
  const byKind = new Map();
  for (const operations of Object.values(spec.paths ?? {})) {
    const content = operations?.post?.requestBody?.content;
    if (content === undefined) continue;
    const media = content['application/json'] ?? Object.values(content)[0];
    const ref = media?.schema?.$ref;
    const kinds = dereference(spec, dereference(spec, media?.schema)?.properties?.kind)?.enum;
    if (typeof ref !== 'string' || !Array.isArray(kinds)) continue;
    for (const kind of kinds) byKind.set(kind, ref.slice('#/components/schemas/'.length));
  }
  return new Map([...byKind].sort(([a], [b]) => a.localeCompare(b)));
}

function applyControllerRules(schemas) {
  for (const [name, pointer, keywords, why] of CONTROLLER_RULES) {
    const target = pointer
      .split('/')
      .slice(1)
      .reduce((at, key) => at?.[key], schemas[name]);
    if (target === undefined || target === null) throw new Error(`controller rule for ${name}${pointer} (${why}): the spec has no such schema any more`);
    for (const [key, value] of Object.entries(keywords)) {
      if (value === undefined) delete target[key];
      else target[key] = value;
    }
  }
}

/** OpenAPI 3.0 into JSON Schema (`nullable`), with the controller's patterns and readable reasons for them. */
function toJsonSchema(node) {
  if (node === null || typeof node !== 'object') return;
  if (node.nullable === true && typeof node.type === 'string') node.type = [node.type, 'null'];
  delete node.nullable;
  for (const key of DOCUMENTATION) delete node[key];
  if (typeof node.pattern === 'string' && CONTROLLER_PATTERNS.has(node.pattern)) node.pattern = CONTROLLER_PATTERNS.get(node.pattern)[0];
  if (typeof node.pattern === 'string' && node['x-message'] === undefined && PATTERN_MESSAGES.has(node.pattern)) {
    node['x-message'] = PATTERN_MESSAGES.get(node.pattern);
  }
  // A manifest's URL is one a gateway connects to: http or https, with a host (src/domain/http-url.ts).
  if (node.format === 'uri') {
    delete node.format;
    node['x-http-url'] = true;
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'not']) toJsonSchema(node[key]);
  for (const key of ['allOf', 'anyOf', 'oneOf']) for (const part of node[key] ?? []) toJsonSchema(part);
  for (const key of ['properties', 'patternProperties']) for (const part of Object.values(node[key] ?? {})) toJsonSchema(part);
}

export function renderModule(specText) {
  const spec = parse(specText);
  const schemas = structuredClone(spec.components.schemas);
  applyControllerRules(schemas);
  for (const schema of Object.values(schemas)) toJsonSchema(schema);
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    formats: { password: true },
    // Errors carry their schema, where the reasons written above (x-message) are read.
    verbose: true,
    code: { source: true, esm: true },
  });
  ajv.addKeyword({
    keyword: 'x-http-url',
    schemaType: 'boolean',
    code: (cxt) => cxt.fail(_`typeof ${cxt.data} == "string" && !isHttpUrl(${cxt.data})`),
    error: { message: 'must be an http:// or https:// URL with a host' },
  });
  ajv.addSchema({ $id: 'management', components: { schemas } });
  const kinds = requestSchemas(spec);
  const exports = Object.fromEntries([...kinds].map(([kind, name]) => [kind, `management#/components/schemas/${name}`]));
  // Ajv's runtime helpers are required from the ajv package, a development dependency: the one
  // the code uses (string length in characters, as JSON Schema counts it) is written out instead.
  const code = standaloneCode(ajv, exports).replaceAll('require("ajv/dist/runtime/ucs2length").default', 'ucs2length');
  if (/\brequire\(/.test(code)) throw new Error(`the generated validators require ${/\brequire\(([^)]*)\)/.exec(code)[1]}: write it out in renderModule`);
  return [
    `// Generated by scripts/generate-manifest-validators.mjs from ${relative(ROOT, SPEC)}; do not edit.`,
    '// Run `npm run generate:manifest-validators` after updating the spec.',
    '/* eslint-disable */',
    '// @ts-nocheck',
    "import { isHttpUrl } from './http-url.js';",
    '',
    '/** A string\'s length in characters (code points), as JSON Schema\'s minLength and maxLength count. */',
    'const ucs2length = (text) => { let length = 0; for (const _ of text) length++; return length; };',
    code,
    '',
  ].join('\n');
}

runGenerator(import.meta.url, MODULE, renderModule, 'generate:manifest-validators');
