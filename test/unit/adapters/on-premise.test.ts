/**
 * The on-premise adapter against the gateway-controller simulator over real HTTP: every resource
 * kind in the current and the legacy (2026-02) API, every error status the spec lists, timeouts,
 * hangs, a gateway that is down, health, metrics, gateway info and config validation. One
 * password and one token are used throughout as canaries: no error, result or log line of the
 * whole file may contain them.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESOURCE_API_VERSION, TRAFFIC_KINDS } from '../../../src/adapters/adapter.js';
import type { GatewayCredentials, GatewayTarget, ResourceManifest, TrafficKind } from '../../../src/adapters/adapter.js';
import { LEGACY_RESOURCE_API_VERSION } from '../../../src/adapters/on-premise/legacy-shape.js';
import { GatewayError, ValidationError } from '../../../src/domain/errors.js';
import { startGatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';
import type { Faults, GatewaySimulator, TrafficProfile } from '../../../src/simulators/gateway-controller/index.js';
import { createAdapter, EXAMPLE_PER_KIND, example, recordingLogger, target, testClock } from './support.js';

const USER = 'agw-operator';
const PASSWORD = 'canary-password-4f1c9e7a2d';
const TOKEN = 'canary-token-8b3d6f0e91';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const CANARIES = [PASSWORD, TOKEN, BASIC];
const CREDENTIALS: GatewayCredentials = { username: USER, password: PASSWORD };
const AUTH = { username: USER, password: PASSWORD };
const CURRENT_BASE = '/api/management/v1';
const TRAFFIC: TrafficProfile = { requestsPerSecond: 40, errorRatio: 0.05, meanLatencyMs: 80 };
const NO_FAULTS: Faults = { down: undefined, hang: undefined, latencyMs: undefined, errorRate: undefined, unauthorized: undefined, healthStatus: undefined };

const clock = testClock();
let sleeps = 0;
const logger = recordingLogger();
/** Every value the adapter returned and every error it threw, checked for the canaries at the end. */
const observed: unknown[] = [];
let sim: GatewaySimulator;
let adapter: ReturnType<typeof createAdapter>;

beforeAll(async () => {
  sim = await startGatewaySimulator({
    clock: clock.now,
    gateways: [
      { name: 'cur', auth: AUTH, version: '1.4.2' },
      { name: 'leg', auth: AUTH, legacy: true },
      { name: 'faulty', auth: AUTH },
      { name: 'faulty-legacy', auth: AUTH, legacy: true },
      { name: 'metrics', auth: AUTH, traffic: TRAFFIC },
    ],
  });
  const real = createAdapter(logger, {
    now: clock.now,
    sleep: async (ms) => {
      sleeps += 1;
      await clock.sleep(ms);
    },
  });
  adapter = observe(real, observed);
});

afterAll(async () => {
  await adapter?.close();
  await sim?.close();
});

beforeEach(() => {
  // Resource tests clean up after themselves; a leftover would skew the counts of later tests.
  for (const name of ['cur', 'leg', 'faulty', 'faulty-legacy']) expect(sim.resources(name)).toEqual([]);
});

afterEach(() => {
  for (const name of ['cur', 'leg', 'faulty', 'faulty-legacy', 'metrics']) sim.setFaults(name, NO_FAULTS);
});

/** Records what each adapter method returned or threw, without changing it. */
function observe<T extends object>(wrapped: T, seen: unknown[]): T {
  const record = <V>(value: V): V => {
    seen.push(value instanceof Error ? errorView(value) : value);
    return value;
  };
  return new Proxy(wrapped, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (!(result instanceof Promise)) return record(result);
        return result.then(record, (error: unknown) => {
          throw record(error);
        });
      };
    },
  });
}

function errorView(error: Error): Record<string, unknown> {
  const { message, name, stack } = error;
  return { name, message, stack, ...(error as unknown as Record<string, unknown>) };
}

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected a rejection');
}

function gw(name: string, adapterConfig: Record<string, unknown> = {}, credentials: GatewayCredentials = CREDENTIALS): GatewayTarget {
  return target(name, sim.urlOf(name), adapterConfig, credentials);
}

const current = (name: string, extra: Record<string, unknown> = {}) => gw(name, { apiBasePath: CURRENT_BASE, ...extra });
const legacy = (name: string, extra: Record<string, unknown> = {}) => gw(name, { apiBasePath: '', ...extra });

/** What a current controller answers for a manifest: its write-only upstream credential left out. */
function withoutWriteOnlySecrets(manifest: ResourceManifest): ResourceManifest {
  const copy = structuredClone(manifest);
  for (const holder of [copy.spec.upstream, copy.spec.provider] as Array<{ auth?: Record<string, unknown> } | undefined>) {
    if (holder?.auth !== undefined) delete holder.auth.value;
  }
  return copy;
}

function requestsTo(name: string, key: string): number {
  return sim.stats(name).requests[key] ?? 0;
}

async function stubServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const stub = await stubServer((_req, res) => res.end());
  const port = Number(new URL(stub.url).port);
  await stub.close();
  return port;
}

