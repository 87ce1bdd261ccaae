/**
 * Fuzzing every route of the daemon over real HTTP. Requests are generated with fast-check from
 * the same TypeBox schemas the routes validate with (mostly well-typed, sometimes of the wrong
 * type, with unknown fields, out-of-range numbers, odd ids and If-Match headers), then come the
 * hand-made nasties: malformed JSON, wrong content types, oversized bodies, odd path bytes.
 *
 * For every answer: never a 5xx; every 4xx is problem+json; and after every rejected write the
 * tables are exactly as they were (compared as a dump before and after).
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { sql } from 'kysely';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAME_PATTERN } from '../../src/domain/validation.js';
import * as S from '../../src/daemon/schemas.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { expectProblem, http, rawHttp, startTestDaemon, type HttpResult, type TestDaemon } from './support.js';

const RUNS = 200;
const BODY_LIMIT = 16 * 1024;

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: TSchema;
  body?: TSchema;
}

/** Every route the daemon serves (the seed's 16, live checks, tokens, the probes, metrics and the OpenAPI document). */
const ROUTES: Route[] = [
  { method: 'POST', path: '/api/v1/environments', body: S.CreateEnvironmentBody },
  { method: 'GET', path: '/api/v1/environments', query: S.ListEnvironmentsQuery },
  { method: 'GET', path: '/api/v1/environments/:id' },
  { method: 'PUT', path: '/api/v1/environments/:id', body: S.UpdateEnvironmentBody },
  { method: 'DELETE', path: '/api/v1/environments/:id', query: S.DeleteEnvironmentQuery },
  { method: 'GET', path: '/api/v1/environments/:id/gateways' },
  { method: 'POST', path: '/api/v1/gateways', body: S.RegisterGatewayBody },
  { method: 'GET', path: '/api/v1/gateways', query: S.ListGatewaysQuery },
  { method: 'GET', path: '/api/v1/gateways/:id' },
  { method: 'PUT', path: '/api/v1/gateways/:id', body: S.UpdateGatewayBody },
  { method: 'DELETE', path: '/api/v1/gateways/:id' },
  { method: 'POST', path: '/api/v1/gateways/:id/environments/:envId' },
  { method: 'DELETE', path: '/api/v1/gateways/:id/environments/:envId' },
  { method: 'GET', path: '/api/v1/gateways/:id/environments' },
  { method: 'GET', path: '/api/v1/gateways/:id/health' },
  { method: 'POST', path: '/api/v1/gateways/:id/health-checks' },
  { method: 'GET', path: '/api/v1/gateways/:id/metrics' },
  { method: 'GET', path: '/api/v1/tokens' },
  { method: 'POST', path: '/api/v1/tokens', body: S.CreateTokenBody },
  // `:id` stands for the token's name: the generator fills in ids.
  { method: 'DELETE', path: '/api/v1/tokens/:id' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/openapi.json' },
];

const ODD_STRINGS = ['..', '.', ' ', '%', '%00', 'a/b', '💥', '\u202egnp', 'A'.repeat(300), 'x'.repeat(2000), '00000000-0000-0000-0000-000000000000', 'NULL', "' or 1=1 --", '{}', '\t', '\u0000'];

// ---------------------------------------------------------------- arbitraries from schemas

let simUrl = '';

/** Values for a schema: mostly of its shape (rules included), sometimes any JSON at all. */
function arbitraryOf(schema: TSchema, key = ''): fc.Arbitrary<unknown> {
  const typed = typedArbitrary(schema, key);
  return fc.oneof({ weight: 8, arbitrary: typed }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

function typedArbitrary(schema: TSchema, key: string): fc.Arbitrary<unknown> {
  // A gateway must be reachable for its registration to get far: point some at the simulator,
  // never at hosts that would make the test wait on DNS or timeouts.
  if (key === 'controlPlaneUrl') return fc.oneof(fc.constant(simUrl), fc.constantFrom('not a url', 'ftp://x', 'http://user:pw@127.0.0.1:1/'), fc.string());
  switch (schema[Kind]) {
    case 'Object': {
      const properties = (schema.properties ?? {}) as Record<string, TSchema>;
      const required = (schema.required ?? []) as string[];
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, arbitraryOf(child, name)])),
        { requiredKeys: required.filter((name) => name in properties) as never[] },
      );
      const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 });
      // Sometimes a required field goes missing or an unknown one comes along.
      return fc.oneof(
        { weight: 6, arbitrary: record },
        { weight: 1, arbitrary: fc.tuple(record, extra).map(([r, e]) => ({ ...e, ...(r as object) })) },
        { weight: 1, arbitrary: record.map((r) => dropOne(r as Record<string, unknown>)) },
      );
    }
    case 'String': {
      if (schema.format === 'uuid') return fc.uuid();
      if (typeof schema.pattern === 'string' && schema.pattern === NAME_PATTERN) {
        return fc.oneof(fc.stringMatching(new RegExp(NAME_PATTERN)).filter((s) => s.length <= 70), fc.constantFrom(...ODD_STRINGS));
      }
      return fc.oneof(fc.string({ maxLength: (schema.maxLength as number | undefined) ?? 40 }), fc.constantFrom(...ODD_STRINGS));
    }
    case 'Integer':
      return fc.integer({ min: ((schema.minimum as number | undefined) ?? -1000) - 2, max: ((schema.maximum as number | undefined) ?? 1000) + 2 });
    case 'Number':
      return fc.double({ noNaN: true });
    case 'Boolean':
      return fc.boolean();
    case 'Literal':
      return fc.constant(schema.const);
    case 'Union':
      return fc.oneof(...(schema.anyOf as TSchema[]).map((s) => typedArbitrary(s, key)));
    case 'Null':
      return fc.constant(null);
    case 'Array':
      return fc.array(arbitraryOf(schema.items as TSchema, key), { maxLength: 4 });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function dropOne(record: Record<string, unknown>): Record<string, unknown> {
  const [first] = Object.keys(record);
  if (first === undefined) return record;
  const { [first]: _dropped, ...rest } = record;
  return rest;
}

