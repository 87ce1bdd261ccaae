import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RESOURCE_API_VERSION, TRAFFIC_KINDS } from '../../../src/adapters/adapter.js';
import type { TrafficKind } from '../../../src/adapters/adapter.js';
import { startGatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';
import type { GatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';

type Json = Record<string, any>;

const AUTH = { username: 'admin', password: 's3cret' };
const AUTH_HEADER = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`;
const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'gateway-controller-examples');

/** Collection path and list/detail keys of each kind, as the two spec files name them. */
const CURRENT: Record<TrafficKind, { path: string; listKey: string }> = {
  RestApi: { path: 'rest-apis', listKey: 'apis' },
  LlmProvider: { path: 'llm-providers', listKey: 'providers' },
  LlmProxy: { path: 'llm-proxies', listKey: 'proxies' },
  Mcp: { path: 'mcp-proxies', listKey: 'mcpProxies' },
  LlmProviderTemplate: { path: 'llm-provider-templates', listKey: 'templates' },
};
const LEGACY: Record<TrafficKind, { path: string; listKey: string; detailKey: string }> = {
  RestApi: { path: 'apis', listKey: 'apis', detailKey: 'api' },
  LlmProvider: { path: 'llm-providers', listKey: 'providers', detailKey: 'provider' },
  LlmProxy: { path: 'llm-proxies', listKey: 'proxies', detailKey: 'proxy' },
  Mcp: { path: 'mcp-proxies', listKey: 'mcp_proxies', detailKey: 'mcp' },
  LlmProviderTemplate: { path: 'llm-provider-templates', listKey: 'templates', detailKey: 'template' },
};

/** The smallest spec each request schema accepts, and the fields it marks required. */
const MINIMAL_SPECS: Record<TrafficKind, { spec: Json; required: string[] }> = {
  RestApi: {
    spec: {
      displayName: 'Reading List',
      version: 'v1.0',
      context: '/reading-list',
      upstream: { main: { url: 'http://backend:5000' } },
      operations: [{ method: 'GET', path: '/books' }],
    },
    required: ['displayName', 'version', 'context', 'upstream', 'operations'],
  },
  LlmProvider: {
    spec: {
      displayName: 'OpenAI Provider',
      version: 'v1.0',
      template: 'openai',
      upstream: { url: 'https://api.openai.com/v1', auth: { type: 'api-key', header: 'Authorization', value: 'Bearer sk-1' } },
      accessControl: { mode: 'allow_all' },
    },
    required: ['displayName', 'version', 'template', 'upstream', 'accessControl'],
  },
  LlmProxy: {
    spec: { displayName: 'Assistant', version: 'v1.0', provider: { id: 'openai-provider' } },
    required: ['displayName', 'version', 'provider'],
  },
  Mcp: {
    spec: { displayName: 'Everything', version: 'v1.0', upstream: { url: 'http://everything:3001' } },
    required: ['displayName', 'version', 'upstream'],
  },
  LlmProviderTemplate: {
    spec: { displayName: 'OpenAI', promptTokens: { location: 'payload', identifier: '$.usage.prompt_tokens' } },
    required: ['displayName'],
  },
};

function manifest(kind: TrafficKind, name: string, spec: Json = MINIMAL_SPECS[kind].spec): Json {
  return { apiVersion: RESOURCE_API_VERSION, kind, metadata: { name }, spec: structuredClone(spec) };
}

async function call(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
  const init: RequestInit = { method, headers: { authorization: AUTH_HEADER, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: Json = {};
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    // Non-JSON answers (metrics, YAML) are checked through `text`.
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

function expectErrorBody(body: Json): void {
  expect(body.status).toBe('error');
  expect(typeof body.message).toBe('string');
}

describe('gateway-controller simulator: current API', () => {
  let sim: GatewaySimulator;
  let mgmt: string;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'current', auth: AUTH, version: '1.4.2' }] });
    mgmt = `${sim.urlOf('current')}/api/management/v1`;
  });
  afterAll(() => sim.close());

  it('serves a gateway under /gateways/NAME on loopback, its admin API on the management port + 2', () => {
    expect(sim.baseUrl).toBe(`http://127.0.0.1:${sim.port}`);
    expect(sim.urlOf('current')).toBe(`${sim.baseUrl}/gateways/current`);
    expect(sim.adminPort).toBe(sim.port + 2);
    expect(sim.adminBaseUrl).toBe(`http://127.0.0.1:${sim.adminPort}`);
    expect(sim.adminUrlOf('current')).toBe(`${sim.adminBaseUrl}/gateways/current`);
    expect(sim.metricsUrlOf('current')).toBe(`${sim.adminBaseUrl}/gateways/current/metrics`);
    expect(() => sim.urlOf('missing')).toThrow(/no simulated gateway/);
    expect(() => sim.adminUrlOf('missing')).toThrow(/no simulated gateway/);
  });

  it('serves health only on the admin port, as admin-openapi.yaml says; the management port has none', async () => {
    for (const path of ['/api/admin/v1/health', '/health', '/metrics']) {
      const res = await call(`${sim.urlOf('current')}${path}`);
      expect(res.status, path).toBe(404);
      expectErrorBody(res.body);
    }
    expect((await fetch(`${sim.adminUrlOf('current')}/api/admin/v1/health`)).status).toBe(200);
    // The admin port serves no management API, and health only to GET.
    expect((await call(`${sim.adminUrlOf('current')}/api/management/v1/rest-apis`)).status).toBe(404);
    const post = await call(`${sim.adminUrlOf('current')}/api/admin/v1/health`, 'POST', {});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    // The control API lives on the management port only.
    expect((await call(`${sim.adminBaseUrl}/__sim/gateways`)).status).toBe(404);
  });

  it.each(TRAFFIC_KINDS)('runs the CRUD cycle of %s with the spec status codes and shapes', async (kind) => {
    const { path, listKey } = CURRENT[kind];
    const collection = `${mgmt}/${path}`;
    const name = `crud-${kind.toLowerCase()}`;

    const created = await call(collection, 'POST', manifest(kind, name));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: RESOURCE_API_VERSION, kind, metadata: { name }, status: { id: name } });
    expect(created.body.status.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    if (kind !== 'LlmProviderTemplate') expect(created.body.status.state).toBe('deployed');

    const duplicate = await call(collection, 'POST', manifest(kind, name));
    expect(duplicate.status).toBe(409);
    expectErrorBody(duplicate.body);

    const list = await call(collection);
    expect(list.status).toBe(200);
    expect(list.body.status).toBe('success');
    expect(list.body.count).toBe(1);
    expect(list.body[listKey]).toHaveLength(1);
    expect(list.body[listKey][0]).toMatchObject({ kind, metadata: { name } });

    const got = await call(`${collection}/${name}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ kind, metadata: { name }, status: { id: name } });

    const changed = manifest(kind, name, { ...MINIMAL_SPECS[kind].spec, displayName: 'Renamed' });
    const updated = await call(`${collection}/${name}`, 'PUT', changed);
    expect(updated.status).toBe(200);
    expect(updated.body.spec.displayName).toBe('Renamed');

    const mismatch = await call(`${collection}/${name}`, 'PUT', manifest(kind, 'other-name'));
    expect(mismatch.status).toBe(400);
    expectErrorBody(mismatch.body);

    const missingPut = await call(`${collection}/nope`, 'PUT', manifest(kind, 'nope'));
    expect(missingPut.status).toBe(404);
    expectErrorBody(missingPut.body);

    const deleted = await call(`${collection}/${name}`, 'DELETE');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ status: 'success', id: name });
    expect(deleted.body.message).toMatch(/deleted successfully/);

    expect((await call(`${collection}/${name}`, 'DELETE')).status).toBe(404);
    const gone = await call(`${collection}/${name}`);
    expect(gone.status).toBe(404);
    expectErrorBody(gone.body);
    expect(sim.resources('current').filter((r) => r.kind === kind)).toEqual([]);
  });

  it.each(TRAFFIC_KINDS)('rejects a %s missing any field its request schema marks required, storing nothing', async (kind) => {
    const collection = `${mgmt}/${CURRENT[kind].path}`;
    for (const field of MINIMAL_SPECS[kind].required) {
      const spec = structuredClone(MINIMAL_SPECS[kind].spec);
      delete spec[field];
      const res = await call(collection, 'POST', manifest(kind, 'incomplete', spec));
      expect(res.status, `without spec.${field}`).toBe(400);
      expect(res.body.message).toBe('Configuration validation failed');
      expect(res.body.errors.map((e: Json) => e.field)).toContainEqual(expect.stringMatching(new RegExp(`^spec\\.${field}`)));
    }
    expect((await call(collection)).body.count).toBe(0);
  });

  it('rejects envelopes that are not the Kubernetes shape of the collection', async () => {
    const collection = `${mgmt}/llm-providers`;
    const good = manifest('LlmProvider', 'envelope');
    const cases: [Json, string][] = [
      [{ ...good, apiVersion: undefined }, 'apiVersion'],
      [{ ...good, apiVersion: 'gateway.api-platform.wso2.com/v1alpha1' }, 'apiVersion'],
      [{ ...good, kind: 'LlmProxy' }, 'kind'],
      [{ ...good, kind: undefined }, 'kind'],
      [{ ...good, metadata: undefined }, 'metadata'],
      [{ ...good, metadata: {} }, 'metadata.name'],
      [{ ...good, metadata: { name: 'has/slash' } }, 'metadata.name'],
      [{ ...good, metadata: { name: '-leading' } }, 'metadata.name'],
      [{ ...good, metadata: { name: 'x'.repeat(254) } }, 'metadata.name'],
      [{ ...good, metadata: { name: 'ok', labels: { 'bad key': 'v' } } }, 'metadata.labels'],
      [{ ...good, spec: undefined }, 'spec'],
      [{ ...good, spec: 'nope' }, 'spec'],
      [{ ...good, spec: { ...good.spec, upstream: { url: 'ftp://x' } } }, 'spec.upstream.url'],
      [{ ...good, spec: { ...good.spec, accessControl: { mode: 'sometimes' } } }, 'spec.accessControl.mode'],
      [{ ...good, spec: { ...good.spec, version: 'latest' } }, 'spec.version'],
    ];
    for (const [body, field] of cases) {
      const res = await call(collection, 'POST', JSON.parse(JSON.stringify(body)));
      expect(res.status, field).toBe(400);
      expect(res.body.errors.map((e: Json) => e.field), field).toContain(field);
    }
    const restCases: [Json, string][] = [
      [{ context: 'no-slash' }, 'spec.context'],
      [{ context: '/trailing/' }, 'spec.context'],
      [{ operations: [] }, 'spec.operations'],
      [{ operations: [{ method: 'FETCH', path: '/x' }] }, 'spec.operations[0].method'],
      [{ upstream: { main: { url: 'http://a', ref: 'b' } } }, 'spec.upstream.main'],
      [{ upstream: { main: { ref: 'undefined-ref' } } }, 'spec.upstream.main.ref'],
      [{ policies: [{ name: 'cors', version: 'v1.0.0' }] }, 'spec.policies[0].version'],
      [{ displayName: 'bad/name' }, 'spec.displayName'],
    ];
    for (const [patch, field] of restCases) {
      const body = manifest('RestApi', 'rest-bad', { ...MINIMAL_SPECS.RestApi.spec, ...patch });
      const res = await call(`${mgmt}/rest-apis`, 'POST', body);
      expect(res.status, field).toBe(400);
      expect(res.body.errors.map((e: Json) => e.field), field).toContain(field);
    }
    expect(sim.resources('current')).toEqual([]);
  });

  it('answers malformed, empty and oversized bodies with 400/413 and the error body', async () => {
    const malformed = await call(`${mgmt}/rest-apis`, 'POST', '{"apiVersion": ');
    expect(malformed.status).toBe(400);
    expectErrorBody(malformed.body);
    expect(malformed.body.message).toMatch(/^Failed to parse configuration/);

    const empty = await call(`${mgmt}/rest-apis`, 'POST', '');
    expect(empty.status).toBe(400);

    const array = await call(`${mgmt}/rest-apis`, 'POST', '[]');
    expect(array.status).toBe(400);

    const huge = await call(`${mgmt}/rest-apis`, 'POST', JSON.stringify({ pad: 'x'.repeat(1_100_000) }));
    expect(huge.status).toBe(413);
    expect(sim.resources('current')).toEqual([]);
  });

  it('accepts YAML bodies and answers YAML when asked', async () => {
    const yaml = [
      `apiVersion: ${RESOURCE_API_VERSION}`,
      'kind: Mcp',
      'metadata:',
      '  name: yaml-mcp',
      'spec:',
      '  displayName: Yaml MCP',
      '  version: v1.0',
      '  upstream:',
      '    url: http://mcp:3001',
    ].join('\n');
    const created = await call(`${mgmt}/mcp-proxies`, 'POST', yaml, { 'content-type': 'application/yaml' });
    expect(created.status).toBe(201);
    const asYaml = await call(`${mgmt}/mcp-proxies/yaml-mcp`, 'GET', undefined, { accept: 'application/yaml' });
    expect(asYaml.headers.get('content-type')).toContain('yaml');
    expect(parseYaml(asYaml.text)).toMatchObject({ kind: 'Mcp', metadata: { name: 'yaml-mcp' } });
    expect((await call(`${mgmt}/mcp-proxies/yaml-mcp`, 'DELETE')).status).toBe(200);
  });

  it('never returns write-only upstream credentials, and keeps them when an update omits them', async () => {
    const created = await call(`${mgmt}/llm-providers`, 'POST', manifest('LlmProvider', 'secretive'));
    expect(created.body.spec.upstream.auth).toEqual({ type: 'api-key', header: 'Authorization' });
    const listed = await call(`${mgmt}/llm-providers`);
    expect(listed.body.providers[0].spec.upstream.auth.value).toBeUndefined();

    const withoutValue = manifest('LlmProvider', 'secretive');
    delete withoutValue.spec.upstream.auth.value;
    expect((await call(`${mgmt}/llm-providers/secretive`, 'PUT', withoutValue)).status).toBe(200);
    const held = sim.resources('current').find((r) => r.name === 'secretive');
    expect((held?.manifest.spec.upstream as Json).auth.value).toBe('Bearer sk-1');
    expect((await call(`${mgmt}/llm-providers/secretive`, 'DELETE')).status).toBe(200);
  });

  it('filters lists by the spec query parameters and reports undeployed resources', async () => {
    await call(`${mgmt}/rest-apis`, 'POST', manifest('RestApi', 'books-v1'));
    await call(`${mgmt}/rest-apis`, 'POST', manifest('RestApi', 'books-v2', { ...MINIMAL_SPECS.RestApi.spec, version: 'v2.0', deploymentState: 'undeployed' }));
    expect((await call(`${mgmt}/rest-apis?version=v2.0`)).body.apis.map((a: Json) => a.metadata.name)).toEqual(['books-v2']);
    expect((await call(`${mgmt}/rest-apis?status=undeployed`)).body.count).toBe(1);
    const v2 = await call(`${mgmt}/rest-apis/books-v2`);
    expect(v2.body.status.state).toBe('undeployed');
    expect(v2.body.status.deployedAt).toBeUndefined();
    expect((await call(`${mgmt}/rest-apis?displayName=Nothing`)).body).toEqual({ status: 'success', count: 0, apis: [] });
    await call(`${mgmt}/rest-apis/books-v1`, 'DELETE');
    await call(`${mgmt}/rest-apis/books-v2`, 'DELETE');
  });

  it('requires HTTP Basic on the management API only', async () => {
    const none = await fetch(`${mgmt}/rest-apis`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    expectErrorBody((await none.json()) as Json);
    const wrong = await fetch(`${mgmt}/rest-apis`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);

    const health = await fetch(`${sim.adminUrlOf('current')}/api/admin/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', version: '1.4.2' });
    expect((await fetch(`${sim.adminUrlOf('current')}/health`)).status).toBe(200);
    expect((await fetch(sim.metricsUrlOf('current'))).status).toBe(200);
  });

  it('answers 404 for unknown paths, the legacy paths and unsimulated sub-resources; 405 for other methods', async () => {
    expect((await call(`${sim.urlOf('current')}/apis`)).status).toBe(404);
    expect((await call(`${mgmt}/apis`)).status).toBe(404);
    expect((await call(`${mgmt}/rest-apis/x/api-keys`)).status).toBe(404);
    expect((await call(`${sim.adminBaseUrl}/gateways/nobody/api/admin/v1/health`)).status).toBe(404);
    expect((await call(`${sim.adminBaseUrl}/health`)).status).toBe(404);
    const patch = await call(`${mgmt}/rest-apis`, 'PATCH', {});
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('GET, POST');
  });

  it('records requests by method and path, and health checks with their time', async () => {
    const gw = 'stats-gw';
    let now = 1_700_000_000_000;
    const clocked = await startGatewaySimulator({ gateways: [{ name: gw }], clock: () => now });
    try {
      await fetch(`${clocked.adminUrlOf(gw)}/api/admin/v1/health`);
      now += 30_000;
      await fetch(`${clocked.adminUrlOf(gw)}/health`);
      await fetch(`${clocked.urlOf(gw)}/api/management/v1/rest-apis?status=deployed`);
      const stats = clocked.stats(gw);
      expect(stats.totalRequests).toBe(3);
      expect(stats.requests).toEqual({ 'GET /api/admin/v1/health': 1, 'GET /health': 1, 'GET /api/management/v1/rest-apis': 1 });
      expect(stats.healthChecks).toBe(2);
      expect(stats.healthCheckTimestamps).toEqual([1_700_000_000_000, 1_700_000_030_000]);
    } finally {
      await clocked.close();
    }
  });
});

