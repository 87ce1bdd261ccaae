/**
 * What the REST API means, over real HTTP against real daemons, PostgreSQL and simulators: a GET
 * of health reads and changes nothing, a live check is a write, overlapping live checks and
 * metrics reads of one gateway make one gateway call, unknown environments are 404s wherever
 * they are named, a wrong method is 405 with Allow, and a cloud registration can wait for its
 * gateway (RFC 7240 `Prefer: wait`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/services/tokens.js';
import { startCloudSimulator, type CloudSimulator } from '../../src/simulators/cloud-provider/index.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { expectProblem, http, startTestDaemon, type TestDaemon } from './support.js';

describe('an on-premise daemon with auth required', () => {
  let t: TestDaemon;
  let sim: GatewaySimulator;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'gw-1' }, { name: 'gw-slow' }] });
    t = await startTestDaemon({ prefix: 'semantics', overrides: { 'server.auth.required': true, 'gateway.adapter.onPremise.healthCheck.timeout': '10s' } });
    const service = new TokenService(t.runtime.context());
    for (const scope of ['read', 'write'] as const) tokens[scope] = (await service.create({ name: `t-${scope}`, scope })).token;
    for (const name of ['gw-1', 'gw-slow']) {
      const registered = await http(t.url, 'POST', '/api/v1/gateways', {
        token: tokens.write,
        body: { name, gatewayType: 'EGRESS', environmentIds: ['production'], adapterConfig: { controlPlaneUrl: sim.urlOf(name) } },
      });
      expect(registered.status, registered.text).toBe(201);
    }
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  const row = () => t.runtime.store.db.selectFrom('gateways').selectAll().where('name', '=', 'gw-1').executeTakeFirstOrThrow();

  it('GET …/health answers the last recorded check: no gateway call, no write, whatever the gateway does meanwhile', async () => {
    sim.setFaults('gw-1', { down: true });
    try {
      const before = { requests: sim.stats('gw-1').totalRequests, row: JSON.stringify(await row()) };
      for (let i = 0; i < 5; i += 1) {
        const read = await http(t.url, 'GET', '/api/v1/gateways/gw-1/health', { token: tokens.read });
        expect(read.status, read.text).toBe(200);
        expect(read.body).toMatchObject({ status: 'ACTIVE', errorMessage: null });
      }
      // A read token cannot flip the status, nor make agentgw call the gateway.
      expect(sim.stats('gw-1').totalRequests).toBe(before.requests);
      expect(JSON.stringify(await row())).toBe(before.row);
      const refused = await http(t.url, 'POST', '/api/v1/gateways/gw-1/health-checks', { token: tokens.read });
      expectProblem(refused, 403, 'AGW_FORBIDDEN');
      expect(sim.stats('gw-1').totalRequests).toBe(before.requests);

      // A live check is a write: it calls the gateway and records what it found.
      const live = await http(t.url, 'POST', '/api/v1/gateways/gw-1/health-checks', { token: tokens.write });
      expect(live.status, live.text).toBe(201);
      expect(live.body.errorMessage).not.toBeNull();
      expect((await row()).consecutive_failures).toBe(1);
      const recorded = await http(t.url, 'GET', '/api/v1/gateways/gw-1/health', { token: tokens.read });
      expect(recorded.body).toEqual(live.body);
    } finally {
      sim.setFaults('gw-1', { down: false });
    }
  });

  // The gateway answers slowly enough that all 100 requests reach the daemon, however busy the
  // machine, while the first call is in flight.
  const SLOW_MS = 4_000;

  it('coalesces 100 simultaneous live checks of one gateway into one call to it', async () => {
    sim.setFaults('gw-slow', { latencyMs: SLOW_MS });
    try {
      const before = sim.stats('gw-slow').healthChecks;
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => http(t.url, 'POST', '/api/v1/gateways/gw-slow/health-checks', { token: tokens.write })),
      );
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 100 }, () => 201));
      expect(answers.every((a) => a.body.errorMessage === null)).toBe(true);
      expect(new Set(answers.map((a) => a.body.checkedAt)).size).toBe(1);
      expect(sim.stats('gw-slow').healthChecks).toBe(before + 1);
    } finally {
      sim.setFaults('gw-slow', { latencyMs: undefined });
    }
  });

  it('coalesces 100 simultaneous metrics reads of one gateway into one listing of each collection', async () => {
    sim.setFaults('gw-slow', { latencyMs: SLOW_MS });
    try {
      const listings = () => sim.stats('gw-slow').requests['GET /api/management/v1/llm-providers'] ?? 0;
      const before = listings();
      const answers = await Promise.all(Array.from({ length: 100 }, () => http(t.url, 'GET', '/api/v1/gateways/gw-slow/metrics', { token: tokens.read })));
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 100 }, () => 200));
      expect(answers.every((a) => a.body.resourceCount === 0)).toBe(true);
      expect(listings()).toBe(before + 1);
      // A read after the shared one has settled asks again.
      await http(t.url, 'GET', '/api/v1/gateways/gw-slow/metrics', { token: tokens.read });
      expect(listings()).toBe(before + 2);
    } finally {
      sim.setFaults('gw-slow', { latencyMs: undefined });
    }
  });

  it('an unknown environment is a 404 naming it, wherever it is named', async () => {
    const mappings = await t.runtime.store.db.selectFrom('gateway_environment_mappings').selectAll().execute();
    for (const [method, path] of [
      ['GET', '/api/v1/gateways?environment=typo'],
      ['GET', '/api/v1/gateways?environment=typo&type=EGRESS&status=ACTIVE'],
      ['GET', '/api/v1/environments/typo/gateways'],
      ['POST', '/api/v1/gateways/gw-1/environments/typo'],
      ['DELETE', '/api/v1/gateways/gw-1/environments/typo'],
      ['GET', '/api/v1/deployments?environment=typo'],
      ['GET', '/api/v1/drift?environment=typo'],
    ] as const) {
      const answer = await http(t.url, method, path, { token: tokens.write });
      expectProblem(answer, 404, 'AGW_NOT_FOUND');
      expect(answer.body.detail, `${method} ${path}`).toBe('environment "typo" not found');
    }
    expect(await t.runtime.store.db.selectFrom('gateway_environment_mappings').selectAll().execute()).toEqual(mappings);
  });

  it('a method a path does not take is 405 with Allow; a path that does not exist stays 404', async () => {
    for (const [method, path, allow] of [
      ['PATCH', '/api/v1/gateways/gw-1', 'DELETE, GET, HEAD, PUT'],
      ['DELETE', '/api/v1/gateways', 'GET, HEAD, POST'],
      ['PUT', '/api/v1/gateways/gw-1/health', 'GET, HEAD'],
      ['GET', '/api/v1/gateways/gw-1/health-checks', 'POST'],
      ['PUT', '/api/v1/gateways/gw-1/environments/production', 'DELETE, POST'],
    ] as const) {
      const answer = await http(t.url, method, path, { token: tokens.write, ...(method === 'GET' ? {} : { body: {} }) });
      expectProblem(answer, 405, 'AGW_METHOD_NOT_ALLOWED');
      expect(answer.headers.allow, `${method} ${path}`).toBe(allow);
    }
    expectProblem(await http(t.url, 'GET', '/api/v1/nothing-here', { token: tokens.write }), 404, 'AGW_ROUTE_NOT_FOUND');
  });

  it('publishes the live check, the token routes and the Prefer header in /openapi.json', async () => {
    const { body } = await http(t.url, 'GET', '/openapi.json', { token: tokens.read });
    expect(body.paths['/api/v1/gateways/{id}/health-checks'].post.responses['201']).toBeDefined();
    expect(body.paths['/api/v1/gateways/{id}/health'].get.summary).toMatch(/last recorded/);
    for (const method of ['get', 'post']) expect(body.paths['/api/v1/tokens'][method]).toBeDefined();
    expect(body.paths['/api/v1/tokens/{name}'].delete).toBeDefined();
    const register = body.paths['/api/v1/gateways'].post;
    expect(register.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'header', name: 'prefer' }),
        expect.objectContaining({ in: 'query', name: 'keepFailed' }),
      ]),
    );
  });
});

describe('a cloud daemon: POST /gateways with Prefer: wait', () => {
  const CLIENT = { clientId: 'agentgw-semantics', clientSecret: 'cs-semantics-secret' };
  let t: TestDaemon;
  let cloud: CloudSimulator;
  let controllers: GatewaySimulator;

  beforeAll(async () => {
    controllers = await startGatewaySimulator({});
    cloud = await startCloudSimulator({
      ...CLIENT,
      provisioningDelayMs: 400,
      failRegions: ['eu-south-9'],
      managementUrlFor: (_name, id) => controllers.addGateway({ name: id }),
    });
    t = await startTestDaemon({
      prefix: 'prefer',
      overrides: {
        'gateway.adapter.type': 'cloud',
        'gateway.adapter.cloud.apiEndpoint': cloud.url,
        'gateway.adapter.cloud.authentication.clientId': CLIENT.clientId,
        'gateway.adapter.cloud.authentication.clientSecret': CLIENT.clientSecret,
        'gateway.adapter.cloud.provisioning.pollInterval': '100ms',
        'gateway.adapter.cloud.provisioning.timeout': '30s',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await cloud?.close();
    await controllers?.close();
  });

  const register = (name: string, region: string, headers: Record<string, string> = {}, query = '') =>
    http(t.url, 'POST', `/api/v1/gateways${query}`, { headers, body: { name, gatewayType: 'EGRESS', adapterConfig: { region } } });

  it('without it: 201 PROVISIONING at once, with Location', async () => {
    const answer = await register('cloud-async', 'us-east-1');
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body).toMatchObject({ status: 'PROVISIONING', endpoint: null });
    expect(answer.headers.location).toBe(`/api/v1/gateways/${answer.body.uuid}`);
    expect(answer.headers['preference-applied']).toBeUndefined();
  });

  it('with it: 201 once ACTIVE, with the endpoint, and Preference-Applied', async () => {
    const answer = await register('cloud-waited', 'us-east-1', { prefer: 'wait=20' });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body).toMatchObject({ name: 'cloud-waited', status: 'ACTIVE', endpoint: expect.stringMatching(/^https?:\/\//) });
    expect(answer.headers['preference-applied']).toBe('wait=20');
    expect(answer.headers.location).toBe(`/api/v1/gateways/${answer.body.uuid}`);
  });

  it('a wait too short for provisioning answers 201 PROVISIONING when it is over', async () => {
    const answer = await register('cloud-short', 'us-east-1', { prefer: 'respond-async, wait=0' });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body.status).toBe('PROVISIONING');
    expect(answer.headers['preference-applied']).toBe('wait=0');
  });

  it('provisioning that ends in ERROR: a problem with the provider’s reason, released at the provider, nothing stored', async () => {
    const answer = await register('cloud-failed', 'eu-south-9', { prefer: 'wait=20' });
    expectProblem(answer, 502, 'AGW_PROVISIONING_FAILED');
    expect(answer.body.detail).toMatch(/^gateway "cloud-failed" failed to provision: .*eu-south-9/);
    expect(answer.body.details).toMatchObject({ gateway: 'cloud-failed', kept: false });
    expectProblem(await http(t.url, 'GET', '/api/v1/gateways/cloud-failed'), 404, 'AGW_NOT_FOUND');
    expect(await t.runtime.store.db.selectFrom('gateways').select('name').where('name', '=', 'cloud-failed').execute()).toEqual([]);
    expect(cloud.stats().requests['DELETE /gateways/{id}']).toBeGreaterThanOrEqual(1);
    expect(cloud.gateways().find((g) => g.name === 'cloud-failed')?.status ?? 'gone').not.toBe('ERROR');
  });

  it('…kept in ERROR with keepFailed=true, still answered as the failure it is', async () => {
    const answer = await register('cloud-kept', 'eu-south-9', { prefer: 'wait=20' }, '?keepFailed=true');
    expectProblem(answer, 502, 'AGW_PROVISIONING_FAILED');
    expect(answer.body.details).toMatchObject({ gateway: 'cloud-kept', kept: true });
    const kept = await http(t.url, 'GET', '/api/v1/gateways/cloud-kept');
    expect(kept.body).toMatchObject({ status: 'ERROR', errorMessage: expect.stringContaining('eu-south-9') });
  });
});
