/**
 * Manifest validation: every gateway-controller example applies cleanly (they are the fixtures),
 * and bad manifests are refused with an error naming the field. Digest and spec comparison too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/domain/errors.js';
import { checkManifest, manifestDigest, manifestErrors, parseResourceRef, specMatches } from '../../../src/domain/manifests.js';
import { startGatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';
import { validateManifest } from '../../../src/simulators/gateway-controller/validation.js';

export const EXAMPLES_DIR = 'test/unit/simulators/fixtures/gateway-controller-examples';
const examples = readdirSync(EXAMPLES_DIR)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => [file, parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as Record<string, unknown>] as const);

const provider = () => structuredClone(examples.find(([file]) => file === 'openai-provider.yaml')![1]);

describe('manifest validation', () => {
  it('has the nine examples of the gateway-controller', () => {
    expect(examples).toHaveLength(9);
  });

  it.each(examples)('accepts the example %s', (_file, document) => {
    expect(manifestErrors(document)).toEqual([]);
    const manifest = checkManifest(document);
    expect(manifest.kind).toBe(document.kind);
    // What we accept, the controller (as simulated) accepts too.
    expect(validateManifest(manifest, manifest.kind, false)).toEqual([]);
  });

  it('normalises: drops the server-managed status, keeps labels and annotations', () => {
    const document: Record<string, any> = { ...provider(), status: { state: 'deployed' } };
    (document.metadata as Record<string, unknown>).labels = { team: 'ai' };
    const manifest = checkManifest(document);
    expect(manifest).not.toHaveProperty('status');
    expect(manifest.metadata).toEqual({ name: 'openai-provider', labels: { team: 'ai' } });
  });

  const broken: Array<[string, (doc: Record<string, any>) => unknown, string]> = [
    ['not an object', () => 'hello', ''],
    ['a list instead of a manifest', () => [1, 2], ''],
    ['no apiVersion', (d) => void delete d.apiVersion, 'apiVersion'],
    ['another apiVersion', (d) => void (d.apiVersion = 'v1'), 'apiVersion'],
    ['no kind', (d) => void delete d.kind, 'kind'],
    ['an unknown kind', (d) => void (d.kind = 'Deployment'), 'kind'],
    ['no metadata', (d) => void delete d.metadata, 'metadata'],
    ['no metadata.name', (d) => void delete d.metadata.name, 'metadata.name'],
    ['a metadata.name with a slash', (d) => void (d.metadata.name = 'a/b'), 'metadata.name'],
    ['a 254-character name', (d) => void (d.metadata.name = 'a'.repeat(254)), 'metadata.name'],
    ['labels that are not strings', (d) => void (d.metadata.labels = { n: 1 }), 'metadata.labels.n'],
    ['a label key with a space', (d) => void (d.metadata.labels = { 'my team': 'x' }), 'metadata.labels.my team'],
    ['an unknown top-level field', (d) => void (d.specs = {}), 'specs'],
    ['no spec', (d) => void delete d.spec, 'spec'],
    ['a spec that is a string', (d) => void (d.spec = 'x'), 'spec'],
    ['no displayName', (d) => void delete d.spec.displayName, 'spec.displayName'],
    ['a displayName with a slash', (d) => void (d.spec.displayName = 'a/b'), 'spec.displayName'],
    ['no version', (d) => void delete d.spec.version, 'spec.version'],
    ['a version that is not one', (d) => void (d.spec.version = 'latest'), 'spec.version'],
    ['no template', (d) => void delete d.spec.template, 'spec.template'],
    ['no upstream', (d) => void delete d.spec.upstream, 'spec.upstream'],
    ['an upstream with url and ref', (d) => void (d.spec.upstream.ref = 'x'), 'spec.upstream'],
    ['an upstream URL that is not http', (d) => void (d.spec.upstream.url = 'ftp://x'), 'spec.upstream.url'],
    ['an upstream ref naming nothing', (d) => void (d.spec.upstream = { ref: 'nowhere' }), 'spec.upstream.ref'],
    ['an upstream auth type that is not one', (d) => void (d.spec.upstream.auth.type = 'magic'), 'spec.upstream.auth.type'],
    ['no accessControl', (d) => void delete d.spec.accessControl, 'spec.accessControl'],
    ['an accessControl mode that is not one', (d) => void (d.spec.accessControl.mode = 'maybe'), 'spec.accessControl.mode'],
    ['an exception method that is not one', (d) => void (d.spec.accessControl.exceptions[0].methods = ['FETCH']), 'spec.accessControl.exceptions[0].methods[0]'],
    ['a context without a leading slash', (d) => void (d.spec.context = 'openai'), 'spec.context'],
    ['a context with a trailing slash', (d) => void (d.spec.context = '/openai/'), 'spec.context'],
    ['a policy with a full semver version', (d) => void (d.spec.policies[0].version = 'v1.0.0'), 'spec.policies[0].version'],
    ['a policy without paths', (d) => void delete d.spec.policies[0].paths, 'spec.policies[0].paths'],
    ['a deploymentState that is not one', (d) => void (d.spec.deploymentState = 'paused'), 'spec.deploymentState'],
  ];

  it.each(broken)('refuses %s, naming the field', (_label, change, path) => {
    const document = provider();
    const result = change(document);
    const input = result === undefined ? document : result;
    let error: unknown;
    try {
      checkManifest(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).errors?.map((e) => e.path);
    expect(paths).toContain(path);
    if (path !== '') expect((error as ValidationError).message).toContain(path);
  });

  it('checks each kind’s own required fields', () => {
    const base = { apiVersion: 'gateway.api-platform.wso2.com/v1', metadata: { name: 'x' } };
    const paths = (kind: string, spec: Record<string, unknown>) => manifestErrors({ ...base, kind, spec }).map((e) => e.path);
    expect(paths('RestApi', { displayName: 'X', version: 'v1', context: '/x', upstream: { main: { url: 'http://b' } } })).toEqual(['spec.operations']);
    expect(paths('RestApi', { displayName: 'X', version: 'v1', context: '/x', upstream: {}, operations: [{ method: 'GET', path: '/a' }] })).toEqual([
      'spec.upstream.main',
    ]);
    expect(paths('LlmProxy', { displayName: 'X', version: 'v1.0', provider: {} })).toEqual(['spec.provider.id']);
    expect(paths('Mcp', { displayName: 'X', upstream: { url: 'http://m' } })).toEqual(['spec.version']);
    expect(paths('LlmProviderTemplate', { displayName: 'X', promptTokens: { location: 'body', identifier: '$.x' } })).toEqual(['spec.promptTokens.location']);
    expect(paths('LlmProviderTemplate', {})).toEqual(['spec.displayName']);
  });

  it('prefixes paths for documents of a multi-document apply', () => {
    expect(manifestErrors({ kind: 'Mcp' }, '[2].').map((e) => e.path)).toEqual(['[2].apiVersion', '[2].metadata', '[2].spec']);
  });
});

describe('manifest digests and comparisons', () => {
  it('gives equal manifests the same digest whatever the key order, and changed ones another', () => {
    const a = checkManifest(provider());
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]))
          : value;
    const reordered = checkManifest(reverseKeys(provider()));
    expect(manifestDigest(reordered)).toBe(manifestDigest(a));
    const changed = provider();
    (changed.spec as Record<string, unknown>).version = 'v2.0';
    expect(manifestDigest(checkManifest(changed))).not.toBe(manifestDigest(a));
    const labelled = provider();
    (labelled.metadata as Record<string, unknown>).labels = { team: 'ai' };
    expect(manifestDigest(checkManifest(labelled))).not.toBe(manifestDigest(a));
  });

  it('matches what a gateway returns: write-only credentials are never echoed', async () => {
    const sim = await startGatewaySimulator({ gateways: [{ name: 'g' }] });
    try {
      const manifest = checkManifest(provider());
      const created = await fetch(`${sim.urlOf('g')}/api/management/v1/llm-providers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(manifest),
      });
      expect(created.status).toBe(201);
      const held = (await (await fetch(`${sim.urlOf('g')}/api/management/v1/llm-providers/openai-provider`)).json()) as { spec: Record<string, unknown> };
      expect((held.spec.upstream as { auth: Record<string, unknown> }).auth).not.toHaveProperty('value');
      expect(specMatches('LlmProvider', manifest.spec, held.spec, true)).toBe(true);
      const other = structuredClone(manifest.spec);
      other.version = 'v9.0';
      expect(specMatches('LlmProvider', other, held.spec, true)).toBe(false);
    } finally {
      await sim.close();
    }
  });

  it('tolerates defaults a controller adds, unless asked for an exact match', () => {
    expect(specMatches('LlmProvider', { a: 1 }, { a: 1, deploymentState: 'deployed' }, false)).toBe(true);
    expect(specMatches('LlmProvider', { a: 1 }, { a: 1, deploymentState: 'deployed' }, true)).toBe(false);
    expect(specMatches('LlmProvider', { list: [1, 2] }, { list: [1] }, false)).toBe(false);
  });

  it('reads Kind/name references', () => {
    expect(parseResourceRef('LlmProvider/openai')).toEqual({ kind: 'LlmProvider', name: 'openai' });
    expect(parseResourceRef('llmprovider/openai')).toEqual({ kind: 'LlmProvider', name: 'openai' });
    expect(parseResourceRef('openai')).toEqual({ kind: null, name: 'openai' });
    expect(() => parseResourceRef('Pod/x')).toThrow(/unknown kind "Pod"/);
  });
});