describe('gateway-controller simulator: the shipped examples', () => {
  let sim: GatewaySimulator;
  const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'));

  beforeAll(async () => {
    sim = await startGatewaySimulator({});
  });
  afterAll(() => sim.close());

  it('has examples of every kind', () => {
    const kinds = new Set(files.map((f) => (parseYaml(readFileSync(join(EXAMPLES_DIR, f), 'utf8')) as Json).kind));
    expect([...kinds].sort()).toEqual([...TRAFFIC_KINDS].sort());
  });

  it.each(files.flatMap((f) => [[f, false] as const, [f, true] as const]))('accepts %s (legacy: %s), as YAML and as JSON', async (file, legacy) => {
    const text = readFileSync(join(EXAMPLES_DIR, file), 'utf8');
    const doc = parseYaml(text) as Json;
    const kind = doc.kind as TrafficKind;
    const name = `${file.replace(/\.yaml$/, '').replace(/[^a-z0-9-]/g, '-')}-${legacy ? 'legacy' : 'current'}`;
    const url = sim.addGateway({ name, legacy });
    const collection = legacy ? `${url}/${LEGACY[kind].path}` : `${url}/api/management/v1/${CURRENT[kind].path}`;

    const asYaml = await call(collection, 'POST', text, { 'content-type': 'application/yaml' });
    expect(asYaml.status, asYaml.text).toBe(201);
    expect((await call(`${collection}/${doc.metadata.name}`, 'DELETE')).status).toBe(200);
    const asJson = await call(collection, 'POST', doc);
    expect(asJson.status, asJson.text).toBe(201);
    expect(sim.resources(name)).toEqual([{ kind, name: doc.metadata.name, manifest: doc }]);
  });
});