/** An id: an existing name or uuid, a plausible name, a random uuid, or something odd. */
function idArbitrary(known: () => string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 5).map((i) => known()[i % known().length] ?? 'production') },
    { weight: 2, arbitrary: fc.stringMatching(new RegExp(NAME_PATTERN)).filter((s) => s.length <= 64) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  );
}

/** Query values as strings, the way they arrive in a URL. */
function asQueryValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

const ifMatchArbitrary = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('"v1"', '"v2"', 'W/"v1"', '*', '"v0"', 'v1', '"v99999999999"', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

interface GeneratedRequest {
  path: string;
  query: string;
  body: unknown;
  hasBody: boolean;
  ifMatch: string | undefined;
}

function requestArbitrary(route: Route, known: { environments: () => string[]; gateways: () => string[] }): fc.Arbitrary<GeneratedRequest> {
  const id = route.path.startsWith('/api/v1/environments/') ? idArbitrary(known.environments) : idArbitrary(known.gateways);
  const envId = idArbitrary(known.environments);
  const query = route.query
    ? (arbitraryOf(route.query) as fc.Arbitrary<unknown>).map((q) => {
        if (q === null || typeof q !== 'object' || Array.isArray(q)) return `?${encodeURIComponent(asQueryValue(q))}`;
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(q)) params.append(k, asQueryValue(v));
        return `?${params}`;
      })
    : fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => `?${encodeURIComponent(s)}=1`) });
  const body = route.body ? arbitraryOf(route.body) : fc.constant(undefined);
  return fc.record({ id, envId, query, body, ifMatch: ifMatchArbitrary }).map((r) => ({
    path: route.path.replace(':id', encodeURIComponent(r.id)).replace(':envId', encodeURIComponent(r.envId)),
    query: r.query,
    body: r.body,
    hasBody: route.body !== undefined,
    ifMatch: r.ifMatch,
  }));
}

// ---------------------------------------------------------------- the checks