describe.each([
  { mode: 'current', name: 'cur', isLegacy: false, basePath: CURRENT_BASE },
  { mode: 'legacy', name: 'leg', isLegacy: true, basePath: '' },
])('resources, $mode API', ({ name, isLegacy, basePath }) => {
  let gateway: GatewayTarget;

  beforeAll(async () => {
    const registered = await adapter.registerGateway({ ...gw(name), uuid: undefined });
    expect(registered.status).toBe('ACTIVE');
    // Health is found from the management URL alone: on the admin port for a current controller,
    // at /health on the management port for a legacy one.
    const healthUrl = isLegacy ? `${sim.urlOf(name)}/health` : `${sim.adminUrlOf(name)}/api/admin/v1/health`;
    expect(registered.adapterConfig).toEqual({ apiBasePath: basePath, healthUrl });
    expect(registered.endpoint).toBe(sim.urlOf(name));
    expect(registered.health?.healthy).toBe(true);
    gateway = gw(name, registered.adapterConfig);
  });

  it.each(TRAFFIC_KINDS)('%s: deploy creates, deploy again updates (409 → PUT), get, list, undeploy', async (kind: TrafficKind) => {
    const manifest = example(EXAMPLE_PER_KIND[kind]);
    manifest.metadata.labels = { team: 'ai-platform' };
    const resourceName = manifest.metadata.name;
    const collection = `${basePath}${{ LlmProvider: '/llm-providers', LlmProxy: '/llm-proxies', Mcp: '/mcp-proxies', RestApi: isLegacy ? '/apis' : '/rest-apis', LlmProviderTemplate: '/llm-provider-templates' }[kind]}`;
    const posts = requestsTo(name, `POST ${collection}`);

    await expect(adapter.deployResource(gateway, manifest)).resolves.toEqual({ kind, name: resourceName, action: 'created' });
    const held = sim.resources(name).find((r) => r.kind === kind && r.name === resourceName);
    expect(held?.manifest.spec).toEqual(isLegacy && kind === 'LlmProxy' ? { ...manifest.spec, provider: 'openai-provider' } : manifest.spec);
    expect(held?.manifest.apiVersion).toBe(isLegacy ? LEGACY_RESOURCE_API_VERSION : RESOURCE_API_VERSION);

    const changed = structuredClone(manifest);
    changed.spec.displayName = 'Changed Display Name';
    await expect(adapter.deployResource(gateway, changed)).resolves.toEqual({ kind, name: resourceName, action: 'updated' });
    expect(requestsTo(name, `POST ${collection}`)).toBe(posts + 2);
    expect(requestsTo(name, `PUT ${collection}/${resourceName}`)).toBeGreaterThanOrEqual(1);
    expect(sim.resources(name).find((r) => r.kind === kind && r.name === resourceName)?.manifest.spec.displayName).toBe('Changed Display Name');

    // Read back in the current shape whatever the API generation: labels and annotations kept,
    // the write-only upstream credential never returned.
    const read = await adapter.getResource(gateway, kind, resourceName);
    expect(read).toEqual(withoutWriteOnlySecrets(changed));

    const listed = await adapter.listResources(gateway, kind);
    // Legacy listings are summaries: the name is known, the spec is not.
    expect(listed).toEqual([{ kind, name: resourceName, manifest: isLegacy ? null : read }]);

    await adapter.undeployResource(gateway, kind, resourceName);
    expect(await adapter.getResource(gateway, kind, resourceName)).toBeNull();
    await expect(adapter.undeployResource(gateway, kind, resourceName)).resolves.toBeUndefined();
    expect(await adapter.listResources(gateway, kind)).toEqual([]);
    expect(sim.resources(name).filter((r) => r.kind === kind)).toEqual([]);
  });

  it('400: an invalid spec is refused with the controller field errors, never the raw body', async () => {
    const manifest = example(EXAMPLE_PER_KIND.RestApi);
    manifest.spec.context = 'no-leading-slash';
    manifest.spec.operations = [];
    const error = await rejection(adapter.deployResource(gateway, manifest));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('AGW_GATEWAY_REJECTED');
    expect(error.message).toMatch(/HTTP 400: Configuration validation failed$/);
    expect(error.message).not.toMatch(/[{}]|"status"|spec\.context/);
    expect(error.errors).toEqual(
      expect.arrayContaining([
        // As the simulated controller words them: the reasons of the spec-derived validators (src/domain/manifest-schema.ts).
        { path: 'spec.context', message: 'must start with / and not end with / (except the root context)' },
        { path: 'spec.operations', message: 'needs at least one entry' },
      ]),
    );
    expect(error.details).toEqual({ gateway: name, status: 400 });
    expect(sim.resources(name)).toEqual([]);
  });

  it('401: wrong or missing credentials are AGW_GATEWAY_AUTH for every operation, registration included', async () => {
    const wrong = gw(name, { apiBasePath: basePath }, { username: USER, password: 'not-the-password' });
    const manifest = example(EXAMPLE_PER_KIND.Mcp);
    for (const call of [
      () => adapter.deployResource(wrong, manifest),
      () => adapter.getResource(wrong, 'Mcp', 'x'),
      () => adapter.listResources(wrong, 'Mcp'),
      () => adapter.undeployResource(wrong, 'Mcp', 'x'),
      () => adapter.listResources(gw(name, { apiBasePath: basePath }, {}), 'Mcp'),
      () => adapter.listResources(gw(name, { apiBasePath: basePath }, { token: TOKEN }), 'Mcp'),
    ]) {
      const error = await rejection(call());
      expect(error.code).toBe('AGW_GATEWAY_AUTH');
      expect(error.message).toContain('HTTP 401');
    }
    const registration = await rejection(adapter.registerGateway({ ...wrong, uuid: undefined, adapterConfig: {} }));
    expect(registration.code).toBe('AGW_GATEWAY_AUTH');
    expect(registration.hint).toMatch(/--password-stdin/);
    expect(sim.resources(name)).toEqual([]);
  });

  it('404: a missing resource reads as null and undeploys as done; a path that is no controller is an error', async () => {
    expect(await adapter.getResource(gateway, 'LlmProvider', 'never-deployed')).toBeNull();
    await expect(adapter.undeployResource(gateway, 'LlmProvider', 'never-deployed')).resolves.toBeUndefined();
    const nowhere = target(name, `${sim.baseUrl}/gateways/no-such-gateway`, { apiBasePath: basePath }, CREDENTIALS);
    const error = await rejection(adapter.listResources(nowhere, 'LlmProvider'));
    expect(error.code).toBe('AGW_GATEWAY_REJECTED');
    expect(error.message).toContain('HTTP 404');
  });

  it('500: a failing controller is AGW_GATEWAY_FAILED with its message, for every operation', async () => {
    sim.setFaults(name, { errorRate: 1 });
    for (const call of [
      () => adapter.deployResource(gateway, example(EXAMPLE_PER_KIND.Mcp)),
      () => adapter.getResource(gateway, 'Mcp', 'x'),
      () => adapter.listResources(gateway, 'Mcp'),
      () => adapter.undeployResource(gateway, 'Mcp', 'x'),
    ]) {
      const error = await rejection(call());
      expect(error.code).toBe('AGW_GATEWAY_FAILED');
      expect(error.message).toMatch(/HTTP 500: Internal server error$/);
    }
    const health = await adapter.checkHealth(gateway);
    expect(health).toMatchObject({ healthy: false, permanent: false, errorClass: 'http_5xx' });
  });

  it('an LlmProxy naming its provider with credentials is refused where the API cannot carry them', async () => {
    const manifest = example(EXAMPLE_PER_KIND.LlmProxy);
    manifest.spec.provider = { id: 'openai-provider', auth: { type: 'api-key', header: 'Authorization', value: 'Bearer sk-test' } };
    if (isLegacy) {
      const error = await rejection(adapter.deployResource(gateway, manifest));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.errors).toEqual([{ path: 'spec.provider.auth', message: expect.stringContaining('2026-02') }]);
      expect(sim.resources(name)).toEqual([]);
    } else {
      await adapter.deployResource(gateway, manifest);
      await adapter.undeployResource(gateway, 'LlmProxy', manifest.metadata.name);
    }
  });
});

