/**
 * The cloud adapter against the real cloud-provider simulator over HTTP, with provisioned
 * gateways backed by the real gateway-controller simulator. The simulator's clock is fake and
 * `waitUntilProvisioned` sleeps by moving it, so provisioning "takes" seconds and the tests take
 * milliseconds.
 */
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { AdapterContext, AdapterLogger, GatewayTarget, ResourceManifest } from '../../../src/adapters/adapter.js';
import { CloudAdapter, waitUntilProvisioned } from '../../../src/adapters/cloud/cloud-adapter.js';
import type { CloudAdapterConfig, CloudAdapterOptions } from '../../../src/adapters/cloud/cloud-adapter.js';
import { AgentgwError, ConfigError, ValidationError } from '../../../src/domain/errors.js';
import { runCloudSimulator, startCloudSimulator } from '../../../src/simulators/cloud-provider/index.js';
import type { CloudSimulator } from '../../../src/simulators/cloud-provider/index.js';
import { startGatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';
import type { GatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';

const CLIENT_ID = 'agentgw-test';
const SECRET = 'cs-7f3c9a1e55d04b2b-do-not-print';
const WRONG_SECRET = 'cs-wrong-0c1d2e3f4a5b-never-print';
const PROVISIONING_MS = 5_000;
const FAIL_REGION = 'eu-south-9';

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

const logLines: LogLine[] = [];
/** Every error message (with hint and details) the tests saw, checked for secrets at the end. */
const seenErrors: string[] = [];

const logger: AdapterLogger = {
  warn: (message, fields) => logLines.push({ level: 'warn', message, fields }),
  info: (message, fields) => logLines.push({ level: 'info', message, fields }),
  debug: (message, fields) => logLines.push({ level: 'debug', message, fields }),
};

const context: AdapterContext = {
  logger,
  http: {
    defaultTimeoutMs: 5_000,
    healthCheckTimeoutMs: 2_000,
    retryPolicy: { maxAttempts: 2, backoffMultiplier: 2, maxBackoffMs: 50 },
    maxResponseBytes: 1024 * 1024,
  },
  network: { allow: [], deny: [], denyLoopback: false, denyPrivate: false },
};

function cloudConfig(apiEndpoint: string | null, overrides: Partial<CloudAdapterConfig['authentication']> = {}): CloudAdapterConfig {
  return {
    provider: 'wso2-cloud',
    apiEndpoint,
    authentication: { type: 'oauth2', tokenUrl: null, clientId: CLIENT_ID, clientSecret: SECRET, ...overrides },
    defaultRegion: 'us-east-1',
    provisioning: { timeout: 60_000, pollInterval: 1_000 },
  };
}

/** Runs `action`, which must fail, and remembers its whole text for the secret check. */
async function failure(action: () => unknown): Promise<AgentgwError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentgwError);
    const e = error as AgentgwError;
    seenErrors.push(`${e.message} ${e.hint ?? ''} ${JSON.stringify(e.details ?? {})} ${JSON.stringify(e.errors ?? [])}`);
    return e;
  }
  throw new Error('expected a failure');
}

function remember<T extends { errorMessage: string | null }>(health: T): T {
  if (health.errorMessage !== null) seenErrors.push(health.errorMessage);
  return health;
}

const REST_API: ResourceManifest = {
  apiVersion: 'gateway.api-platform.wso2.com/v1',
  kind: 'RestApi',
  metadata: { name: 'echo' },
  spec: {
    displayName: 'Echo',
    version: 'v1',
    context: '/echo',
    upstream: { main: { url: 'http://backend:5000' } },
    operations: [{ method: 'GET', path: '/anything' }],
  },
};

let simNow = Date.parse('2026-03-01T12:00:00Z');
let adapterNow = simNow;
const fakeTime = {
  now: () => simNow,
  sleep: async (ms: number) => {
    simNow += ms;
  },
};

let controllers: GatewaySimulator;
let cloud: CloudSimulator;
let adapter: CloudAdapter;
const extraAdapters: CloudAdapter[] = [];

