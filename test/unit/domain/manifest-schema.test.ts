/**
 * Manifests are checked against the gateway-controller's own request schemas: validators Ajv
 * compiles from management-openapi.yaml ahead of time. The generated module is what the spec
 * gives today; its errors read as a field path and a reason; agentgw and the simulated controller
 * judge with the same validators.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CONTROLLER_RULES, renderModule, requestSchemas } from '../../../scripts/generate-manifest-validators.mjs';
import { RESOURCE_API_VERSION, RESOURCE_KINDS } from '../../../src/adapters/adapter.js';
import { schemaIssues } from '../../../src/domain/manifest-schema.js';
import { validateManifest } from '../../../src/simulators/gateway-controller/validation.js';
import { SPECS_DIR } from '../adapters/support.js';

const SPEC = readFileSync(join(SPECS_DIR, 'management-openapi.yaml'), 'utf8');

const restApi = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'books' }) => ({
  apiVersion: RESOURCE_API_VERSION,
  kind: 'RestApi',
  metadata,
  spec: { displayName: 'Books', version: 'v1.0', context: '/books', upstream: { main: { url: 'http://backend:5000' } }, operations: [{ method: 'GET', path: '/' }], ...spec },
});

describe('manifest validators generated from management-openapi.yaml', () => {
  it('are what regenerating from the spec gives (npm run generate:manifest-validators)', () => {
    expect(readFileSync('src/domain/manifest-validators.generated.ts', 'utf8')).toBe(renderModule(SPEC));
    expect(() => execFileSync(process.execPath, ['scripts/generate-manifest-validators.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('need nothing at run time but agentgw’s own URL check (Ajv is a development dependency)', () => {
    const source = readFileSync('src/domain/manifest-validators.generated.ts', 'utf8');
    expect(source).not.toMatch(/\brequire\(/);
    expect([...source.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1])).toEqual(['./http-url.js']);
  });

  it('cover every kind agentgw manages, each with its POST request schema', () => {
    expect([...requestSchemas(parse(SPEC)).keys()].sort()).toEqual([...RESOURCE_KINDS].sort());
  });

  it('follow the spec: a field it newly requires is required after regenerating', () => {
    const spec = parse(SPEC);
    spec.components.schemas.APIConfigData.required.push('vhosts');
    expect(renderModule(stringify(spec))).not.toBe(renderModule(SPEC));
  });

  it('refuse to generate when a controller rule patches a schema the spec no longer has', () => {
    const spec = parse(SPEC);
    const [name] = CONTROLLER_RULES[0]!;
    delete spec.components.schemas[name];
    expect(() => renderModule(stringify(spec))).toThrow(/no such schema/);
  });
});

describe('manifest schema errors', () => {
  it('accept a valid manifest', () => {
    expect(schemaIssues('RestApi', restApi({}))).toEqual([]);
  });

  it.each([
    ['a method that is not one', { operations: [{ method: 'FETCH', path: '/x' }] }, 'spec.operations[0].method', 'must be one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS'],
    ['an operation in neither form', { operations: [{ policies: [] }] }, 'spec.operations[0]', 'needs match, or method and path'],
    ['no operations', { operations: [] }, 'spec.operations', 'needs at least one entry'],
    ['a display name with a slash', { displayName: 'a/b' }, 'spec.displayName', 'may contain only letters, digits, spaces, "-", "_" and "."'],
    ['a version that is not one', { version: 'latest' }, 'spec.version', 'must be a version such as v1.0'],
    ['a context with a trailing slash', { context: '/books/' }, 'spec.context', 'must start with / and not end with / (except the root context)'],
    ['an upstream with url and ref', { upstream: { main: { url: 'http://a', ref: 'b' } } }, 'spec.upstream.main', 'give only one of url or ref'],
    ['an upstream with neither', { upstream: { main: {} } }, 'spec.upstream.main', 'needs url or ref'],
    ['an upstream URL that is not http', { upstream: { main: { url: 'ftp://backend' } } }, 'spec.upstream.main.url', 'must be an http:// or https:// URL with a host'],
    ['a ref naming nothing', { upstream: { main: { ref: 'nowhere' } } }, 'spec.upstream.main.ref', 'names no entry of spec.upstreamDefinitions ("nowhere")'],
    ['a policy with a full version', { policies: [{ name: 'cors', version: 'v1.0.0' }] }, 'spec.policies[0].version', 'must be a major version such as v1'],
    ['a deploymentState that is not one', { deploymentState: 'paused' }, 'spec.deploymentState', 'must be one of deployed, undeployed'],
    ['a number for a string', { displayName: 7 }, 'spec.displayName', 'must be a string'],
  ])('name the field and say why for %s', (_label, spec, path, message) => {
    expect(schemaIssues('RestApi', restApi(spec))).toEqual([{ path, message }]);
  });

  it('name a missing field, with the one value it may take', () => {
    const { apiVersion: _, ...rest } = restApi({});
    expect(schemaIssues('RestApi', rest)).toEqual([{ path: 'apiVersion', message: `is required (${RESOURCE_API_VERSION})` }]);
    expect(schemaIssues('RestApi', restApi({}, {}))).toEqual([{ path: 'metadata.name', message: 'is required' }]);
  });

  it('name the map key that breaks a rule apart from the map', () => {
    expect(schemaIssues('RestApi', restApi({}, { name: 'books', labels: { 'my team': 'x' } }))).toEqual([
      { path: 'metadata.labels', key: 'my team', message: 'label keys must not contain whitespace' },
    ]);
  });

  it('are the simulated controller’s too: it refuses the same manifests, naming the same fields', () => {
    const broken = restApi({ operations: [{ method: 'FETCH', path: '/x' }], upstream: { main: { ref: 'nowhere' } } }, { name: '-x', labels: { 'a b': 'c' } });
    expect(validateManifest(broken, 'RestApi', false)).toEqual(
      schemaIssues('RestApi', broken).map(({ path, message, key }) => ({ field: path, message: key === undefined ? message : `key '${key}': ${message}` })),
    );
    expect(validateManifest(broken, 'RestApi', false).map((issue) => issue.field)).toEqual([
      'metadata.name',
      'metadata.labels',
      'spec.operations[0].method',
      'spec.upstream.main.ref',
    ]);
  });

  it('let an older controller take v1alpha1 and a bare provider id, and no Secrets', () => {
    const proxy = { apiVersion: 'gateway.api-platform.wso2.com/v1alpha1', kind: 'LlmProxy', metadata: { name: 'p' }, spec: { displayName: 'P', version: 'v1.0', provider: 'openai' } };
    expect(validateManifest(proxy, 'LlmProxy', true)).toEqual([]);
    expect(validateManifest(proxy, 'LlmProxy', false).map((issue) => issue.field)).toEqual(['apiVersion', 'spec.provider']);
    expect(validateManifest({ ...proxy, kind: 'Secret' }, 'Secret', true)).toEqual([{ field: 'kind', message: 'Secrets are not supported by this gateway-controller' }]);
  });
});
