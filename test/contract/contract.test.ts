/**
 * The contract of the Client interface, run against every backend: local SQLite, local
 * PostgreSQL and a real daemon over HTTP. Each backend must behave identically: same resources,
 * same errors (code, exit code), same stored data after a rejected write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/domain/errors.js';
import { startGatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { createHarness, snapshot, type BackendMode, type Harness } from '../support/harness.js';
import { rejection } from '../support/rejection.js';

const MODES: BackendMode[] = ['local-sqlite', 'local-pg', 'remote'];
const CANARY_PASSWORD = 'canary-pw-7f3a9c1e-do-not-print';

describe.each(MODES)('contract: %s', (mode) => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(mode);
    for (const name of ['gw-a', 'gw-b', 'gw-c', 'gw-d', 'gw-auth', 'gw-legacy', 'gw-down']) {
      h.sim.addGateway({
        name,
        ...(name === 'gw-auth' ? { auth: { username: 'admin', password: CANARY_PASSWORD } } : {}),
        ...(name === 'gw-legacy' ? { legacy: true } : {}),
      });
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Registers NAME against the simulated gateway of the same name (or `simulated`). */
  const register = (name: string, extra: Record<string, unknown> = {}, environmentIds: string[] = ['production'], simulated = name) =>
    h.client.gateways.register({
      name,
      gatewayType: 'EGRESS',
      environmentIds,
      adapterConfig: { controlPlaneUrl: h.sim.urlOf(simulated), ...extra },
    });

  describe('environments', () => {
    it('starts with the backfilled production environment', async () => {
      const environments = await h.client.environments.list();
      expect(environments.map((e) => e.name)).toContain('production');
    });

    it('creates, reads, updates and lists with the seed’s field names', async () => {
      const created = await h.client.environments.create({ name: 'staging', displayName: 'Staging', description: 'pre-prod' });
      expect(created).toMatchObject({ name: 'staging', displayName: 'Staging', description: 'pre-prod' });
      expect(Object.keys(created)).toEqual(expect.arrayContaining(['uuid', 'name', 'displayName', 'description', 'createdAt', 'updatedAt']));
      expect(await h.client.environments.get('staging')).toEqual(created);
      expect(await h.client.environments.get(created.uuid)).toEqual(created);
      const updated = await h.client.environments.update('staging', { displayName: 'Staging (EU)' });
      expect(updated.displayName).toBe('Staging (EU)');
      expect(updated.description).toBe('pre-prod');
      expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());
    });

    it.each([
      ['a name with spaces', { name: 'my env' }, 'name'],
      ['an upper-case name', { name: 'Staging' }, 'name'],
      ['an over-long name', { name: 'a'.repeat(65) }, 'name'],
      ['an over-long displayName', { name: 'ok-name', displayName: 'x'.repeat(129) }, 'displayName'],
      ['an unknown field', { name: 'ok-name', colour: 'blue' }, 'colour'],
    ])('refuses %s and stores nothing', async (_label, input, path) => {
      const before = await snapshot(h.runtime);
      const error = await rejection(h.client.environments.create(input as never));
      expect(error.code).toBe('AGW_VALIDATION');
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.errors?.map((e) => e.path)).toContain(path);
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('refuses a duplicate name with a conflict (exit 5) and stores nothing', async () => {
      const before = await snapshot(h.runtime);
      const error = await rejection(h.client.environments.create({ name: 'staging' }));
      expect(error.code).toBe('AGW_ENVIRONMENT_EXISTS');
      expect(error.exitCode).toBe(ExitCode.conflict);
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('rejects a stale version with 412', async () => {
      const error = await rejection(h.client.environments.update('staging', { description: 'x' }, { ifVersion: 1 }));
      expect(error.code).toBe('AGW_PRECONDITION_FAILED');
      expect(error.status).toBe(412);
    });

    it('refuses an update with nothing to change, and changes nothing', async () => {
      const before = await snapshot(h.runtime);
      const error = await rejection(h.client.environments.update('staging', {}));
      expect(error.code).toBe('AGW_VALIDATION');
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.message).toMatch(/^nothing to update/);
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('reports an unknown environment as not found', async () => {
      const error = await rejection(h.client.environments.get('nowhere'));
      expect(error.code).toBe('AGW_NOT_FOUND');
      expect(error.exitCode).toBe(ExitCode.failure);
    });
  });

  describe('gateways', () => {
    it('registers an on-premise gateway after checking its health, in the seed’s shape', async () => {
      const gateway = await register('gw-a');
      expect(gateway).toMatchObject({
        name: 'gw-a',
        displayName: 'gw-a',
        type: 'EGRESS',
        status: 'ACTIVE',
        controlPlaneUrl: h.sim.urlOf('gw-a'),
        adapterType: 'on-premise',
        environments: [expect.objectContaining({ name: 'production', displayName: 'Production' })],
      });
      for (const field of ['uuid', 'organizationId', 'endpoint', 'region', 'metadata', 'createdAt', 'updatedAt', 'lastHeartbeat']) {
        expect(gateway).toHaveProperty(field);
      }
      expect(gateway.lastHeartbeat).not.toBeNull();
      expect(h.sim.stats('gw-a').healthChecks).toBeGreaterThanOrEqual(1);
    });

    it('registers a controller shaped like a real one (management and admin on two ports) from its management URL alone', async () => {
      const controller = await startGatewaySimulator({ mode: 'single', gateways: [{ name: 'real-shape' }] });
      try {
        expect((await fetch(`${controller.baseUrl}/health`)).status).toBe(404);
        const gateway = await h.client.gateways.register({ name: 'gw-two-ports', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: controller.baseUrl } });
        const healthUrl = `${controller.adminBaseUrl}/api/admin/v1/health`;
        // Where health was found is stored and shown; the endpoint defaults to the control-plane URL (the seed's Gateway Response).
        expect(gateway).toMatchObject({ status: 'ACTIVE', controlPlaneUrl: controller.baseUrl, endpoint: controller.baseUrl, adapterConfig: { healthUrl } });
        expect((await h.client.gateways.get('gw-two-ports')).adapterConfig.healthUrl).toBe(healthUrl);
        const checks = controller.stats('real-shape').healthChecks;
        expect((await h.client.gateways.health('gw-two-ports')).status).toBe('ACTIVE');
        expect(controller.stats('real-shape').healthChecks).toBe(checks + 1);
        // The management port's /health was asked once: by this test, to show it is not there.
        expect(controller.stats('real-shape').requests['GET /health']).toBe(1);
        await h.client.gateways.delete('gw-two-ports');
      } finally {
        await controller.close();
      }
    });

    it('an --endpoint given at registration is kept', async () => {
      // gw-a's controller under a second name, as the test only needs a controller that answers.
      const gateway = await h.client.gateways.register({
        name: 'gw-endpoint',
        gatewayType: 'EGRESS',
        environmentIds: [],
        adapterConfig: { controlPlaneUrl: h.sim.urlOf('gw-a'), endpoint: 'https://ai.example.com/' },
        allowDuplicateUrl: true,
      });
      expect(gateway.endpoint).toBe('https://ai.example.com');
      await h.client.gateways.delete('gw-endpoint');
    });

    it('answers the seed’s environment query with exactly the right rows', async () => {
      await register('gw-b', {}, ['production', 'staging']);
      await h.client.gateways.register({ name: 'gw-c', gatewayType: 'INGRESS', environmentIds: ['production'], adapterConfig: { controlPlaneUrl: h.sim.urlOf('gw-c') } });
      await register('gw-d', {}, ['staging']);
      const names = async (filter: Parameters<Harness['client']['gateways']['list']>[0]) => (await h.client.gateways.list(filter)).map((g) => g.name);
      expect(await names({ environment: 'production', type: 'EGRESS', status: 'ACTIVE' })).toEqual(['gw-a', 'gw-b']);
      const staging = await h.client.environments.get('staging');
      expect(await names({ environment: staging.uuid, type: 'EGRESS' })).toEqual(['gw-b', 'gw-d']);
      expect(await names({ type: 'INGRESS' })).toEqual(['gw-c']);
      expect(await names({ status: 'INACTIVE' })).toEqual([]);
      expect((await h.client.environments.gateways('staging')).map((g) => g.name)).toEqual(['gw-b', 'gw-d']);
    });

    it('refuses a filter on an unknown environment instead of answering an empty list', async () => {
      for (const read of [() => h.client.gateways.list({ environment: 'typo' }), () => h.client.gateways.listPage({ environment: 'typo', type: 'EGRESS' }, { limit: 10 })]) {
        const error = await rejection(read());
        expect(error.code).toBe('AGW_NOT_FOUND');
        expect(error.status).toBe(404);
        expect(error.message).toBe('environment "typo" not found');
      }
      expect((await rejection(h.client.environments.gateways('typo'))).code).toBe('AGW_NOT_FOUND');
      expect((await rejection(h.client.gateways.addEnvironment('gw-a', 'typo'))).status).toBe(404);
    });

    it('pages through a list with an opaque cursor', async () => {
      const first = await h.client.gateways.listPage({}, { limit: 2 });
      expect(first.items.map((g) => g.name)).toEqual(['gw-a', 'gw-b']);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await h.client.gateways.listPage({}, { limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((g) => g.name)).toEqual(['gw-c', 'gw-d']);
      const error = await rejection(h.client.gateways.listPage({}, { limit: 2, cursor: 'not-a-cursor' }));
      expect(error.code).toBe('AGW_VALIDATION');
    });

    it('refuses a duplicate gateway name with a conflict and stores nothing', async () => {
      const before = await snapshot(h.runtime);
      const error = await rejection(register('gw-a'));
      expect(error.code).toBe('AGW_GATEWAY_EXISTS');
      expect(error.exitCode).toBe(ExitCode.conflict);
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('refuses an unknown environment id and stores nothing', async () => {
      const before = await snapshot(h.runtime);
      const error = await rejection(register('gw-x', {}, ['production', '5b0c8f2e-0000-4000-8000-000000000000'], 'gw-a'));
      expect(error.code).toBe('AGW_VALIDATION');
      expect(error.message).toContain('5b0c8f2e-0000-4000-8000-000000000000');
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('refuses an unreachable control plane, naming the URL and the cause, and stores nothing', async () => {
      const before = await snapshot(h.runtime);
      const error = await rejection(
        h.client.gateways.register({ name: 'gw-x', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: 'http://127.0.0.1:9' } }),
      );
      expect(error.code).toBe('AGW_GATEWAY_UNREACHABLE');
      // Every URL health could be at, each with its cause.
      for (const url of ['http://127.0.0.1:9092/api/admin/v1/health', 'http://127.0.0.1:11/api/admin/v1/health', 'http://127.0.0.1:9/health']) {
        expect(error.message).toContain(`${url} (connection refused`);
      }
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('refuses a gateway that is down, and stores nothing', async () => {
      h.sim.setFaults('gw-down', { down: true });
      const before = await snapshot(h.runtime);
      const error = await rejection(register('gw-down'));
      expect(error.code).toBe('AGW_GATEWAY_UNREACHABLE');
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it.each([
      ['a malformed URL', 'not a url'],
      ['an ftp URL', 'ftp://gw.internal/'],
      ['a file URL', 'file:///etc/passwd'],
      ['credentials in the URL', 'http://admin:secret@gw.internal:9090'],
    ])('refuses %s and stores nothing', async (_label, url) => {
      const before = await snapshot(h.runtime);
      const error = await rejection(h.client.gateways.register({ name: 'gw-x', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: url } }));
      expect(error.code).toBe('AGW_VALIDATION');
      expect(error.errors?.[0]?.path).toBe('adapterConfig.controlPlaneUrl');
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it.each([
      ['a name with spaces', { name: 'my gateway' }],
      ['an upper-case name', { name: 'GW-1' }],
      ['an over-long displayName', { name: 'gw-x', displayName: 'y'.repeat(129) }],
      ['an unknown gateway type', { name: 'gw-x', gatewayType: 'SIDEWAYS' }],
    ])('refuses %s and stores nothing', async (_label, input) => {
      const before = await snapshot(h.runtime);
      const error = await rejection(h.client.gateways.register({ gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: h.sim.urlOf('gw-a') }, ...input } as never));
      expect(error.code).toBe('AGW_VALIDATION');
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('detects a legacy controller and keeps working with it', async () => {
      const gateway = await register('gw-legacy');
      expect(gateway.status).toBe('ACTIVE');
      expect(gateway.adapterConfig.apiBasePath).toBe('');
      const metrics = await h.client.gateways.metrics('gw-legacy');
      expect(metrics.unavailable).not.toHaveProperty('resourceCount');
      expect(metrics.resourceCount).toBe(0);
    });

    it('keeps credentials secret: stored encrypted, never returned', async () => {
      const gateway = await register('gw-auth', { username: 'admin', password: CANARY_PASSWORD });
      expect(gateway.adapterConfig).toMatchObject({ username: 'admin', password: { set: true } });
      expect(JSON.stringify(gateway)).not.toContain(CANARY_PASSWORD);
      expect(JSON.stringify(await h.client.gateways.get('gw-auth'))).not.toContain(CANARY_PASSWORD);
      expect(await snapshot(h.runtime)).not.toContain(CANARY_PASSWORD);
      // A read-edit-write round trip keeps the password.
      const updated = await h.client.gateways.update('gw-auth', { adapterConfig: { ...gateway.adapterConfig } });
      expect(updated.adapterConfig.password).toEqual({ set: true });
      expect((await h.client.gateways.health('gw-auth')).status).toBe('ACTIVE');
      expect(h.logs.join('\n')).not.toContain(CANARY_PASSWORD);
    });

    it('refuses wrong credentials at registration', async () => {
      await h.client.gateways.delete('gw-auth');
      const error = await rejection(register('gw-auth', { username: 'admin', password: 'wrong' }));
      expect(error.code).toBe('AGW_GATEWAY_AUTH');
      expect(error.message).not.toContain('wrong');
    });

    it('refuses a gateway update with nothing to change, and changes nothing', async () => {
      const before = await snapshot(h.runtime);
      for (const input of [{}, { adapterConfig: {} }]) {
        const error = await rejection(h.client.gateways.update('gw-a', input));
        expect(error.code).toBe('AGW_VALIDATION');
        expect(error.message).toMatch(/^nothing to update/);
      }
      expect(await snapshot(h.runtime)).toBe(before);
    });

    it('updates the display name, and re-validates a changed URL before storing it', async () => {
      const renamed = await h.client.gateways.update('gw-a', { displayName: 'Gateway A' });
      expect(renamed.displayName).toBe('Gateway A');
      const before = await snapshot(h.runtime);
      const error = await rejection(h.client.gateways.update('gw-a', { adapterConfig: { controlPlaneUrl: 'http://127.0.0.1:9' } }));
      expect(error.code).toBe('AGW_GATEWAY_UNREACHABLE');
      expect(await snapshot(h.runtime)).toBe(before);
      const moved = await h.client.gateways.update('gw-a', { adapterConfig: { controlPlaneUrl: h.sim.urlOf('gw-d') } });
      expect(moved.controlPlaneUrl).toBe(h.sim.urlOf('gw-d'));
      // Health is looked for again at the new URL.
      expect(moved.adapterConfig.healthUrl).toBe(`${h.sim.adminUrlOf('gw-d')}/api/admin/v1/health`);
      const stale = await rejection(h.client.gateways.update('gw-a', { displayName: 'A' }, { ifVersion: 1 }));
      expect(stale.status).toBe(412);
    });

    it('maps gateways to environments both ways', async () => {
      await h.client.gateways.addEnvironment('gw-c', 'staging');
      expect((await h.client.gateways.environments('gw-c')).map((e) => e.name)).toEqual(['production', 'staging']);
      expect((await h.client.environments.gateways('staging')).map((g) => g.name)).toEqual(['gw-b', 'gw-c', 'gw-d']);
      await h.client.gateways.removeEnvironment('gw-c', 'staging');
      expect((await h.client.gateways.environments('gw-c')).map((e) => e.name)).toEqual(['production']);
      const error = await rejection(h.client.gateways.removeEnvironment('gw-c', 'staging'));
      expect(error.code).toBe('AGW_NOT_FOUND');
    });

    it('reads the last recorded check without calling the gateway or writing anything', async () => {
      const live = await h.client.gateways.health('gw-c');
      const requests = h.sim.stats('gw-c').totalRequests;
      const before = await snapshot(h.runtime);
      h.sim.setFaults('gw-c', { down: true });
      try {
        expect(await h.client.gateways.lastHealth('gw-c')).toEqual(live);
        expect(h.sim.stats('gw-c').totalRequests).toBe(requests);
        expect(await snapshot(h.runtime)).toBe(before);
      } finally {
        h.sim.setFaults('gw-c', { down: false });
      }
    });

    it('checks health on demand in the seed’s shape, and follows the state machine', async () => {
      const health = await h.client.gateways.health('gw-b');
      expect(health).toMatchObject({ status: 'ACTIVE', errorMessage: null });
      expect(health.responseTime).toMatch(/^\d+ms$/);
      for (const field of ['gatewayId', 'lastHeartbeat', 'checkedAt']) expect(health).toHaveProperty(field);
      h.sim.setFaults('gw-b', { down: true });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await h.client.gateways.health('gw-b')).status);
      expect(statuses).toEqual(['ACTIVE', 'ACTIVE', 'INACTIVE']);
      const down = await h.client.gateways.health('gw-b');
      expect(down.errorMessage).toBeTruthy();
      expect(down.lastHeartbeat).toBe(health.lastHeartbeat);
      h.sim.setFaults('gw-b', { down: false });
      const recovering = [(await h.client.gateways.health('gw-b')).status, (await h.client.gateways.health('gw-b')).status];
      expect(recovering).toEqual(['INACTIVE', 'ACTIVE']);
    });

    it('reports metrics with nulls and reasons where there is no source', async () => {
      const metrics = await h.client.gateways.metrics('gw-b');
      expect(metrics).toMatchObject({ resourceCount: 0, providerCount: 0, proxyCount: 0, mcpCount: 0, requestRate: null, errorRate: null });
      expect(metrics.unavailable.requestRate).toBe('no metrics URL: set one with `agentgw gateway update gw-b --metrics-url URL`');
      for (const field of ['gatewayId', 'averageLatency', 'timestamp']) expect(metrics).toHaveProperty(field);
    });

    it('refuses to delete an environment that still has gateways, listing them, unless forced', async () => {
      const before = await snapshot(h.runtime);
      const error = await rejection(h.client.environments.delete('staging'));
      expect(error.code).toBe('AGW_ENVIRONMENT_IN_USE');
      expect(error.exitCode).toBe(ExitCode.conflict);
      expect(error.message).toContain('gw-b');
      expect(await snapshot(h.runtime)).toBe(before);
      await h.client.environments.delete('staging', { force: true });
      expect((await h.client.gateways.environments('gw-b')).map((e) => e.name)).toEqual(['production']);
      expect((await rejection(h.client.environments.get('staging'))).code).toBe('AGW_NOT_FOUND');
    });

    it('deletes a gateway', async () => {
      await h.client.gateways.delete('gw-d');
      expect((await rejection(h.client.gateways.get('gw-d'))).code).toBe('AGW_NOT_FOUND');
      expect((await rejection(h.client.gateways.delete('gw-d'))).code).toBe('AGW_NOT_FOUND');
    });
  });
});