describe('gateway-controller simulator: legacy (2026-02) API', () => {
  let sim: GatewaySimulator;
  let base: string;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'old', legacy: true, auth: AUTH }] });
    base = sim.urlOf('old');
  });
  afterAll(() => sim.close());

  it.each(TRAFFIC_KINDS)('runs the CRUD cycle of %s without the /api/management/v1 prefix, in the legacy shapes', async (kind) => {
    const { path, listKey, detailKey } = LEGACY[kind];
    const collection = `${base}/${path}`;
    const name = `old-${kind.toLowerCase()}`;

    const created = await call(collection, 'POST', manifest(kind, name));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'success', id: name });
    expect(created.body.message).toMatch(/created successfully/);
    expect(created.body.created_at).toMatch(/Z$/);
    expect((await call(collection, 'POST', manifest(kind, name))).status).toBe(409);

    const list = await call(collection);
    expect(list.body).toMatchObject({ status: 'success', count: 1 });
    expect(list.body[listKey][0]).toMatchObject({ id: name, displayName: MINIMAL_SPECS[kind].spec.displayName });
    expect(list.body[listKey][0].created_at).toBeDefined();
    if (kind === 'LlmProxy') expect(list.body[listKey][0].provider).toBe('openai-provider');

    const got = await call(`${collection}/${name}`);
    expect(got.status).toBe(200);
    expect(got.body.status).toBe('success');
    expect(got.body[detailKey]).toMatchObject({ id: name, configuration: { kind, metadata: { name } } });
    expect(got.body[detailKey].metadata.created_at).toBeDefined();

    const updated = await call(`${collection}/${name}`, 'PUT', manifest(kind, name));
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ status: 'success', id: name });
    expect(updated.body.updated_at).toBeDefined();

    expect((await call(`${collection}/${name}`, 'DELETE')).body).toMatchObject({ status: 'success', id: name });
    expect((await call(`${collection}/${name}`)).status).toBe(404);
  });

  it('accepts the v1alpha1 apiVersion of its spec and a string provider on LLM proxies', async () => {
    const body: Json = { ...manifest('LlmProxy', 'alpha-proxy'), apiVersion: 'gateway.api-platform.wso2.com/v1alpha1' };
    body.spec.provider = 'openai-provider';
    expect((await call(`${base}/llm-proxies`, 'POST', body)).status).toBe(201);
    expect((await call(`${base}/llm-proxies/alpha-proxy`, 'DELETE')).status).toBe(200);
  });

  it('serves /health on the management port, no admin API, and not the current paths', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', version: expect.any(String) });
    expect((await fetch(`${base}/api/admin/v1/health`)).status).toBe(404);
    expect((await fetch(`${sim.adminUrlOf('old')}/api/admin/v1/health`)).status).toBe(404);
    expect((await fetch(`${sim.adminUrlOf('old')}/health`)).status).toBe(404);
    expect((await fetch(sim.metricsUrlOf('old'))).status).toBe(200);
    expect((await call(`${base}/rest-apis`)).status).toBe(404);
    expect((await call(`${base}/api/management/v1/apis`)).status).toBe(404);
    expect((await fetch(`${base}/apis`)).status).toBe(401);
  });
});