function newAdapter(config: CloudAdapterConfig, options: CloudAdapterOptions = {}): CloudAdapter {
  const created = new CloudAdapter(config, context, options);
  extraAdapters.push(created);
  return created;
}

beforeAll(async () => {
  controllers = await startGatewaySimulator();
  cloud = await startCloudSimulator({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    provisioningDelayMs: PROVISIONING_MS,
    deprovisioningDelayMs: 2_000,
    failRegions: [FAIL_REGION],
    clock: () => simNow,
    managementUrlFor: (_name, id) => controllers.addGateway({ name: id }),
    onDeprovisioned: (_name, id) => {
      controllers.removeGateway(id);
    },
  });
  adapter = new CloudAdapter(cloudConfig(cloud.url), context, { now: () => adapterNow });
});

afterAll(async () => {
  await adapter.close();
  for (const extra of extraAdapters) await extra.close();
  await cloud.close();
  await controllers.close();
  // Whatever happened above, the client secret was never printed or put in an error.
  const everything = [...seenErrors, ...logLines.map((line) => `${line.message} ${JSON.stringify(line.fields ?? {})}`)].join('\n');
  expect(seenErrors.length).toBeGreaterThan(0);
  expect(logLines.length).toBeGreaterThan(0);
  expect(everything).not.toContain(SECRET);
  expect(everything).not.toContain(WRONG_SECRET);
});

/** Registers a gateway the way the gateway service does, and returns the target it would store. */
async function register(name: string, adapterConfig: Record<string, unknown> = {}, using = adapter): Promise<GatewayTarget> {
  const validated = using.validateConfig(adapterConfig);
  const result = await using.registerGateway({
    name,
    type: 'EGRESS',
    adapterType: 'cloud',
    controlPlaneUrl: null,
    endpoint: null,
    region: typeof validated.region === 'string' ? validated.region : null,
    adapterConfig: validated,
    credentials: {},
  });
  expect(result.status).toBe('PROVISIONING');
  return {
    uuid: `uuid-${name}`,
    name,
    type: 'EGRESS',
    adapterType: 'cloud',
    controlPlaneUrl: result.controlPlaneUrl,
    endpoint: result.endpoint,
    region: result.region,
    adapterConfig: { ...validated, ...result.adapterConfig },
    credentials: {},
    status: result.status,
  };
}

async function provisioned(name: string, adapterConfig: Record<string, unknown> = {}): Promise<GatewayTarget> {
  const target = await register(name, adapterConfig);
  const health = await waitUntilProvisioned(adapter, target, { ...adapter.provisioning, ...fakeTime });
  expect(health.healthy).toBe(true);
  return { ...target, status: 'ACTIVE', endpoint: health.endpoint ?? null };
}