describe('a stored apiBasePath of "auto"', () => {
  it('is detected on first use instead of being taken for the current API', async () => {
    const auto = gw('leg', { apiBasePath: 'auto' });
    const manifest = example(EXAMPLE_PER_KIND.Mcp);
    await expect(adapter.deployResource(auto, manifest)).resolves.toMatchObject({ action: 'created' });
    expect((await adapter.listResources(auto, 'Mcp')).map((r) => r.name)).toEqual([manifest.metadata.name]);
    expect((await adapter.getGatewayInfo(auto)).apiBasePath).toBe('');
    await adapter.undeployResource(auto, 'Mcp', manifest.metadata.name);
  });

  it('is not guessed when the controller answers 5xx', async () => {
    sim.setFaults('faulty', { errorRate: 1 });
    const error = await rejection(adapter.listResources(gw('faulty', { apiBasePath: 'auto' }), 'Mcp'));
    expect(error.code).toBe('AGW_GATEWAY_FAILED');
    expect(error.message).toContain('detect the management API layout');
    sim.setFaults('faulty', NO_FAULTS);
    await expect(adapter.listResources(gw('faulty', { apiBasePath: 'auto' }), 'Mcp')).resolves.toEqual([]);
  });
});

describe('409 that is not about this name', () => {
  it('reports the conflict, not the 404 of the update that followed it', async () => {
    const stub = await stubServer((req, res) => {
      req.resume();
      const conflict = req.method === 'POST';
      res.writeHead(conflict ? 409 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', message: conflict ? 'API with same name and version already exists' : 'not found' }));
    });
    try {
      const error = await rejection(adapter.deployResource(target('stub', stub.url, { apiBasePath: CURRENT_BASE }, CREDENTIALS), example(EXAMPLE_PER_KIND.RestApi)));
      expect(error.code).toBe('AGW_GATEWAY_CONFLICT');
      expect(error.message).toMatch(/HTTP 409: API with same name and version already exists$/);
    } finally {
      await stub.close();
    }
  });
});

describe('answers that are not the spec\'s ErrorResponse', () => {
  it('an HTML page, an endless message, odd field errors: the status, a bounded message, no crash', async () => {
    const bodies = [
      '<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>',
      JSON.stringify({ status: 'error', message: 'x'.repeat(10_000) }),
      JSON.stringify({ status: 'error', message: 'odd', errors: [null, 'text', { field: 7 }, { message: 'no field' }] }),
    ];
    let next = 0;
    const stub = await stubServer((req, res) => {
      req.resume();
      res.writeHead(502, { 'content-type': next === 0 ? 'text/html' : 'application/json' });
      res.end(bodies[next++]);
    });
    try {
      const deploy = () => adapter.deployResource(target('odd', stub.url, { apiBasePath: CURRENT_BASE }, CREDENTIALS), example(EXAMPLE_PER_KIND.Mcp));
      const html = await rejection(deploy());
      expect(html.message).toBe('odd: deploy Mcp "everything-mcp-v1.0" failed with HTTP 502');
      const long = await rejection(deploy());
      expect(long.message.length).toBeLessThan(400);
      const odd = await rejection(deploy());
      expect(odd.errors).toEqual([
        { path: '7', message: '' },
        { path: '', message: 'no field' },
      ]);
    } finally {
      await stub.close();
    }
  });
});

describe('timeouts, hangs and a gateway that is down', () => {
  it('a slower answer than the timeout is a timeout, for resources and health', async () => {
    sim.setFaults('faulty', { latencyMs: 600 });
    const started = performance.now();
    const deploy = await rejection(adapter.deployResource(current('faulty'), example(EXAMPLE_PER_KIND.Mcp), { timeoutMs: 150 }));
    expect(deploy.code).toBe('AGW_GATEWAY_TIMEOUT');
    const list = await rejection(adapter.listResources(current('faulty'), 'Mcp', { timeoutMs: 150 }));
    expect(list.code).toBe('AGW_GATEWAY_TIMEOUT');
    const health = await adapter.checkHealth(current('faulty'), { timeoutMs: 150 });
    expect(health).toMatchObject({ healthy: false, permanent: false, errorClass: 'timeout', responseTimeMs: null });
    expect(health.errorMessage).toContain('timed out');
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('a hung gateway: the health check comes back within its timeout (the configured one by default)', async () => {
    sim.setFaults('faulty', { hang: true });
    let started = performance.now();
    const health = await adapter.checkHealth(current('faulty'), { timeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(700);
    expect(health).toMatchObject({ healthy: false, errorClass: 'timeout' });

    started = performance.now();
    // The context's healthCheckTimeoutMs is 1000.
    expect(await adapter.checkHealth(current('faulty'))).toMatchObject({ healthy: false, errorClass: 'timeout' });
    expect(performance.now() - started).toBeLessThan(1_700);

    const deploy = await rejection(adapter.deployResource(current('faulty'), example(EXAMPLE_PER_KIND.Mcp), { timeoutMs: 200 }));
    expect(deploy.code).toBe('AGW_GATEWAY_TIMEOUT');
  });

  it('a legacy gateway with an adminUrl: the fallback to /health gets what is left of the timeout, not a second one', async () => {
    // Each answer takes 200 ms: the 404 of /api/admin/v1/health leaves ~100 ms for /health.
    sim.setFaults('faulty-legacy', { latencyMs: 200 });
    const started = performance.now();
    const health = await adapter.checkHealth(legacy('faulty-legacy', { adminUrl: sim.urlOf('faulty-legacy') }), { timeoutMs: 300 });
    expect(health).toMatchObject({ healthy: false, errorClass: 'timeout' });
    expect(performance.now() - started).toBeLessThan(600);
  });

  it('a gateway that drops connections is a network failure; one that refuses them is refused', async () => {
    sim.setFaults('faulty', { down: true });
    const checks = sim.stats('faulty').healthChecks;
    const known = current('faulty', { healthUrl: `${sim.adminUrlOf('faulty')}/api/admin/v1/health` });
    expect(await adapter.checkHealth(known)).toMatchObject({ healthy: false, permanent: false, errorClass: 'network' });
    // A check of a known health endpoint is never retried: the monitor's thresholds are the retry.
    expect(sim.stats('faulty').healthChecks).toBe(checks + 1);
    // Looking for health (a gateway stored without healthUrl) fails the same way.
    expect(await adapter.checkHealth(current('faulty'))).toMatchObject({ healthy: false, permanent: false, errorClass: 'network' });
    expect((await rejection(adapter.listResources(current('faulty'), 'Mcp'))).code).toBe('AGW_GATEWAY_NETWORK');

    const refused = target('refused', `http://127.0.0.1:${await closedPort()}`, { apiBasePath: CURRENT_BASE }, CREDENTIALS);
    expect(await adapter.checkHealth(refused)).toMatchObject({ healthy: false, permanent: false, errorClass: 'refused' });
    expect((await rejection(adapter.listResources(refused, 'Mcp'))).code).toBe('AGW_GATEWAY_REFUSED');
    const registration = await rejection(adapter.registerGateway({ ...refused, uuid: undefined }));
    expect(registration.code).toBe('AGW_GATEWAY_UNREACHABLE');
    // Every URL health could be at is named, with why it was passed over.
    const port = Number(new URL(refused.controlPlaneUrl!).port);
    for (const url of [`http://127.0.0.1:9092/api/admin/v1/health`, `http://127.0.0.1:${port + 2}/api/admin/v1/health`, `http://127.0.0.1:${port}/health`]) {
      expect(registration.message).toContain(`${url} (connection refused`);
    }
    expect(registration.hint).toContain('nothing was stored');
  });
});

describe('health', () => {
  const adminHealth = (name: string): string => `${sim.adminUrlOf(name)}/api/admin/v1/health`;

  it('with the healthUrl found at registration asks it, once, and nothing else', async () => {
    const before = sim.stats('cur').totalRequests;
    const adminBefore = requestsTo('cur', 'GET /api/admin/v1/health');
    expect(await adapter.checkHealth(current('cur', { healthUrl: adminHealth('cur') }))).toMatchObject({ healthy: true, errorClass: null, errorMessage: null });
    expect(requestsTo('cur', 'GET /api/admin/v1/health')).toBe(adminBefore + 1);
    expect(sim.stats('cur').totalRequests).toBe(before + 1);
  });

  it('without adminUrl or healthUrl (stored before agentgw looked for it) finds health once per process', async () => {
    const local = createAdapter(recordingLogger());
    try {
      const stored = current('cur');
      const adminBefore = requestsTo('cur', 'GET /api/admin/v1/health');
      const aliasBefore = requestsTo('cur', 'GET /health');
      for (let i = 0; i < 3; i += 1) expect(await local.checkHealth(stored)).toMatchObject({ healthy: true });
      expect(requestsTo('cur', 'GET /api/admin/v1/health')).toBe(adminBefore + 3);
      // Found at the first URL that answered; the management port's /health was never asked.
      expect(requestsTo('cur', 'GET /health')).toBe(aliasBefore);
    } finally {
      await local.close();
    }
  });

  it('a legacy controller is found at /health on its management URL', async () => {
    const registered = await adapter.registerGateway({ ...legacy('leg', { apiBasePath: 'auto' }), uuid: undefined });
    expect(registered.adapterConfig.healthUrl).toBe(`${sim.urlOf('leg')}/health`);
  });

  it('an adminUrl wins: nothing is looked for, and a healthUrl found before is dropped', async () => {
    const before = sim.stats('cur').totalRequests;
    const registered = await adapter.updateGateway(current('cur', { adminUrl: sim.adminUrlOf('cur'), healthUrl: 'http://127.0.0.1:1/health' }));
    expect(registered.adapterConfig).toEqual({ apiBasePath: CURRENT_BASE, healthUrl: null });
    // One health check on the admin URL, one listing for the credentials.
    expect(sim.stats('cur').totalRequests).toBe(before + 2);
  });

  it('is looked for under the management URL\'s path, and the specs\' full management URL is taken for the controller', () => {
    expect(adapter.validateConfig({ controlPlaneUrl: 'http://gw:9090/api/management/v1/' }).controlPlaneUrl).toBe('http://gw:9090');
  });

  it('a healthUrl cannot be given at registration: it is what agentgw finds', async () => {
    const error = await rejection(adapter.registerGateway({ ...current('cur', { healthUrl: adminHealth('cur') }), uuid: undefined }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/^adapterConfig\.healthUrl: is found by agentgw .*set adminUrl/);
  });

  it.each([
    ['the admin server root', ''],
    ['the admin API base', '/api/admin/v1'],
    ['the health URL itself', '/api/admin/v1/health'],
  ])('with an adminUrl given as %s asks /api/admin/v1/health once', async (_label, suffix) => {
    const before = sim.stats('cur').totalRequests;
    const adminBefore = requestsTo('cur', 'GET /api/admin/v1/health');
    const health = await adapter.checkHealth(current('cur', { adminUrl: `${sim.adminUrlOf('cur')}${suffix}` }));
    expect(health).toMatchObject({ healthy: true });
    expect(typeof health.responseTimeMs).toBe('number');
    expect(requestsTo('cur', 'GET /api/admin/v1/health')).toBe(adminBefore + 1);
    expect(sim.stats('cur').totalRequests).toBe(before + 1);
  });

  it('falls back to the /health alias where the admin API path does not exist (legacy controllers)', async () => {
    const alias = requestsTo('leg', 'GET /health');
    expect(await adapter.checkHealth(legacy('leg', { adminUrl: sim.urlOf('leg') }))).toMatchObject({ healthy: true });
    expect(requestsTo('leg', 'GET /api/admin/v1/health')).toBeGreaterThanOrEqual(1);
    expect(requestsTo('leg', 'GET /health')).toBe(alias + 1);
  });

  it('401 from the health endpoint is a permanent auth failure', async () => {
    sim.setFaults('faulty', { unauthorized: true });
    for (const adminUrl of [undefined, sim.adminUrlOf('faulty')]) {
      const health = await adapter.checkHealth(current('faulty', adminUrl === undefined ? {} : { adminUrl }));
      expect(health).toMatchObject({ healthy: false, permanent: true, errorClass: 'auth', errorMessage: 'health endpoint answered HTTP 401' });
    }
  });

  it('a gateway reporting itself unhealthy is unhealthy, with the state it reported', async () => {
    sim.setFaults('faulty', { healthStatus: 'degraded' });
    const health = await adapter.checkHealth(current('faulty', { adminUrl: sim.adminUrlOf('faulty') }));
    expect(health).toMatchObject({ healthy: false, permanent: false, errorClass: 'http_5xx' });
    expect(health.errorMessage).toBe('health endpoint answered HTTP 503 (status "degraded")');
  });

  it('no health endpoint at all is permanent, and names every URL tried with why', async () => {
    const nowhere = target('nowhere', `${sim.baseUrl}/gateways/no-such-gateway`, {}, CREDENTIALS);
    const health = await adapter.checkHealth(nowhere);
    expect(health).toMatchObject({ healthy: false, permanent: true, errorClass: 'http_4xx' });
    expect(health.errorMessage).toContain(`${sim.adminBaseUrl}/gateways/no-such-gateway/api/admin/v1/health (HTTP 404)`);
    expect(health.errorMessage).toContain(`${sim.baseUrl}/gateways/no-such-gateway/health (HTTP 404)`);
    const registration = await rejection(adapter.registerGateway({ ...nowhere, uuid: undefined }));
    expect(registration.code).toBe('AGW_GATEWAY_HEALTH_NOT_FOUND');
    expect(registration.message).toMatch(/^no health endpoint found for the gateway-controller at http:\/\/127\.0\.0\.1:\d+\/gateways\/no-such-gateway: /);
    expect(registration.hint).toMatch(/--admin-url .*nothing was stored/);
    expect(registration.details?.tried).toHaveLength(3);
  });

  it('looking for health asks again where a kept-alive connection was reset as it was reused', async () => {
    // The first connection is reset when its request arrives; the next one is answered.
    let connections = 0;
    const body = '{"status":"healthy"}';
    const admin = net.createServer((socket) => {
      connections += 1;
      const first = connections === 1;
      socket.once('data', () => {
        if (first) socket.resetAndDestroy();
        else socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      });
    });
    const management = await stubServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    const port = Number(new URL(management.url).port);
    admin.listen(port + 2, '127.0.0.1');
    try {
      await once(admin, 'listening');
      const health = await adapter.checkHealth(target('reset-once', management.url, { apiBasePath: CURRENT_BASE }));
      expect(health).toMatchObject({ healthy: true });
      expect(connections).toBe(2);
    } finally {
      admin.close();
      await management.close();
    }
  });

  it('a 404 where health was found says how to look for it again', async () => {
    const health = await adapter.checkHealth(current('cur', { healthUrl: `${sim.adminUrlOf('cur')}/api/admin/v2/health` }));
    expect(health).toMatchObject({ healthy: false, permanent: true, errorClass: 'http_4xx' });
    expect(health.errorMessage).toContain('look for it again with: agentgw gateway update NAME --control-plane-url URL');
  });
});

describe('metrics', () => {
  const metricsUrl = () => sim.metricsUrlOf('metrics');

  beforeAll(async () => {
    const gateway = current('metrics');
    for (const kind of ['LlmProviderTemplate', 'LlmProvider', 'LlmProxy'] as const) await adapter.deployResource(gateway, example(EXAMPLE_PER_KIND[kind]));
  });

  it('counts come from the listings; rates from two scrapes, equal to the traffic profile', async () => {
    const sleepsBefore = sleeps;
    const first = await adapter.getMetrics(current('metrics', { metricsUrl: metricsUrl() }));
    expect(first).toMatchObject({
      resourceCount: 3,
      providerCount: 1,
      proxyCount: 1,
      mcpCount: 0,
      requestRate: TRAFFIC.requestsPerSecond,
      errorRate: TRAFFIC.errorRatio * 100,
      averageLatencyMs: TRAFFIC.meanLatencyMs,
      unavailable: {},
    });
    // A cold start scrapes twice, a moment apart.
    expect(sleeps).toBe(sleepsBefore + 1);

    // The previous sample is kept: the next call scrapes once and measures since then.
    sim.setTraffic('metrics', { requestsPerSecond: 12, errorRatio: 0.25, meanLatencyMs: 300 });
    clock.advance(30_000);
    const second = await adapter.getMetrics(current('metrics', { metricsUrl: metricsUrl() }));
    expect(second).toMatchObject({ requestRate: 12, errorRate: 25, averageLatencyMs: 300, unavailable: {} });
    // Exponential durations at a 300 ms mean: the true p99 is 1,382 ms, in the 1–2.5 s bucket;
    // interpolating linearly inside the bucket, as PromQL's histogram_quantile does, gives 2,087 ms.
    expect(second.p99LatencyMs).toBeCloseTo(2087, -1);
    expect(sleeps).toBe(sleepsBefore + 1);
  });

  it('no traffic between two scrapes: zero rates, and no latency (with the reason)', async () => {
    sim.setTraffic('metrics', { requestsPerSecond: 0, errorRatio: 0, meanLatencyMs: 100 });
    clock.advance(10_000);
    const metrics = await adapter.getMetrics(current('metrics', { metricsUrl: metricsUrl() }));
    expect(metrics).toMatchObject({ requestRate: 0, errorRate: 0, averageLatencyMs: null, p99LatencyMs: null });
    expect(metrics.unavailable).toEqual({ averageLatency: 'no requests between the two scrapes', p99Latency: 'no requests between the two scrapes' });
    sim.setTraffic('metrics', TRAFFIC);
  });

  it('without a metricsUrl the rates are null with the reason, the counts still there', async () => {
    const metrics = await adapter.getMetrics(current('metrics'));
    expect(metrics).toMatchObject({ resourceCount: 3, requestRate: null, errorRate: null, averageLatencyMs: null });
    const hint = 'no metrics URL: set one with `agentgw gateway update metrics --metrics-url URL`';
    expect(metrics.unavailable).toEqual({
      requestRate: hint,
      errorRate: hint,
      averageLatency: hint,
      p99Latency: hint,
    });
  });

  it('a gateway that is down gives nulls with reasons, never numbers', async () => {
    sim.setFaults('metrics', { down: true });
    const metrics = await adapter.getMetrics(current('metrics', { metricsUrl: metricsUrl() }));
    for (const field of ['resourceCount', 'providerCount', 'proxyCount', 'mcpCount', 'requestRate', 'errorRate', 'averageLatencyMs', 'p99LatencyMs'] as const) {
      expect(metrics[field]).toBeNull();
    }
    expect(Object.keys(metrics.unavailable).sort()).toEqual(['averageLatency', 'errorRate', 'mcpCount', 'p99Latency', 'providerCount', 'proxyCount', 'requestRate', 'resourceCount']);
    expect(metrics.unavailable.resourceCount).toMatch(/^cannot list resources: metrics: .*connection/);
    expect(metrics.unavailable.requestRate).toMatch(/^cannot scrape http:\/\/127\.0\.0\.1:\d+\/gateways\/metrics\/metrics: /);
  });

  it('legacy gateways are counted from their summaries', async () => {
    const gateway = legacy('leg');
    await adapter.deployResource(gateway, example(EXAMPLE_PER_KIND.LlmProvider));
    await adapter.deployResource(gateway, example(EXAMPLE_PER_KIND.RestApi));
    const metrics = await adapter.getMetrics(gateway);
    expect(metrics).toMatchObject({ resourceCount: 2, providerCount: 1, proxyCount: 0, mcpCount: 0 });
    await adapter.undeployResource(gateway, 'LlmProvider', 'openai-provider');
    await adapter.undeployResource(gateway, 'RestApi', 'sample-echo-v1');
  });

  it('a gateway that restarted between scrapes gives no rates for that interval', async () => {
    sim.addGateway({ name: 'restarts', traffic: TRAFFIC });
    const gateway = current('restarts', { metricsUrl: sim.metricsUrlOf('restarts') });
    // Counters are high after a minute, and start from zero again after the restart.
    clock.advance(60_000);
    await adapter.getMetrics(gateway);
    sim.removeGateway('restarts');
    sim.addGateway({ name: 'restarts', traffic: TRAFFIC });
    clock.advance(5_000);
    const metrics = await adapter.getMetrics(gateway);
    expect(metrics.requestRate).toBeNull();
    expect(metrics.unavailable.requestRate).toBe('the gateway restarted between scrapes; try again');
    clock.advance(5_000);
    expect((await adapter.getMetrics(gateway)).requestRate).toBe(TRAFFIC.requestsPerSecond);
    sim.removeGateway('restarts');
  });
});

describe('getGatewayInfo', () => {
  it('reports the version the health endpoint gives, and the API layout', async () => {
    expect(await adapter.getGatewayInfo(current('cur'))).toMatchObject({ name: 'cur', version: '1.4.2', apiBasePath: CURRENT_BASE });
    expect(await adapter.getGatewayInfo(legacy('leg', { adminUrl: sim.urlOf('leg') }))).toMatchObject({ name: 'leg', version: '0.9.0', apiBasePath: '' });
  });

  it('an unhealthy answer is an error, not a gateway without a version', async () => {
    sim.setFaults('faulty', { healthStatus: 'starting' });
    const error = await rejection(adapter.getGatewayInfo(current('faulty')));
    expect(error.code).toBe('AGW_GATEWAY_FAILED');
    expect(error.message).toContain('HTTP 503');
  });
});

describe('validateConfig', () => {
  it('normalises a good config: canonical URLs, apiBasePath auto by default', () => {
    expect(
      adapter.validateConfig({
        controlPlaneUrl: 'http://GW.internal:9090/',
        adminUrl: 'http://gw.internal:9092/api/admin/v1/',
        metricsUrl: 'http://gw.internal:9003/metrics',
        username: 'admin',
        insecureSkipVerify: false,
      }),
    ).toEqual({
      controlPlaneUrl: 'http://gw.internal:9090',
      adminUrl: 'http://gw.internal:9092/api/admin/v1',
      metricsUrl: 'http://gw.internal:9003/metrics',
      apiBasePath: 'auto',
      username: 'admin',
      insecureSkipVerify: false,
    });
    expect(adapter.validateConfig({ controlPlaneUrl: 'https://gw:9090', apiBasePath: '' }).apiBasePath).toBe('');
    expect(adapter.validateConfig({ controlPlaneUrl: 'https://gw:9090', apiBasePath: CURRENT_BASE }).apiBasePath).toBe(CURRENT_BASE);
  });

  function invalid(config: Record<string, unknown>): ValidationError {
    try {
      adapter.validateConfig(config);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return error as ValidationError;
    }
    throw new Error('expected a ValidationError');
  }

  it.each([
    [{ controlPlaneUrl: 'http://gw:9090', proxyUrl: 'http://x' }, 'adapterConfig.proxyUrl', /unknown setting/],
    [{}, 'adapterConfig.controlPlaneUrl', /is required/],
    [{ controlPlaneUrl: 'not a url' }, 'adapterConfig.controlPlaneUrl', /not a valid URL/],
    [{ controlPlaneUrl: 'ftp://gw:21' }, 'adapterConfig.controlPlaneUrl', /scheme "ftp"/],
    [{ controlPlaneUrl: 'http://admin:hunter2@gw:9090' }, 'adapterConfig.controlPlaneUrl', /must not contain credentials/],
    [{ controlPlaneUrl: 'http://gw:9090', adminUrl: 'http://gw:9092/?token=x' }, 'adapterConfig.adminUrl', /query or fragment/],
    [{ controlPlaneUrl: 'http://gw:9090', metricsUrl: 'file:///etc/passwd' }, 'adapterConfig.metricsUrl', /scheme "file"/],
    [{ controlPlaneUrl: 'http://gw:9090', apiBasePath: '/api/management/v2' }, 'adapterConfig.apiBasePath', /must be "auto"/],
    [{ controlPlaneUrl: 'http://gw:9090', apiBasePath: '/api/management/v1/' }, 'adapterConfig.apiBasePath', /must be "auto"/],
    [{ controlPlaneUrl: 'http://gw:9090', insecureSkipVerify: 'yes' }, 'adapterConfig.insecureSkipVerify', /true or false/],
    [{ controlPlaneUrl: 'http://gw:9090', caCert: 42 }, 'adapterConfig.caCert', /must be a string/],
  ])('refuses %j at %s', (config, path, message) => {
    const error = invalid(config);
    expect(error.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('names every bad field at once, and never echoes a password given in a URL', () => {
    const error = invalid({ controlPlaneUrl: `https://ops:${PASSWORD}@gw:9090`, adminUrl: 'nope', apiBasePath: 'v1', bogus: true });
    expect(error.errors?.map((e) => e.path).sort()).toEqual(['adapterConfig.adminUrl', 'adapterConfig.apiBasePath', 'adapterConfig.bogus', 'adapterConfig.controlPlaneUrl']);
    expect(JSON.stringify(errorView(error))).not.toContain(PASSWORD);
  });
});

describe('secrets', () => {
  it('a controller that echoes the credentials back does not get them into errors', async () => {
    let status = 400;
    const stub = await stubServer((req, res) => {
      req.resume();
      const authorization = req.headers.authorization ?? '';
      const decoded = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', message: `rejected ${authorization} (${decoded})`, errors: [{ field: decoded, message: `bad ${authorization}` }] }));
    });
    try {
      for (const credentials of [CREDENTIALS, { token: TOKEN }]) {
        for (status of [400, 401, 500]) {
          const error = await rejection(adapter.deployResource(target('echo', stub.url, { apiBasePath: CURRENT_BASE }, credentials), example(EXAMPLE_PER_KIND.Mcp)));
          expect(error.message).toContain('***');
          for (const canary of CANARIES) expect(JSON.stringify(errorView(error))).not.toContain(canary);
        }
      }
    } finally {
      await stub.close();
    }
  });

  it('the credentials go to the management API origin only, not to a metricsUrl elsewhere', async () => {
    const seen: Array<string | undefined> = [];
    const stub = await stubServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('policy_engine_requests_total 1\n');
    });
    try {
      await adapter.getMetrics(current('cur', { metricsUrl: `${stub.url}/metrics` }));
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect(seen.every((header) => header === undefined)).toBe(true);
    } finally {
      await stub.close();
    }
  });

  it('no result, error or log line of this file holds the password, the token or the Basic credentials', () => {
    // The file must have exercised failure paths for this to mean anything.
    expect(observed.filter((value) => (value as { message?: unknown } | null)?.message !== undefined).length).toBeGreaterThan(20);
    expect(logger.lines.length).toBeGreaterThan(0);
    const text = JSON.stringify({ observed, logs: logger.lines });
    for (const canary of CANARIES) expect(text).not.toContain(canary);
  });
});
