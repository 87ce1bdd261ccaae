/**
 * Every endpoint of the seed's "API Surface", exercised over real HTTP against a real daemon,
 * PostgreSQL and a gateway-controller simulator, with the seed's field names asserted and each
 * answer checked against the schema the OpenAPI document publishes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnvironmentListSchema,
  EnvironmentSchema,
  GatewayHealthSchema,
  GatewayListSchema,
  GatewayMetricsSchema,
  GatewaySchema,
  MappingCreatedSchema,
} from '../../src/daemon/schemas.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { expectProblem, http, startTestDaemon, type HttpResult, type TestDaemon } from './support.js';

interface Context {
  url: string;
  sim: GatewaySimulator;
  ids: Record<string, string>;
}

/** The seed's 16 endpoints, in an order where each finds what it needs. */
const ENDPOINTS: Array<{ endpoint: string; run: (c: Context) => Promise<void> }> = [
  {
    endpoint: 'POST /api/v1/environments',
    async run(c) {
      const r = await call(c, 'POST', '/api/v1/environments', { name: 'prod', displayName: 'Production', description: 'live traffic' });
      expectShape(r, 201, EnvironmentSchema, ['uuid', 'name', 'displayName', 'createdAt']);
      expect(r.body).toMatchObject({ name: 'prod', displayName: 'Production', description: 'live traffic' });
      expect(r.headers.etag).toBe('"v1"');
      expect(r.headers.location).toBe(`/api/v1/environments/${r.body.uuid}`);
      c.ids.prod = r.body.uuid;
      c.ids.staging = (await call(c, 'POST', '/api/v1/environments', { name: 'staging', displayName: 'Staging' })).body.uuid;
    },
  },
  {
    endpoint: 'GET /api/v1/environments',
    async run(c) {
      const r = await call(c, 'GET', '/api/v1/environments');
      expectShape(r, 200, EnvironmentListSchema, ['environments']);
      expect(r.body.environments.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['prod', 'staging', 'production']));
      const orgId = r.body.environments[0].organizationId;
      const scoped = await call(c, 'GET', `/api/v1/environments?organizationId=${orgId}`);
      expect(scoped.body).toEqual(r.body);
      expectProblem(await call(c, 'GET', '/api/v1/environments?organizationId=11111111-1111-4111-8111-111111111111'), 403, 'AGW_FORBIDDEN');
    },
  },
  {
    endpoint: 'POST /api/v1/gateways',
    async run(c) {
      const r = await call(c, 'POST', '/api/v1/gateways', {
        name: 'prod-gateway-1',
        displayName: 'Production Gateway 1',
        gatewayType: 'EGRESS',
        environmentIds: [c.ids.prod],
        adapterConfig: { controlPlaneUrl: c.sim.urlOf('gw-a') },
      });
      expectShape(r, 201, GatewaySchema, ['uuid', 'name', 'status', 'endpoint', 'createdAt']);
      expect(r.body).toMatchObject({ name: 'prod-gateway-1', type: 'EGRESS', status: 'ACTIVE', environments: [{ uuid: c.ids.prod, name: 'prod', displayName: 'Production' }] });
      expect(r.headers.etag).toBe(`"v${r.body.version}"`);
      c.ids.gw = r.body.uuid;
      const second = await call(c, 'POST', '/api/v1/gateways', {
        name: 'ingress-1',
        gatewayType: 'INGRESS',
        environmentIds: ['staging'],
        adapterConfig: { controlPlaneUrl: c.sim.urlOf('gw-b') },
      });
      expect(second.status, second.text).toBe(201);
    },
  },
  {
    endpoint: 'GET /api/v1/gateways',
    async run(c) {
      const all = await call(c, 'GET', '/api/v1/gateways');
      expectShape(all, 200, GatewayListSchema, ['gateways']);
      expect(all.body.gateways.map((g: { name: string }) => g.name)).toEqual(['ingress-1', 'prod-gateway-1']);
      expect(all.body.nextCursor).toBeNull();
      const filtered = await call(c, 'GET', `/api/v1/gateways?type=EGRESS&environment=${c.ids.prod}&status=ACTIVE`);
      expect(filtered.body.gateways.map((g: { name: string }) => g.name)).toEqual(['prod-gateway-1']);
      const byName = await call(c, 'GET', '/api/v1/gateways?environment=staging&type=INGRESS');
      expect(byName.body.gateways.map((g: { name: string }) => g.name)).toEqual(['ingress-1']);
      const page = await call(c, 'GET', '/api/v1/gateways?limit=1');
      expect(page.body.gateways).toHaveLength(1);
      expect(page.body.nextCursor).toEqual(expect.any(String));
      const next = await call(c, 'GET', `/api/v1/gateways?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`);
      expect(next.body.gateways[0].name).toBe('prod-gateway-1');
      expect(next.body.nextCursor).toBeNull();
      expectProblem(await call(c, 'GET', '/api/v1/gateways?limit=0'), 400, 'AGW_VALIDATION');
      // A page size is written in digits: 2.5 is refused, not cut to 2.
      expectProblem(await call(c, 'GET', '/api/v1/gateways?limit=2.5'), 400, 'AGW_VALIDATION');
      expectProblem(await call(c, 'GET', '/api/v1/gateways?type=SIDEWAYS'), 400, 'AGW_VALIDATION');
    },
  },
  {
    endpoint: 'GET /api/v1/gateways/{id}',
    async run(c) {
      for (const id of [c.ids.gw!, 'prod-gateway-1']) {
        const r = await call(c, 'GET', `/api/v1/gateways/${id}`);
        expectShape(r, 200, GatewaySchema, ['uuid', 'name', 'type', 'status', 'endpoint', 'environments']);
        expect(r.body.uuid).toBe(c.ids.gw);
        expect(r.headers.etag).toBe(`"v${r.body.version}"`);
      }
      expectProblem(await call(c, 'GET', '/api/v1/gateways/no-such-gateway'), 404, 'AGW_NOT_FOUND');
    },
  },
  {
    endpoint: 'PUT /api/v1/gateways/{id}',
    async run(c) {
      const before = await call(c, 'GET', `/api/v1/gateways/${c.ids.gw}`);
      const r = await call(c, 'PUT', `/api/v1/gateways/${c.ids.gw}`, { displayName: 'Prod GW 1', adapterConfig: { controlPlaneUrl: c.sim.urlOf('gw-a') } }, {
        'if-match': before.headers.etag!,
      });
      expectShape(r, 200, GatewaySchema, ['uuid', 'name', 'updatedAt']);
      expect(r.body.displayName).toBe('Prod GW 1');
      expect(r.headers.etag).toBe(`"v${before.body.version + 1}"`);
      expectProblem(await call(c, 'PUT', `/api/v1/gateways/${c.ids.gw}`, { displayName: 'stale' }, { 'if-match': before.headers.etag! }), 412, 'AGW_PRECONDITION_FAILED');
    },
  },
  {
    endpoint: 'POST /api/v1/gateways/{id}/environments/{envId}',
    async run(c) {
      const r = await call(c, 'POST', `/api/v1/gateways/prod-gateway-1/environments/${c.ids.staging}`);
      expectShape(r, 201, MappingCreatedSchema, ['environments']);
      expect(r.body.environments.map((e: { name: string }) => e.name)).toEqual(['prod', 'staging']);
      expect((await call(c, 'POST', '/api/v1/gateways/prod-gateway-1/environments/staging')).status).toBe(200);
    },
  },
  {
    endpoint: 'GET /api/v1/gateways/{id}/environments',
    async run(c) {
      const r = await call(c, 'GET', `/api/v1/gateways/${c.ids.gw}/environments`);
      expectShape(r, 200, EnvironmentListSchema, ['environments']);
      expect(r.body.environments.map((e: { uuid: string }) => e.uuid)).toEqual([c.ids.prod, c.ids.staging]);
    },
  },
  {
    endpoint: 'GET /api/v1/environments/{id}/gateways',
    async run(c) {
      const r = await call(c, 'GET', '/api/v1/environments/staging/gateways');
      expectShape(r, 200, GatewayListSchema, ['gateways']);
      expect(r.body.gateways.map((g: { name: string }) => g.name)).toEqual(['ingress-1', 'prod-gateway-1']);
    },
  },
  {
    endpoint: 'DELETE /api/v1/gateways/{id}/environments/{envId}',
    async run(c) {
      const r = await call(c, 'DELETE', `/api/v1/gateways/${c.ids.gw}/environments/staging`);
      expect(r.status, r.text).toBe(204);
      expect(r.text).toBe('');
      expectProblem(await call(c, 'DELETE', `/api/v1/gateways/${c.ids.gw}/environments/staging`), 404, 'AGW_NOT_FOUND');
    },
  },
  {
    endpoint: 'GET /api/v1/gateways/{id}/health',
    async run(c) {
      // A live check is POST …/health-checks: one call to the gateway, recorded.
      const checks = c.sim.stats('gw-a').healthChecks;
      const live = await call(c, 'POST', `/api/v1/gateways/${c.ids.gw}/health-checks`);
      expectShape(live, 201, GatewayHealthSchema, ['gatewayId', 'status', 'lastHeartbeat', 'responseTime', 'errorMessage', 'checkedAt']);
      expect(live.headers.location).toBe(`/api/v1/gateways/${c.ids.gw}/health`);
      expect(c.sim.stats('gw-a').healthChecks).toBe(checks + 1);
      // GET answers the check last recorded, without calling the gateway.
      const r = await call(c, 'GET', `/api/v1/gateways/${c.ids.gw}/health`);
      expectShape(r, 200, GatewayHealthSchema, ['gatewayId', 'status', 'lastHeartbeat', 'responseTime', 'errorMessage', 'checkedAt']);
      expect(r.body).toMatchObject({ gatewayId: c.ids.gw, status: 'ACTIVE', errorMessage: null });
      expect(r.body.responseTime).toMatch(/^\d+ms$/);
      expect(r.body).toEqual(live.body);
      expect(c.sim.stats('gw-a').healthChecks).toBe(checks + 1);
    },
  },
  {
    endpoint: 'GET /api/v1/gateways/{id}/metrics',
    async run(c) {
      const r = await call(c, 'GET', '/api/v1/gateways/prod-gateway-1/metrics');
      expectShape(r, 200, GatewayMetricsSchema, [
        'gatewayId',
        'resourceCount',
        'providerCount',
        'proxyCount',
        'mcpCount',
        'requestRate',
        'errorRate',
        'averageLatency',
        'timestamp',
      ]);
      expect(r.body.gatewayId).toBe(c.ids.gw);
      expect(r.body.resourceCount).toBe(0);
    },
  },
  {
    endpoint: 'PUT /api/v1/environments/{id}',
    async run(c) {
      const r = await call(c, 'PUT', '/api/v1/environments/staging', { displayName: 'Staging EU', description: null });
      expectShape(r, 200, EnvironmentSchema, ['uuid', 'name', 'displayName', 'updatedAt']);
      expect(r.body).toMatchObject({ uuid: c.ids.staging, displayName: 'Staging EU', description: null });
      expect(r.headers.etag).toBe('"v2"');
      expectProblem(await call(c, 'PUT', '/api/v1/environments/staging', { displayName: 'x' }, { 'if-match': '"v1"' }), 412, 'AGW_PRECONDITION_FAILED');
      expectProblem(await call(c, 'PUT', '/api/v1/environments/staging', { name: 'renamed' }), 400, 'AGW_VALIDATION');
    },
  },
  {
    endpoint: 'GET /api/v1/environments/{id}',
    async run(c) {
      for (const id of [c.ids.staging!, 'staging']) {
        const r = await call(c, 'GET', `/api/v1/environments/${id}`);
        expectShape(r, 200, EnvironmentSchema, ['uuid', 'name', 'displayName', 'description', 'createdAt', 'updatedAt']);
        expect(r.body.displayName).toBe('Staging EU');
        expect(r.headers.etag).toBe('"v2"');
      }
    },
  },
  {
    endpoint: 'DELETE /api/v1/gateways/{id}',
    async run(c) {
      expectProblem(await call(c, 'DELETE', '/api/v1/gateways/prod-gateway-1', undefined, { 'if-match': '"v1"' }), 412, 'AGW_PRECONDITION_FAILED');
      const r = await call(c, 'DELETE', '/api/v1/gateways/prod-gateway-1');
      expect(r.status, r.text).toBe(204);
      expectProblem(await call(c, 'GET', `/api/v1/gateways/${c.ids.gw}`), 404, 'AGW_NOT_FOUND');
    },
  },
  {
    endpoint: 'DELETE /api/v1/environments/{id}',
    async run(c) {
      const refused = await call(c, 'DELETE', '/api/v1/environments/staging');
      expectProblem(refused, 409, 'AGW_ENVIRONMENT_IN_USE');
      expect(refused.body.details.gateways).toEqual(['ingress-1']);
      const r = await call(c, 'DELETE', '/api/v1/environments/staging?force=true');
      expect(r.status, r.text).toBe(204);
      expect((await call(c, 'DELETE', `/api/v1/environments/${c.ids.prod}`)).status).toBe(204);
      expectProblem(await call(c, 'GET', '/api/v1/environments/staging'), 404, 'AGW_NOT_FOUND');
    },
  },
];