describe('provisioning', () => {
  it('starts with PROVISIONING, then becomes ACTIVE with an endpoint', async () => {
    const target = await register('prov-1', { tier: 'premium', autoScaling: { minInstances: 2, maxInstances: 4 } });
    expect(target.region).toBe('us-east-1');
    expect(target.adapterConfig).toMatchObject({
      cloudGatewayId: expect.stringMatching(/^cgw-/),
      region: 'us-east-1',
      tier: 'premium',
      autoScaling: { minInstances: 2, maxInstances: 4 },
    });

    const early = await adapter.checkHealth(target);
    expect(early).toMatchObject({ healthy: false, provisioning: true, errorMessage: null });

    const checks: boolean[] = [];
    const started = simNow;
    const health = await waitUntilProvisioned(adapter, target, {
      ...adapter.provisioning,
      ...fakeTime,
      onCheck: (h) => checks.push(h.provisioning === true),
    });
    expect(health).toMatchObject({ healthy: true, errorMessage: null, endpoint: 'https://prov-1.us-east-1.gw.cloud-sim.test' });
    expect(health.provisioning).toBeUndefined();
    expect(simNow - started).toBeGreaterThanOrEqual(PROVISIONING_MS);
    // Polling backs off (waits of 1s, 1.5s, 2.25s, 3.375s): five checks where a fixed 1s interval takes six.
    expect(checks).toEqual([true, true, true, true, false]);

    const [stored] = cloud.gateways().filter((g) => g.name === 'prov-1');
    expect(stored).toMatchObject({ status: 'ACTIVE', tier: 'premium', autoScaling: { minInstances: 2, maxInstances: 4 } });
    expect(logLines.some((line) => line.message === 'cloud gateway provisioning started' && line.fields?.gateway === 'prov-1')).toBe(true);
  });

  it('defaults tier and autoScaling to what the provider chose', async () => {
    const target = await register('prov-defaults', { region: 'ap-south-1' });
    expect(target.adapterConfig).toMatchObject({ region: 'ap-south-1', tier: 'standard', autoScaling: { minInstances: 1, maxInstances: 1 } });
  });

  it('ends in ERROR with the provider\'s message when the region has no capacity', async () => {
    const target = await register('prov-fail', { region: FAIL_REGION });
    const health = remember(await waitUntilProvisioned(adapter, target, { ...adapter.provisioning, ...fakeTime }));
    expect(health).toMatchObject({ healthy: false, permanent: true, errorMessage: `region ${FAIL_REGION} has no capacity` });
    const error = await failure(() => adapter.listResources(target, 'RestApi'));
    expect(error.code).toBe('AGW_CLOUD_GATEWAY_NOT_READY');
    expect(error.message).toContain(`region ${FAIL_REGION} has no capacity`);
  });

  it('gives up waiting at the configured deadline', async () => {
    const target = await register('prov-slow');
    const error = await failure(() => waitUntilProvisioned(adapter, target, { timeoutMs: 3_000, pollIntervalMs: 1_000, ...fakeTime }));
    expect(error.code).toBe('AGW_CLOUD_PROVISIONING_TIMEOUT');
    expect(error.message).toBe('gateway "prov-slow" is still provisioning after 3s');
    expect(error.hint).toContain('agentgw gateway health prov-slow');
  });

  it('refuses a name the provider already has', async () => {
    await register('prov-dup');
    const error = await failure(() => register('prov-dup'));
    expect(error.code).toBe('AGW_CLOUD_GATEWAY_EXISTS');
    expect(error.status).toBe(409);
  });

  it('refuses ids the adapter sets itself', async () => {
    const error = await failure(() => register('prov-owned', { cloudGatewayId: 'cgw-0123', managementUrl: 'http://10.0.0.1:9090' }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors?.map((e) => e.path)).toEqual(['adapterConfig.cloudGatewayId', 'adapterConfig.managementUrl']);
    expect(cloud.gateways().some((g) => g.name === 'prov-owned')).toBe(false);
  });
});

describe('health', () => {
  let target: GatewayTarget;
  beforeAll(async () => {
    target = await provisioned('health-1');
  });

  it('is healthy with the endpoint and a response time once ACTIVE', async () => {
    const health = await adapter.checkHealth(target);
    expect(health).toMatchObject({ healthy: true, errorClass: null, errorMessage: null, endpoint: 'https://health-1.us-east-1.gw.cloud-sim.test' });
    expect(health.responseTimeMs).toEqual(expect.any(Number));
  });

  it('follows the provider\'s health verdict, and an unhealthy gateway is not a permanent failure', async () => {
    cloud.setHealth('health-1', 'unhealthy');
    const sick = remember(await adapter.checkHealth(target));
    expect(sick).toMatchObject({ healthy: false, permanent: false, errorMessage: expect.stringContaining('unhealthy') });
    cloud.setHealth('health-1', 'healthy');
    expect((await adapter.checkHealth(target)).healthy).toBe(true);
  });

  it('is never retried: one status call and one health call per check', async () => {
    const before = cloud.stats().requests;
    await adapter.checkHealth(target);
    const after = cloud.stats().requests;
    expect((after['GET /gateways/{id}'] ?? 0) - (before['GET /gateways/{id}'] ?? 0)).toBe(1);
    expect((after['GET /gateways/{id}/health'] ?? 0) - (before['GET /gateways/{id}/health'] ?? 0)).toBe(1);
  });

  it('reports a gateway removed at the provider as a permanent failure', async () => {
    const gone = await provisioned('health-gone');
    expect(cloud.removeGateway('health-gone')).toBe(true);
    const health = remember(await adapter.checkHealth(gone));
    expect(health).toMatchObject({ healthy: false, permanent: true, errorClass: 'http_4xx' });
    expect(health.errorMessage).toContain('deprovisioned outside agentgw');
  });

  it('classifies an unreachable provider as a transient failure', async () => {
    const offline = newAdapter(cloudConfig('http://127.0.0.1:9'));
    const health = remember(await offline.checkHealth(target));
    expect(health).toMatchObject({ healthy: false, permanent: false, errorClass: 'refused', responseTimeMs: null });
    expect(health.errorMessage).toContain('http://127.0.0.1:9/oauth2/token');
  });
});

describe('access tokens', () => {
  let target: GatewayTarget;
  beforeAll(async () => {
    target = await provisioned('token-1');
  });

  it('reuses one token across calls', async () => {
    await adapter.checkHealth(target);
    const before = cloud.stats().tokenRequests;
    for (let i = 0; i < 5; i += 1) await adapter.checkHealth(target);
    expect(cloud.stats().tokenRequests).toBe(before);
  });

  it('refreshes once and repeats the call when a token expires mid-run', async () => {
    await adapter.checkHealth(target);
    const before = cloud.stats();
    cloud.expireTokens();
    const health = await adapter.checkHealth(target);
    expect(health.healthy).toBe(true);
    const after = cloud.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect(after.unauthorized - before.unauthorized).toBe(1);
  });

  it('shares one refresh among concurrent calls that all got a 401', async () => {
    await adapter.checkHealth(target);
    const before = cloud.stats();
    cloud.expireTokens();
    const results = await Promise.all(Array.from({ length: 8 }, () => adapter.checkHealth(target)));
    expect(results.every((h) => h.healthy)).toBe(true);
    expect(cloud.stats().tokenRequests - before.tokenRequests).toBe(1);
  });

  it('fetches a new token shortly before the old one expires, without waiting for a 401', async () => {
    await adapter.checkHealth(target);
    const before = cloud.stats();
    adapterNow += 3600_000 - 30_000; // inside the last minute of a one-hour token
    await adapter.checkHealth(target);
    const after = cloud.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect(after.unauthorized).toBe(before.unauthorized);
  });

  it('a wrong client secret fails clearly, naming the token endpoint and never the secret', async () => {
    const wrong = newAdapter(cloudConfig(cloud.url, { clientSecret: WRONG_SECRET }));
    const error = await failure(() => register('token-wrong', {}, wrong));
    expect(error.code).toBe('AGW_CLOUD_AUTH');
    expect(error.message).toContain(`${cloud.url}/oauth2/token`);
    expect(error.message).toContain(`client "${CLIENT_ID}"`);
    expect(error.message).toContain('invalid_client');
    expect(error.hint).toContain('gateway.adapter.cloud.authentication');
    expect(cloud.gateways().some((g) => g.name === 'token-wrong')).toBe(false);

    const health = remember(await wrong.checkHealth(target));
    expect(health).toMatchObject({ healthy: false, permanent: true, errorClass: 'auth' });
    expect(health.errorMessage).toContain('/oauth2/token');
  });

  it('uses a configured tokenUrl', async () => {
    const custom = newAdapter(cloudConfig(cloud.url, { tokenUrl: `${cloud.url}/oauth2/token` }));
    expect((await custom.checkHealth(target)).healthy).toBe(true);
    const broken = newAdapter(cloudConfig(cloud.url, { tokenUrl: `${cloud.url}/not-a-token-endpoint` }));
    const error = await failure(() => broken.getGatewayInfo(target));
    expect(error.message).toContain('/not-a-token-endpoint');
  });
});

describe('metrics', () => {
  it('counts resources on the management API and takes rates from the provider, null with reasons where there are none', async () => {
    const target = await provisioned('metrics-1');
    await adapter.deployResource(target, REST_API);
    const metrics = await adapter.getMetrics(target);
    expect(metrics).toMatchObject({ resourceCount: 1, providerCount: 0, proxyCount: 0, mcpCount: 0, requestRate: 0, errorRate: null, averageLatencyMs: null });
    expect(Object.keys(metrics.unavailable).sort()).toEqual(['averageLatency', 'errorRate', 'p99Latency']);
    expect(metrics.unavailable.errorRate).toContain('no value');
    expect(metrics.unavailable.p99Latency).toBe('the cloud provider reports no latency percentiles');

    cloud.setMetrics('metrics-1', { requestRate: 12.5, errorRate: 0.4, averageLatencyMs: 85 });
    const busy = await adapter.getMetrics(target);
    expect(busy).toMatchObject({ requestRate: 12.5, errorRate: 0.4, averageLatencyMs: 85, p99LatencyMs: null });
    expect(Object.keys(busy.unavailable)).toEqual(['p99Latency']);
  });

  it('is all null with reasons while the gateway is provisioning', async () => {
    const target = await register('metrics-early');
    const metrics = await adapter.getMetrics(target);
    for (const field of ['resourceCount', 'providerCount', 'proxyCount', 'mcpCount', 'requestRate', 'errorRate', 'averageLatencyMs'] as const) {
      expect(metrics[field]).toBeNull();
    }
    expect(metrics.unavailable.resourceCount).toContain('PROVISIONING');
    expect(metrics.unavailable.requestRate).toContain('HTTP 409');
  });

  it('has no counts when the management endpoint does not answer', async () => {
    const bare = await startCloudSimulator({ clientId: CLIENT_ID, clientSecret: SECRET, provisioningDelayMs: 0 });
    const bareAdapter = newAdapter(cloudConfig(bare.url));
    try {
      const target = await register('metrics-bare', {}, bareAdapter);
      await waitUntilProvisioned(bareAdapter, target, { timeoutMs: 1_000, pollIntervalMs: 10 });
      const metrics = await bareAdapter.getMetrics(target);
      expect(metrics).toMatchObject({ resourceCount: null, providerCount: null, requestRate: 0 });
      expect(metrics.unavailable.resourceCount).toContain('HTTP 404');
    } finally {
      await bare.close();
    }
  });
});

describe('resources on the provisioned gateway', () => {
  let target: GatewayTarget;
  let cloudGatewayId: string;
  beforeAll(async () => {
    target = await provisioned('res-1');
    cloudGatewayId = target.adapterConfig.cloudGatewayId as string;
  });

  it('deploys, reads, lists and undeploys through the gateway-controller at managementUrl', async () => {
    expect(await adapter.deployResource(target, REST_API)).toEqual({ kind: 'RestApi', name: 'echo', action: 'created' });
    expect(controllers.resources(cloudGatewayId).map((r) => r.name)).toEqual(['echo']);
    expect(await adapter.deployResource(target, REST_API)).toMatchObject({ action: 'updated' });
    expect((await adapter.getResource(target, 'RestApi', 'echo'))?.spec).toMatchObject({ context: '/echo' });
    expect((await adapter.listResources(target, 'RestApi')).map((r) => r.name)).toEqual(['echo']);
    await adapter.undeployResource(target, 'RestApi', 'echo');
    await adapter.undeployResource(target, 'RestApi', 'echo');
    expect(await adapter.getResource(target, 'RestApi', 'echo')).toBeNull();
  });

  it('uses a stored managementUrl without asking the provider', async () => {
    const fresh = newAdapter(cloudConfig(cloud.url));
    const before = cloud.stats().requests['GET /gateways/{id}'] ?? 0;
    const stored = { ...target, adapterConfig: { ...target.adapterConfig, managementUrl: controllers.urlOf(cloudGatewayId) } };
    expect(await fresh.listResources(stored, 'RestApi')).toEqual([]);
    expect(cloud.stats().requests['GET /gateways/{id}'] ?? 0).toBe(before);
  });

  it('sends the gateway\'s own management credentials, not the provider token', async () => {
    const locked = await provisioned('res-locked');
    const id = locked.adapterConfig.cloudGatewayId as string;
    controllers.removeGateway(id);
    controllers.addGateway({ name: id, auth: { username: 'admin', password: 'mgmt-pass' } });
    const denied = await failure(() => adapter.listResources(locked, 'RestApi'));
    expect(denied.code).toBe('AGW_GATEWAY_AUTH');
    const withCredentials = { ...locked, credentials: { username: 'admin', password: 'mgmt-pass', clientSecret: 'per-gateway-secret' } };
    expect(await adapter.listResources(withCredentials, 'RestApi')).toEqual([]);
  });

  it('describes the gateway from the provider', async () => {
    const info = await adapter.getGatewayInfo(target);
    expect(info).toMatchObject({
      name: 'res-1',
      apiBasePath: '/api/management/v1',
      details: { provider: 'wso2-cloud', cloudGatewayId, status: 'ACTIVE', region: 'us-east-1', managementUrl: controllers.urlOf(cloudGatewayId) },
    });
  });
});

describe('updates', () => {
  it('returns the provider\'s state with managementUrl, and refuses changes the provider cannot make', async () => {
    const target = await provisioned('upd-1', { tier: 'standard' });
    const result = await adapter.updateGateway({ ...target, adapterConfig: { ...target.adapterConfig, username: 'ops' } });
    const id = target.adapterConfig.cloudGatewayId as string;
    expect(result).toMatchObject({
      status: 'ACTIVE',
      endpoint: 'https://upd-1.us-east-1.gw.cloud-sim.test',
      controlPlaneUrl: controllers.urlOf(id),
      adapterConfig: { cloudGatewayId: id, region: 'us-east-1', tier: 'standard', managementUrl: controllers.urlOf(id) },
    });

    const error = await failure(() => adapter.updateGateway({ ...target, adapterConfig: { ...target.adapterConfig, tier: 'premium', region: 'eu-west-1' } }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors?.map((e) => e.path)).toEqual(['adapterConfig.region', 'adapterConfig.tier']);
    expect(error.message).toContain('delete the gateway and register it again');
  });
});

describe('deprovisioning', () => {
  it('deletes the cloud gateway, which goes DELETING and then away; deleting again is fine', async () => {
    const target = await provisioned('del-1');
    const id = target.adapterConfig.cloudGatewayId as string;
    expect(controllers.gateways().some((g) => g.name === id)).toBe(true);

    await adapter.deregisterGateway(target);
    expect(cloud.gateways().find((g) => g.id === id)?.status).toBe('DELETING');
    const deleting = remember(await adapter.checkHealth(target));
    expect(deleting).toMatchObject({ healthy: false, permanent: true });

    simNow += 2_000;
    expect(cloud.gateways().some((g) => g.id === id)).toBe(false);
    expect(controllers.gateways().some((g) => g.name === id)).toBe(false);
    await adapter.deregisterGateway(target);
    expect(logLines.some((line) => line.message === 'cloud gateway was already deprovisioned' && line.fields?.cloudGatewayId === id)).toBe(true);

    const gone = await failure(() => adapter.listResources({ ...target, adapterConfig: { ...target.adapterConfig } }, 'RestApi'));
    expect(gone.code).toBe('AGW_CLOUD_GATEWAY_GONE');
  });

  it('lets a deleted gateway\'s name be provisioned again', async () => {
    const first = await provisioned('del-again');
    await adapter.deregisterGateway(first);
    const second = await provisioned('del-again');
    expect(second.adapterConfig.cloudGatewayId).not.toBe(first.adapterConfig.cloudGatewayId);
  });
});

describe('validateConfig', () => {
  it('defaults the region and normalises autoScaling', () => {
    expect(adapter.validateConfig({})).toEqual({ region: 'us-east-1' });
    expect(adapter.validateConfig({ region: 'eu-west-1', tier: 'premium', autoScaling: { maxInstances: 5 } })).toEqual({
      region: 'eu-west-1',
      tier: 'premium',
      autoScaling: { minInstances: 1, maxInstances: 5 },
    });
    expect(adapter.validateConfig({ autoScaling: { minInstances: 3 } })).toEqual({ region: 'us-east-1', autoScaling: { minInstances: 3, maxInstances: 3 } });
    expect(adapter.validateConfig({ cloudGatewayId: 'cgw-1', managementUrl: 'http://mgmt.example:9090/', username: 'ops' })).toEqual({
      region: 'us-east-1',
      cloudGatewayId: 'cgw-1',
      managementUrl: 'http://mgmt.example:9090',
      username: 'ops',
    });
  });

  const rejected: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown key', { controlPlaneUrl: 'http://gw:9090' }, 'adapterConfig.controlPlaneUrl'],
    ['a bad region', { region: 'US East 1' }, 'adapterConfig.region'],
    ['a non-string region', { region: 42 }, 'adapterConfig.region'],
    ['an empty tier', { tier: '' }, 'adapterConfig.tier'],
    ['a tier over 32 characters', { tier: 'x'.repeat(33) }, 'adapterConfig.tier'],
    ['autoScaling that is not an object', { autoScaling: '1-3' }, 'adapterConfig.autoScaling'],
    ['minInstances 0', { autoScaling: { minInstances: 0, maxInstances: 2 } }, 'adapterConfig.autoScaling.minInstances'],
    ['a fractional minInstances', { autoScaling: { minInstances: 1.5 } }, 'adapterConfig.autoScaling.minInstances'],
    ['maxInstances below minInstances', { autoScaling: { minInstances: 3, maxInstances: 2 } }, 'adapterConfig.autoScaling.maxInstances'],
    ['maxInstances over 100', { autoScaling: { maxInstances: 101 } }, 'adapterConfig.autoScaling.maxInstances'],
    ['a string maxInstances', { autoScaling: { maxInstances: '5' } }, 'adapterConfig.autoScaling.maxInstances'],
    ['an unknown autoScaling key', { autoScaling: { min: 1 } }, 'adapterConfig.autoScaling.min'],
    ['a managementUrl with credentials', { managementUrl: 'http://u:p@mgmt:9090' }, 'adapterConfig.managementUrl'],
    ['a bad cloudGatewayId', { cloudGatewayId: '../etc' }, 'adapterConfig.cloudGatewayId'],
  ];
  it.each(rejected)('rejects %s', (_label, input, path) => {
    let caught: unknown;
    try {
      adapter.validateConfig(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).errors?.map((e) => e.path)).toEqual([path]);
    expect((caught as ValidationError).message).toContain(path);
  });

  it('names every bad field at once', async () => {
    const error = await failure(() => adapter.validateConfig({ region: '', tier: 7, colour: 'blue' }));
    expect(error.errors?.map((e) => e.path).sort()).toEqual(['adapterConfig.colour', 'adapterConfig.region', 'adapterConfig.tier']);
  });
});

describe('configuration', () => {
  it('refuses to start without the endpoint or the client credentials, naming the keys', () => {
    expect(() => new CloudAdapter(cloudConfig(null), context)).toThrow(ConfigError);
    expect(() => new CloudAdapter(cloudConfig(null), context)).toThrow('gateway.adapter.cloud.apiEndpoint');
    let caught: unknown;
    try {
      new CloudAdapter(cloudConfig('http://127.0.0.1:1', { clientId: null, clientSecret: null }), context);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe(
      'gateway.adapter.cloud.authentication.clientId, gateway.adapter.cloud.authentication.clientSecret: required when gateway.adapter.type is cloud',
    );
  });

  it('takes its provisioning wait from the config', () => {
    expect(adapter.provisioning).toEqual({ timeoutMs: 60_000, pollIntervalMs: 1_000 });
    expect(adapter.type).toBe('cloud');
  });
});

describe('the simulator', () => {
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${cloud.url}${path}`, { method: 'POST', body, headers });

  it('issues tokens for a form-encoded client_secret_post request, as RFC 6749 describes', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET }).toString();
    const response = await post('/oauth2/token', form, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600, access_token: expect.any(String) });
  });

  it('refuses other grants and wrong secrets with OAuth error bodies', async () => {
    const grant = await post('/oauth2/token', 'grant_type=password', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const wrong = await post('/oauth2/token', JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: WRONG_SECRET }), {
      'content-type': 'application/json',
    });
    expect(wrong.status).toBe(401);
    const body = (await wrong.json()) as Record<string, string>;
    expect(body).toMatchObject({ error: 'invalid_client', message: 'client authentication failed' });
    expect(JSON.stringify(body)).not.toContain(WRONG_SECRET);
  });

  it('answers API calls without a valid token with 401 and an error body', async () => {
    const response = await fetch(`${cloud.url}/gateways/cgw-x`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await response.json()).toEqual({ error: 'invalid_token', message: 'the access token is missing, unknown or expired' });
  });

  it('validates what it is asked to provision', async () => {
    const tokenResponse = await post('/oauth2/token', 'grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')}`,
    });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const create = (body: unknown) =>
      post('/gateways', JSON.stringify(body), { 'content-type': 'application/json', authorization: `Bearer ${token}` }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    expect(await create({ name: 'Bad Name', region: 'us-east-1' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await create({ name: 'ok-name', region: 'us-east-1', colour: 'blue' })).toMatchObject({ status: 400, body: { message: expect.stringContaining('colour') } });
    expect(await create({ name: 'ok-name', region: 'us-east-1', autoScaling: { minInstances: 3, maxInstances: 2 } })).toMatchObject({ status: 400 });
    const bad = await post('/gateways', '{not json', { 'content-type': 'application/json', authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
  });
});

describe('agentgw dev cloud-sim', () => {
  const stops: AbortController[] = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop.abort();
  });

  it('serves a provider whose gateways get a working management API, until stopped', async () => {
    const stop = new AbortController();
    stops.push(stop);
    const stderr = new PassThrough();
    let output = '';
    stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let url = '';
    const listening = new Promise<void>((resolve) => {
      const running = runCloudSimulator(
        { port: 0, clientId: CLIENT_ID, clientSecret: SECRET, delay: '10ms' },
        {
          stderr,
          signal: stop.signal,
          onListening: (u) => {
            url = u;
            resolve();
          },
        },
      );
      void running.finally(() => stderr.end());
    });
    await listening;
    expect(output).toContain(`cloud-sim listening on ${url}`);
    expect(output).not.toContain(SECRET);

    const dev = newAdapter(cloudConfig(url));
    const target = await register('dev-1', {}, dev);
    const health = await waitUntilProvisioned(dev, target, { timeoutMs: 5_000, pollIntervalMs: 20 });
    expect(health.healthy).toBe(true);
    expect(await dev.deployResource(target, REST_API)).toMatchObject({ action: 'created' });
    expect((await dev.getMetrics(target)).resourceCount).toBe(1);
    await dev.deregisterGateway(target);
  });

  it('requires the client credentials', async () => {
    const error = await failure(() => runCloudSimulator({ port: 0, clientId: CLIENT_ID }));
    expect(error.message).toBe('--client-secret is required');
    const both = await failure(() => runCloudSimulator({ port: 0 }));
    expect(both.message).toBe('--client-id and --client-secret are required');
    const delay = await failure(() => runCloudSimulator({ port: 0, clientId: 'a', clientSecret: 'b', delay: 'soon' }));
    expect(delay.message).toContain('--delay');
  });
});