describe('gateway-controller simulator: metrics', () => {
  function sumSeries(text: string, metric: string): number {
    let total = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  it('advances the policy-engine counters at exactly the configured rates between two scrapes', async () => {
    let now = 1_800_000_000_000;
    const traffic = { requestsPerSecond: 40, errorRatio: 0.25, meanLatencyMs: 80 };
    const sim = await startGatewaySimulator({ gateways: [{ name: 'm', traffic }], clock: () => now });
    try {
      const url = sim.metricsUrlOf('m');
      now += 5_000;
      const first = await fetch(url);
      expect(first.headers.get('content-type')).toContain('text/plain');
      const a = await first.text();
      now += 10_000;
      const b = await (await fetch(url)).text();

      for (const line of ['# TYPE policy_engine_requests_total counter', '# TYPE policy_engine_request_errors_total counter', '# TYPE policy_engine_request_duration_seconds histogram']) {
        expect(a).toContain(line);
      }
      const delta = (metric: string): number => sumSeries(b, metric) - sumSeries(a, metric);
      expect(delta('policy_engine_requests_total') / 10).toBeCloseTo(40, 6);
      expect(delta('policy_engine_request_errors_total') / delta('policy_engine_requests_total')).toBeCloseTo(0.25, 6);
      expect(delta('policy_engine_request_duration_seconds_sum') / delta('policy_engine_request_duration_seconds_count')).toBeCloseTo(0.08, 6);
      expect(sumSeries(b, 'policy_engine_request_duration_seconds_count')).toBeCloseTo(15 * 40, 6);

      // Buckets are cumulative and end at the count.
      const buckets = b.split('\n').filter((l) => l.startsWith('policy_engine_request_duration_seconds_bucket') && l.includes('/assistant/'));
      const values = buckets.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
      expect(values).toEqual([...values].sort((x, y) => x - y));
      expect(buckets.at(-1)).toContain('le="+Inf"');

      // A new profile changes the rate without moving counters backwards.
      sim.setTraffic('m', { requestsPerSecond: 10, errorRatio: 0, meanLatencyMs: 80 });
      now += 2_000;
      const c = await (await fetch(url)).text();
      expect(sumSeries(c, 'policy_engine_requests_total') - sumSeries(b, 'policy_engine_requests_total')).toBeCloseTo(2 * 10, 6);
      now += 4_000;
      const d = await (await fetch(url)).text();
      expect(sumSeries(d, 'policy_engine_requests_total') - sumSeries(c, 'policy_engine_requests_total')).toBeCloseTo(4 * 10, 6);
      expect(sumSeries(d, 'policy_engine_request_errors_total')).toBeCloseTo(sumSeries(c, 'policy_engine_request_errors_total'), 6);
    } finally {
      await sim.close();
    }
  });

  it('gives the configured rate back on the real clock', async () => {
    const sim = await startGatewaySimulator({ gateways: [{ name: 'rt', traffic: { requestsPerSecond: 200, errorRatio: 0, meanLatencyMs: 10 } }] });
    try {
      const url = sim.metricsUrlOf('rt');
      // The server reads its clock somewhere inside each exchange, so the interval between its two
      // readings lies between the gap separating the exchanges and the span covering both.
      const firstStart = performance.now();
      const a = sumSeries(await (await fetch(url)).text(), 'policy_engine_requests_total');
      const firstEnd = performance.now();
      await new Promise((r) => setTimeout(r, 300));
      const secondStart = performance.now();
      const b = sumSeries(await (await fetch(url)).text(), 'policy_engine_requests_total');
      const secondEnd = performance.now();
      expect(b - a).toBeGreaterThanOrEqual((200 * (secondStart - firstEnd)) / 1000 - 1);
      expect(b - a).toBeLessThanOrEqual((200 * (secondEnd - firstStart)) / 1000 + 1);
    } finally {
      await sim.close();
    }
  });
});

describe('gateway-controller simulator: faults', () => {
  let sim: GatewaySimulator;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'f', auth: AUTH }, { name: 'bystander' }] });
  });
  afterAll(() => sim.close());

  const health = (name = 'f'): string => `${sim.adminUrlOf(name)}/api/admin/v1/health`;

  it('adds latency to every answer', async () => {
    sim.setFaults('f', { latencyMs: 300 });
    const start = performance.now();
    expect((await fetch(health())).status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    const quick = performance.now();
    await fetch(health('bystander'));
    expect(performance.now() - quick).toBeLessThan(250);
    sim.setFaults('f', { latencyMs: undefined });
  });

  it('fails the configured fraction of management and health requests with the spec error body', async () => {
    sim.setFaults('f', { errorRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const res = await call(i % 2 === 0 ? health() : `${sim.urlOf('f')}/api/management/v1/llm-providers`);
      statuses.push(res.status);
      if (res.status === 500) expectErrorBody(res.body);
    }
    expect(statuses.filter((s) => s === 500)).toHaveLength(5);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    // Metrics are the data plane's, not the controller's: never failed by errorRate.
    sim.setFaults('f', { errorRate: 1 });
    expect((await fetch(sim.metricsUrlOf('f'))).status).toBe(200);
    expect((await fetch(health())).status).toBe(500);
    sim.setFaults('f', { errorRate: undefined });
    expect((await fetch(health())).status).toBe(200);
  });

  it('down: destroys the socket without an answer', async () => {
    sim.setFaults('f', { down: true });
    await expect(fetch(health())).rejects.toThrow(TypeError);
    await expect(call(`${sim.urlOf('f')}/api/management/v1/rest-apis`)).rejects.toThrow();
    expect((await fetch(health('bystander'))).status).toBe(200);
    sim.setFaults('f', { down: false });
    expect((await fetch(health())).status).toBe(200);
  });

  it('hang: accepts the request and never answers', async () => {
    sim.setFaults('f', { hang: true });
    await expect(fetch(health(), { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const post = fetch(`${sim.urlOf('f')}/api/management/v1/rest-apis`, {
      method: 'POST',
      headers: { authorization: AUTH_HEADER, 'content-type': 'application/json' },
      body: JSON.stringify(manifest('RestApi', 'hung')),
      signal: AbortSignal.timeout(200),
    });
    await expect(post).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sim.resources('f')).toEqual([]);
    sim.setFaults('f', { hang: false });
    expect((await fetch(health())).status).toBe(200);
  });

  it('unauthorized: answers 401 everywhere, even with the right credentials', async () => {
    sim.setFaults('f', { unauthorized: true });
    const h = await fetch(health());
    expect(h.status).toBe(401);
    expect(await h.json()).toEqual({ code: 'authentication_failed', message: 'authentication failed' });
    expect((await call(`${sim.urlOf('f')}/api/management/v1/rest-apis`)).status).toBe(401);
    expect((await fetch(sim.metricsUrlOf('f'))).status).toBe(401);
    sim.setFaults('f', { unauthorized: false });
    expect((await call(`${sim.urlOf('f')}/api/management/v1/rest-apis`)).status).toBe(200);
  });

  it('healthStatus: overrides the reported status and answers 503 unless healthy', async () => {
    sim.setFaults('f', { healthStatus: 'degraded' });
    const res = await fetch(`${sim.adminUrlOf('f')}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'degraded' });
    sim.setFaults('f', { healthStatus: undefined });
    expect(await (await fetch(health())).json()).toMatchObject({ status: 'healthy' });
  });

  it('rejects unknown or ill-typed fault knobs', () => {
    const before = sim.gateways().find((g) => g.name === 'f')?.faults;
    expect(() => sim.setFaults('f', { errorRate: 2 })).toThrow(/errorRate/);
    expect(() => sim.setFaults('f', { latency: 5 } as never)).toThrow(/unknown fault/);
    expect(() => sim.setFaults('nobody', { down: true })).toThrow(/no simulated gateway/);
    expect(sim.gateways().find((g) => g.name === 'f')?.faults).toEqual(before);
  });

  it('closes promptly while requests hang or wait out their latency', async () => {
    const own = await startGatewaySimulator({ gateways: [{ name: 'h', faults: { hang: true } }, { name: 'slow', faults: { latencyMs: 60_000 } }] });
    const hung = fetch(`${own.adminUrlOf('h')}/health`).then(
      () => 'answered',
      () => 'rejected',
    );
    const slow = fetch(`${own.adminUrlOf('slow')}/health`).then(
      () => 'answered',
      () => 'rejected',
    );
    await new Promise((r) => setTimeout(r, 100));
    const start = performance.now();
    await own.close();
    expect(performance.now() - start).toBeLessThan(1000);
    expect(await hung).toBe('rejected');
    expect(await slow).toBe('rejected');
    await own.close();
  });
});

describe('gateway-controller simulator: control API and fleet management', () => {
  let sim: GatewaySimulator;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'ctl-1' }] });
  });
  afterAll(() => sim.close());

  const control = (path: string, method = 'GET', body?: unknown): ReturnType<typeof call> => call(`${sim.baseUrl}/__sim${path}`, method, body);

  it('lists, adds, breaks, inspects and removes gateways', async () => {
    const added = await control('/gateways', 'POST', { name: 'ctl-2', legacy: true, faults: { latencyMs: 5 } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'ctl-2', url: `${sim.baseUrl}/gateways/ctl-2`, adminUrl: `${sim.adminBaseUrl}/gateways/ctl-2` });
    expect((await fetch(`${added.body.url}/health`)).status).toBe(200);

    const list = await control('/gateways');
    expect(list.body.count).toBe(2);
    expect(list.body.gateways.find((g: Json) => g.name === 'ctl-2')).toMatchObject({ legacy: true, faults: { latencyMs: 5 }, auth: false, adminUrl: added.body.adminUrl });

    const broken = await control('/gateways/ctl-2/faults', 'PUT', { down: true, latencyMs: null });
    expect(broken.body.faults).toEqual({ down: true });
    await expect(fetch(`${added.body.url}/health`)).rejects.toThrow();
    await control('/gateways/ctl-2/faults', 'PUT', { down: false });

    await call(`${added.body.url}/apis`, 'POST', manifest('RestApi', 'seen'));
    const detail = await control('/gateways/ctl-2');
    expect(detail.body.stats.healthChecks).toBe(2);
    expect(detail.body.resources).toHaveLength(1);

    const traffic = await control('/gateways/ctl-2/traffic', 'PUT', { requestsPerSecond: 1, errorRatio: 0, meanLatencyMs: 1 });
    expect(traffic.status).toBe(200);

    expect((await control('/gateways/ctl-2', 'DELETE')).status).toBe(200);
    expect((await fetch(`${added.body.url}/health`)).status).toBe(404);
    expect((await control('/gateways/ctl-2', 'DELETE')).status).toBe(404);
  });

  it('answers bad control requests with 400/404/409 and changes nothing', async () => {
    expect((await control('/gateways', 'POST', { name: 'ctl-1' })).status).toBe(409);
    expect((await control('/gateways', 'POST', { name: 'bad name' })).status).toBe(400);
    expect((await control('/gateways', 'POST', { name: 'x', colour: 'red' })).status).toBe(400);
    expect((await control('/gateways', 'POST', '{oops')).status).toBe(400);
    expect((await control('/gateways/ctl-1/faults', 'PUT', { errorRate: -1 })).status).toBe(400);
    expect((await control('/gateways/nobody/faults', 'PUT', { down: true })).status).toBe(404);
    expect((await control('/nothing')).status).toBe(404);
    // A batch with one bad entry adds none of them.
    const batch = await control('/gateways', 'POST', [{ name: 'batch-1' }, { name: 'batch-2', resources: [{ kind: 'RestApi' }] }]);
    expect(batch.status).toBe(400);
    expect(sim.gateways().map((g) => g.name)).toEqual(['ctl-1']);
    expect(sim.gateways()[0]?.faults).toEqual({});
  });

  it('starts gateways with resources, and refuses invalid ones', async () => {
    sim.addGateway({ name: 'seeded', resources: [manifest('LlmProviderTemplate', 'openai') as never] });
    const res = await call(`${sim.urlOf('seeded')}/api/management/v1/llm-provider-templates/openai`);
    expect(res.status).toBe(200);
    expect(() => sim.addGateway({ name: 'bad-seed', resources: [manifest('RestApi', 'r', {}) as never] })).toThrow(/invalid initial RestApi/);
    expect(() => sim.addGateway({ name: 'seeded' })).toThrow(/already exists/);
    expect(sim.removeGateway('seeded')).toBe(true);
    expect(sim.removeGateway('seeded')).toBe(false);
  });
});

describe('gateway-controller simulator: single mode', () => {
  it('serves one gateway at the root of both ports, like a real controller, with the control API alongside', async () => {
    const sim = await startGatewaySimulator({ mode: 'single', gateways: [{ name: 'solo', auth: AUTH }] });
    try {
      expect(sim.urlOf('solo')).toBe(sim.baseUrl);
      expect(sim.adminUrlOf('solo')).toBe(sim.adminBaseUrl);
      expect(sim.adminPort).toBe(sim.port + 2);
      expect((await fetch(`${sim.adminBaseUrl}/api/admin/v1/health`)).status).toBe(200);
      expect((await fetch(`${sim.baseUrl}/api/admin/v1/health`)).status).toBe(404);
      expect((await fetch(`${sim.baseUrl}/health`)).status).toBe(404);
      expect((await call(`${sim.baseUrl}/api/management/v1/rest-apis`, 'POST', manifest('RestApi', 'root-api'))).status).toBe(201);
      expect(sim.resources('solo').map((r) => r.name)).toEqual(['root-api']);
      expect((await fetch(`${sim.adminBaseUrl}/gateways/solo/health`)).status).toBe(404);
      expect((await call(`${sim.baseUrl}/__sim/gateways/solo/faults`, 'PUT', { healthStatus: 'starting' })).status).toBe(200);
      expect((await fetch(`${sim.adminBaseUrl}/health`)).status).toBe(503);
      expect(() => sim.addGateway({ name: 'second' })).toThrow(/exactly one gateway/);
    } finally {
      await sim.close();
    }
  });

  it('creates gw-1 when given no gateway and refuses more than one', async () => {
    const sim = await startGatewaySimulator({ mode: 'single' });
    try {
      expect(sim.gateways().map((g) => g.name)).toEqual(['gw-1']);
    } finally {
      await sim.close();
    }
    await expect(startGatewaySimulator({ mode: 'single', gateways: [{ name: 'a' }, { name: 'b' }] })).rejects.toThrow(/exactly one gateway/);
  });

  it('takes its admin port from the options, and fails naming it when it is taken', async () => {
    const first = await startGatewaySimulator({ mode: 'single' });
    try {
      const chosen = await startGatewaySimulator({ mode: 'single', adminPort: 0 });
      try {
        expect(chosen.adminPort).not.toBe(chosen.port);
        expect((await fetch(`${chosen.adminBaseUrl}/api/admin/v1/health`)).status).toBe(200);
      } finally {
        await chosen.close();
      }
      const taken = await startGatewaySimulator({ port: 0, adminPort: first.adminPort }).catch((error: unknown) => error);
      expect(taken).toMatchObject({ code: 'EADDRINUSE', port: first.adminPort });
    } finally {
      await first.close();
    }
  });
});