describe('fuzzing every route', () => {
  let t: TestDaemon;
  let sim: GatewaySimulator;
  let counted = 0;
  const statuses = new Map<number, number>();

  /** Every row of every table a write may touch, in one statement (one round trip per check). */
  const snapshot = async () => {
    const dump = (table: string, order: string) => sql.raw(`(select coalesce(json_agg(t order by ${order}), '[]') from ${table} t)`);
    const { rows } = await sql<{ dump: unknown }>`select json_build_array(
      ${dump('environments', 'uuid')}, ${dump('gateways', 'uuid')},
      ${dump('gateway_environment_mappings', 'gateway_uuid, environment_uuid')}, ${dump('api_tokens', 'uuid')}) as dump`.execute(t.runtime.store.db);
    return JSON.stringify(rows[0]?.dump);
  };

  const names = async (table: 'environments' | 'gateways') => {
    const rows = await t.runtime.store.db.selectFrom(table).select(['name', 'uuid']).orderBy('name').limit(3).execute();
    return rows.flatMap((r) => [r.name, r.uuid]);
  };
  let knownEnvironments: string[] = [];
  let knownGateways: string[] = [];

  /** Keeps something to aim at: the fuzzer deletes what it finds. */
  const replenish = async () => {
    await http(t.url, 'POST', '/api/v1/environments', { body: { name: 'fz-env' } });
    await http(t.url, 'POST', '/api/v1/gateways', { body: { name: 'fz-gw', gatewayType: 'EGRESS', environmentIds: ['fz-env'], adapterConfig: { controlPlaneUrl: simUrl } } });
    knownEnvironments = await names('environments');
    knownGateways = await names('gateways');
  };

  /** The invariants every answer must keep; `before` is the dump taken before a write. */
  const check = async (label: string, method: string, result: HttpResult, before: string | null) => {
    counted++;
    statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
    expect(result.status, `${label} → ${result.status} ${result.text.slice(0, 300)}`).toBeLessThan(500);
    if (result.status >= 400) {
      expectProblem(result, result.status);
      if (before !== null && method !== 'GET') expect(await snapshot(), `${label} changed the database although it was refused`).toBe(before);
    }
  };

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'gw-a' }] });
    simUrl = sim.urlOf('gw-a');
    t = await startTestDaemon({
      prefix: 'fuzz',
      overrides: {
        'server.bodyLimit': BODY_LIMIT,
        'gateway.adapter.onPremise.defaultTimeout': '2s',
        'gateway.adapter.onPremise.retryPolicy.maxAttempts': 1,
      },
    });
    await replenish();
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
    console.info(`fuzz: ${counted} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  });

  for (const route of ROUTES) {
    it(`${route.method} ${route.path}: ${RUNS} generated requests`, async () => {
      await replenish();
      const known = { environments: () => knownEnvironments, gateways: () => knownGateways };
      await fc.assert(
        fc.asyncProperty(requestArbitrary(route, known), async (request) => {
          const before = route.method === 'GET' ? null : await snapshot();
          const headers: Record<string, string> = {};
          if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
          const result = await http(t.url, route.method, `${request.path}${request.query}`, {
            headers,
            ...(request.hasBody ? { raw: JSON.stringify(request.body) ?? 'null', headers: { ...headers, 'content-type': 'application/json' } } : {}),
          });
          await check(`${route.method} ${request.path}${request.query} ${JSON.stringify(request.body)?.slice(0, 200)}`, route.method, result, before);
          if (result.status < 300 && route.method !== 'GET') {
            knownEnvironments = await names('environments');
            knownGateways = await names('gateways');
          }
        }),
        { numRuns: RUNS },
      );
    }, 60_000);
  }

  const writeRoutes = ROUTES.filter((r) => r.body !== undefined);

  it('malformed JSON, wrong content types and oversized bodies: 400, 413, 415 as problems, nothing stored', async () => {
    await replenish();
    const malformed: Array<[string, string | Buffer]> = [
      ['truncated', '{"name": "x"'],
      ['trailing comma', '{"name": "x",}'],
      ['single quotes', "{'name': 'x'}"],
      ['bare word', 'nul'],
      ['empty', ''],
      ['whitespace', '   '],
      ['array', '[]'],
      ['string', '"name"'],
      ['number', '42'],
      ['null', 'null'],
      ['huge number', '{"name": 1e400}'],
      ['proto pollution', '{"__proto__": {"admin": true}, "name": "proto"}'],
      ['constructor pollution', '{"constructor": {"prototype": {"admin": true}}, "name": "ctor"}'],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
      ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['NUL in a value', '{"name": "a\\u0000b", "displayName": "x\\u0000"}'],
      ['lone surrogate', '{"name": "ok-surrogate", "displayName": "\\ud800"}'],
    ];
    const contentTypes = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/merge-patch+json', 'image/png'];
    for (const route of writeRoutes) {
      const path = route.path.replace(':id', 'fz-env');
      const target = route.path.includes('gateways') ? path.replace('fz-env', 'fz-gw') : path;
      for (const [label, raw] of malformed) {
        const before = await snapshot();
        const result = await http(t.url, route.method, target, { raw, headers: { 'content-type': 'application/json' } });
        await check(`${route.method} ${target} ${label}`, route.method, result, before);
        expect(result.status, `${label}: ${result.text}`).toBeGreaterThanOrEqual(400);
      }
      for (const contentType of contentTypes) {
        const before = await snapshot();
        const result = await http(t.url, route.method, target, { raw: '{"name":"typed"}', headers: { 'content-type': contentType } });
        await check(`${route.method} ${target} as ${contentType}`, route.method, result, before);
        expectProblem(result, 415, 'AGW_UNSUPPORTED_MEDIA_TYPE');
      }
      {
        const before = await snapshot();
        const result = await http(t.url, route.method, target, { raw: JSON.stringify({ name: 'big', description: 'x'.repeat(BODY_LIMIT) }), headers: { 'content-type': 'application/json' } });
        await check(`${route.method} ${target} oversized`, route.method, result, before);
        expectProblem(result, 413, 'AGW_PAYLOAD_TOO_LARGE');
      }
      {
        const before = await snapshot();
        const result = await rawHttp(t.url, route.method, target, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, 'x'.repeat(BODY_LIMIT * 2));
        await check(`${route.method} ${target} oversized chunked`, route.method, result, before);
        expect(result.status).toBe(413);
      }
      {
        const before = await snapshot();
        const result = await rawHttp(t.url, route.method, target, { 'content-type': 'application/json' });
        await check(`${route.method} ${target} no body`, route.method, result, before);
        expectProblem(result, 400, 'AGW_VALIDATION');
      }
    }
  });

  it('odd bytes in paths and queries: 4xx problems, never a crash', async () => {
    const paths = [
      '/api/v1/gateways/%00',
      '/api/v1/gateways/%zz',
      '/api/v1/gateways/%',
      '/api/v1/gateways/..%2F..%2Fetc%2Fpasswd',
      '/api/v1/environments/%E2%80%AE',
      '/api/v1/environments/%C0%AF',
      `/api/v1/gateways/${'a'.repeat(5000)}`,
      '/api/v1/gateways/x/environments/%00',
      '/api/v1/gateways?limit=1e3',
      '/api/v1/gateways?limit=-1',
      '/api/v1/gateways?limit=abc',
      '/api/v1/gateways?limit=1&limit=2',
      '/api/v1/gateways?type=EGRESS&type=INGRESS',
      '/api/v1/gateways?cursor=%00',
      '/api/v1/gateways?cursor=eyJhZnRlciI6IlxcdTAwMDAifQ',
      '/api/v1/gateways?cursor=bm90IGpzb24',
      '/api/v1/gateways?environment=%00',
      '/api/v1/environments?organizationId=not-a-uuid',
      '/api/v1/environments/fz-env?force=maybe',
      '/api/v1//gateways',
      '/api/v1/gateways/',
    ];
    for (const method of ['GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS', 'HEAD']) {
      for (const path of paths) {
        const before = await snapshot();
        const result = await rawHttp(t.url, method, path, method === 'PUT' || method === 'POST' ? { 'content-type': 'application/json' } : {}, method === 'PUT' || method === 'POST' ? '{}' : undefined);
        if (method === 'HEAD') {
          expect(result.status, `${method} ${path}`).toBeLessThan(500);
          continue;
        }
        await check(`${method} ${path}`, method, result, before);
      }
    }
  });

  it('counted at least 200 generated requests per route, and the daemon is still ready', async () => {
    expect(counted).toBeGreaterThanOrEqual(ROUTES.length * RUNS);
    expect((await http(t.url, 'GET', '/readyz')).status).toBe(200);
  });
});
