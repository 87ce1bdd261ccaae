/**
 * `GET /api/v1/gateways/{id}/health/history` on a real daemon over PostgreSQL, with transitions
 * made by the health monitor against a simulated gateway: the shape, the order, the limit, bad
 * input as a user would send it, and the same document through both clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalClient } from '../../src/client/local.js';
import { RemoteClient } from '../../src/client/remote.js';
import { HealthMonitor } from '../../src/services/health-monitor.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { http, startTestDaemon, type TestDaemon } from './support.js';

const INTERVAL = 30_000;

describe('health history over the REST API', () => {
  let d: TestDaemon;
  let sim: GatewaySimulator;
  let uuid: string;
  beforeAll(async () => {
    d = await startTestDaemon({ prefix: 'history' });
    sim = await startGatewaySimulator({ gateways: [{ name: 'edge' }, { name: 'quiet' }] });
    for (const name of ['edge', 'quiet']) {
      const registered = await http(d.url, 'POST', '/api/v1/gateways', { body: { name, gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf(name) } } });
      expect(registered.status).toBe(201);
      if (name === 'edge') uuid = registered.body.uuid;
    }
    // Down for three checks, then back for two: ACTIVE → INACTIVE → ACTIVE.
    const clock = new ManualClock(new Date());
    const monitor = new HealthMonitor({
      deps: d.runtime.deps,
      clock,
      intervalMs: INTERVAL,
      timeoutMs: 2000,
      concurrency: 4,
      thresholds: { unhealthyThreshold: 3, healthyThreshold: 2 },
      logger: { warn: () => {}, info: () => {}, debug: () => {} },
    });
    sim.setFaults('edge', { down: true });
    for (let check = 0; check < 3; check++) {
      clock.advance(INTERVAL * 1.1);
      await monitor.runRound();
    }
    sim.setFaults('edge', { down: undefined });
    for (let check = 0; check < 2; check++) {
      clock.advance(4 * INTERVAL * 1.1);
      await monitor.runRound();
    }
  });
  afterAll(async () => {
    await sim?.close();
    await d?.close();
  });

  it('lists the transitions newest first, by uuid or by name', async () => {
    const byUuid = await http(d.url, 'GET', `/api/v1/gateways/${uuid}/health/history`);
    expect(byUuid.status).toBe(200);
    expect(byUuid.body).toEqual({
      events: [
        { from: 'INACTIVE', to: 'ACTIVE', reason: '2 consecutive successful checks', errorClass: null, occurredAt: expect.any(String) },
        { from: 'ACTIVE', to: 'INACTIVE', reason: expect.stringMatching(/^3 consecutive failed checks: /), errorClass: 'network', occurredAt: expect.any(String) },
        { from: null, to: 'ACTIVE', reason: 'registered', errorClass: null, occurredAt: expect.any(String) },
      ],
    });
    const times = (byUuid.body.events as Array<{ occurredAt: string }>).map((e) => Date.parse(e.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect((await http(d.url, 'GET', '/api/v1/gateways/edge/health/history')).body).toEqual(byUuid.body);
    expect((await http(d.url, 'GET', '/api/v1/gateways/quiet/health/history')).body.events).toHaveLength(1);
  });

  it('honours ?limit', async () => {
    const limited = await http(d.url, 'GET', '/api/v1/gateways/edge/health/history?limit=1');
    expect(limited.body.events.map((e: { to: string }) => e.to)).toEqual(['ACTIVE']);
    expect(limited.body.events[0].from).toBe('INACTIVE');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=-3', 'limit'],
    ['limit=2.5', 'limit'],
    ['limit=1e2', 'limit'],
    ['limit=%202', 'limit'],
    ['since=yesterday', 'since'],
  ])('refuses ?%s with a problem naming %s', async (query, path) => {
    const response = await http(d.url, 'GET', `/api/v1/gateways/edge/health/history?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.code).toBe('AGW_VALIDATION');
    expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
  });

  it('answers 404 for an unknown gateway', async () => {
    for (const ref of ['nope', '00000000-0000-4000-8000-00000000dead']) {
      const response = await http(d.url, 'GET', `/api/v1/gateways/${ref}/health/history`);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'AGW_NOT_FOUND', detail: `gateway "${ref}" not found` });
    }
  });

  it('keeps the seed’s shape for GET /health', async () => {
    const health = await http(d.url, 'GET', '/api/v1/gateways/edge/health');
    expect(health.status).toBe(200);
    expect(Object.keys(health.body).sort()).toEqual(['checkedAt', 'errorClass', 'errorMessage', 'gatewayId', 'lastHeartbeat', 'responseTime', 'responseTimeMs', 'status'].sort());
    expect(health.body).toMatchObject({ gatewayId: uuid, status: 'ACTIVE', responseTime: expect.stringMatching(/^\d+ms$/) });
  });

  it('gives the same document through the remote and the local client', async () => {
    const remote = await RemoteClient.connect(d.url, null);
    const local = new LocalClient(d.runtime);
    expect(await remote.gateways.healthHistory('edge', { limit: 2 })).toEqual(await local.gateways.healthHistory('edge', { limit: 2 }));
    await expect(local.gateways.healthHistory('edge', { limit: 0 })).rejects.toMatchObject({ code: 'AGW_VALIDATION', exitCode: 2 });
    await expect(remote.gateways.healthHistory('nope')).rejects.toMatchObject({ code: 'AGW_NOT_FOUND', exitCode: 1 });
  });
});