function call(c: Context, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return http(c.url, method, path, { ...(body === undefined ? {} : { body }), headers });
}

/** The status, the seed's fields, and the published schema of the answer. */
function expectShape(r: HttpResult, status: number, schema: TSchema, seedFields: string[]): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  for (const field of seedFields) expect(r.body, `field ${field}`).toHaveProperty(field);
  const errors = [...Value.Errors(schema, r.body)].map((e) => `${e.path}: ${e.message}`);
  expect(errors, JSON.stringify(r.body)).toEqual([]);
}

/** The endpoints as the seed lists them, read from the seed itself when it is at hand. */
function seedEndpoints(): string[] | null {
  const seed = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/seed/000_ab1229b685aec4ba.txt');
  if (!existsSync(seed)) return null;
  return [...readFileSync(seed, 'utf8').matchAll(/^(GET|POST|PUT|DELETE)\s+(\/api\/v1\/\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
}

describe('the seed’s API surface over HTTP', () => {
  let t: TestDaemon;
  let sim: GatewaySimulator;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'gw-a' }, { name: 'gw-b' }] });
    t = await startTestDaemon({ prefix: 'endpoints' });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('the table names exactly the seed’s 16 endpoints', () => {
    const names = ENDPOINTS.map((e) => e.endpoint);
    expect(new Set(names).size).toBe(16);
    const fromSeed = seedEndpoints();
    if (fromSeed !== null) expect([...names].sort()).toEqual([...fromSeed].sort());
  });

  for (const { endpoint, run } of ENDPOINTS) {
    it(endpoint, () => run({ url: t.url, sim, ids }));
  }

  it('publishes every endpoint in /openapi.json', async () => {
    const r = await http(t.url, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    for (const { endpoint } of ENDPOINTS) {
      const [method, path] = endpoint.split(' ') as [string, string];
      expect(r.body.paths[path]?.[method.toLowerCase()], endpoint).toBeDefined();
    }
    const create = r.body.paths['/api/v1/gateways'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['name', 'gatewayType']));
    expect(create.additionalProperties).toBe(false);
  });

  it('answers the probes and exposes Prometheus metrics', async () => {
    const healthz = await http(t.url, 'GET', '/healthz');
    expect(healthz.body).toEqual({ status: 'ok', adapter: 'on-premise', version: expect.any(String) });
    const readyz = await http(t.url, 'GET', '/readyz');
    expect(readyz.status).toBe(200);
    expect(readyz.body.status).toBe('ready');
    const metrics = await http(t.url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/agentgw_gateways\{status="ACTIVE",type="INGRESS"\} 1/);
    expect(metrics.text).toMatch(/agentgw_http_requests_total\{method="GET",route="\/api\/v1\/gateways\/:id",status="200"\} \d+/);
    expect(metrics.text).toMatch(/agentgw_http_request_duration_seconds_bucket/);
    expect(metrics.text).toMatch(/agentgw_gateway_health_check_duration_seconds_count\{outcome="healthy"\} 1/);
  });

  it('answers an unknown route with a problem', async () => {
    expectProblem(await http(t.url, 'GET', '/api/v1/nothing-here'), 404, 'AGW_ROUTE_NOT_FOUND');
  });
});
