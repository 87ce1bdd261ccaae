/**
 * Concurrency over real HTTP: the database, not luck, decides. 50 concurrent creates of one
 * name give exactly one 201; 50 concurrent PUTs carrying the same If-Match give one 200 and
 * 49 × 412, and the stored version moved by exactly one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { expectProblem, http, startTestDaemon, type HttpResult, type TestDaemon } from './support.js';

const N = 50;

function tally(results: HttpResult[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

describe('races', () => {
  let t: TestDaemon;
  let sim: GatewaySimulator;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'gw-a' }] });
    // 50 registrations check the simulated gateway at once; on a busy 2-core machine that can
    // take longer than the 2 s the other tests allow.
    t = await startTestDaemon({ prefix: 'races', overrides: { 'gateway.adapter.onPremise.healthCheck.timeout': '20s' } });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it(`${N} concurrent creates of one environment name: exactly one 201, the rest 409`, async () => {
    const results = await Promise.all(Array.from({ length: N }, (_, i) => http(t.url, 'POST', '/api/v1/environments', { body: { name: 'contended', displayName: `attempt ${i}` } })));
    expect(tally(results)).toEqual({ 201: 1, 409: N - 1 });
    for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'AGW_ENVIRONMENT_EXISTS');
    const rows = await t.runtime.store.db.selectFrom('environments').select('uuid').where('name', '=', 'contended').execute();
    expect(rows).toHaveLength(1);
  });

  it(`${N} concurrent registrations of one gateway name: exactly one 201, the rest 409`, async () => {
    const body = { name: 'contended-gw', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('gw-a') } };
    const results = await Promise.all(Array.from({ length: N }, () => http(t.url, 'POST', '/api/v1/gateways', { body })));
    expect(tally(results), results.find((r) => r.status !== 201 && r.status !== 409)?.text).toEqual({ 201: 1, 409: N - 1 });
    for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'AGW_GATEWAY_EXISTS');
    const rows = await t.runtime.store.db.selectFrom('gateways').select('uuid').where('name', '=', 'contended-gw').execute();
    expect(rows).toHaveLength(1);
  });

  it(`${N} concurrent gateway PUTs with one If-Match: one 200, ${N - 1} × 412`, async () => {
    const read = await http(t.url, 'GET', '/api/v1/gateways/contended-gw');
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        http(t.url, 'PUT', '/api/v1/gateways/contended-gw', { body: { displayName: `writer ${i}` }, headers: { 'if-match': read.headers.etag! } }),
      ),
    );
    expect(tally(results)).toEqual({ 200: 1, 412: N - 1 });
    for (const r of results.filter((x) => x.status === 412)) expectProblem(r, 412, 'AGW_PRECONDITION_FAILED');
    const winner = results.find((r) => r.status === 200)!;
    const now = await http(t.url, 'GET', '/api/v1/gateways/contended-gw');
    expect(now.body.version).toBe(read.body.version + 1);
    expect(now.body.displayName).toBe(winner.body.displayName);
    expect(now.headers.etag).toBe(winner.headers.etag);
  });

  it(`${N} concurrent environment PUTs with one If-Match: one 200, ${N - 1} × 412`, async () => {
    const read = await http(t.url, 'GET', '/api/v1/environments/contended');
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        http(t.url, 'PUT', '/api/v1/environments/contended', { body: { description: `writer ${i}` }, headers: { 'if-match': read.headers.etag! } }),
      ),
    );
    expect(tally(results)).toEqual({ 200: 1, 412: N - 1 });
    const winner = results.find((r) => r.status === 200)!;
    const now = await http(t.url, 'GET', '/api/v1/environments/contended');
    expect(now.body.description).toBe(winner.body.description);
    expect(now.headers.etag).toBe('"v2"');
    expect(winner.headers.etag).toBe('"v2"');
  });

  it(`${N} concurrent mappings of one gateway to one environment: one 201, the rest 200, one row`, async () => {
    const results = await Promise.all(Array.from({ length: N }, () => http(t.url, 'POST', '/api/v1/gateways/contended-gw/environments/contended')));
    expect(tally(results)).toEqual({ 201: 1, 200: N - 1 });
    const rows = await t.runtime.store.db.selectFrom('gateway_environment_mappings').selectAll().execute();
    expect(rows).toHaveLength(1);
  });
});
