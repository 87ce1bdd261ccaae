/**
 * The cloud-provider simulator over real HTTP: the provisioning API of
 * docs/cloud-provisioning-openapi.yaml on one node:http server. Gateways move through their
 * states by the clock (PROVISIONING → ACTIVE or ERROR after `provisioningDelayMs`, DELETING →
 * gone after `deprovisioningDelayMs`), worked out whenever someone looks, so there are no timers
 * to leak and a fake clock drives it.
 *
 * @example
 * const cloud = await startCloudSimulator({ clientId: 'agentgw', clientSecret: 's3cret-value', failRegions: ['eu-south-9'] });
 * // configure gateway.adapter.cloud.apiEndpoint: cloud.url
 * cloud.expireTokens(); // the next API call is answered 401
 * await cloud.close();
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenIssuer } from './token-issuer.js';
import type {
  CloudSimAutoScaling,
  CloudSimGateway,
  CloudSimMetrics,
  CloudSimStats,
  CloudSimulator,
  CloudSimulatorOptions,
} from './types.js';

const MAX_BODY_BYTES = 64 * 1024;
const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const NAME_MAX = 63;
const REGION_MAX = 64;
const TIER_MAX = 32;
const MAX_INSTANCES = 100;
const CREATE_KEYS = new Set(['name', 'region', 'tier', 'autoScaling']);

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface GatewayState extends CloudSimGateway {
  createdAtMs: number;
  deletedAtMs: number | null;
  health: 'healthy' | 'unhealthy';
  metrics: CloudSimMetrics;
}

/** An API error: the body every error answer has. */
function problem(status: number, error: string, message: string, headers?: Record<string, string>): Answer {
  return { status, body: { error, message }, ...(headers === undefined ? {} : { headers }) };
}

export async function startCloudSimulator(options: CloudSimulatorOptions): Promise<CloudSimulator> {
  if (options.clientId === '' || options.clientSecret === '') throw new Error('the cloud simulator needs a non-empty clientId and clientSecret');
  const clock = options.clock ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const provisioningDelayMs = options.provisioningDelayMs ?? 500;
  const deprovisioningDelayMs = options.deprovisioningDelayMs ?? provisioningDelayMs;
  const failRegions = new Set(options.failRegions ?? []);
  const issuer = new TokenIssuer(options.clientId, options.clientSecret, options.tokenTtlSeconds ?? 3600, clock);
  const gateways = new Map<string, GatewayState>();
  const stats: CloudSimStats = { tokenRequests: 0, tokensIssued: 0, unauthorized: 0, requests: {} };
  let baseUrl = '';

  /** Moves every gateway whose delay has passed to its next state. */
  function settle(): void {
    const now = clock();
    for (const gateway of gateways.values()) {
      if (gateway.status === 'PROVISIONING' && now >= gateway.createdAtMs + provisioningDelayMs) finishProvisioning(gateway);
      if (gateway.status === 'DELETING' && gateway.deletedAtMs !== null && now >= gateway.deletedAtMs + deprovisioningDelayMs) {
        gateways.delete(gateway.id);
        if (gateway.managementUrl !== null) options.onDeprovisioned?.(gateway.name, gateway.id);
      }
    }
  }

  function finishProvisioning(gateway: GatewayState): void {
    if (failRegions.has(gateway.region)) {
      fail(gateway, `region ${gateway.region} has no capacity`);
      return;
    }
    try {
      gateway.managementUrl = options.managementUrlFor?.(gateway.name, gateway.id) ?? `${baseUrl}/mgmt/${gateway.id}`;
    } catch (error) {
      fail(gateway, `the gateway's management plane could not be set up: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    gateway.status = 'ACTIVE';
    gateway.endpoint = `https://${gateway.name}.${gateway.region}.gw.cloud-sim.test`;
  }

  function fail(gateway: GatewayState, message: string): void {
    gateway.status = 'ERROR';
    gateway.message = message;
  }

  function find(ref: string): GatewayState | undefined {
    settle();
    return gateways.get(ref) ?? [...gateways.values()].find((gateway) => gateway.name === ref);
  }

  function requireGateway(ref: string): GatewayState {
    const gateway = find(ref);
    if (gateway === undefined) throw new Error(`the cloud simulator has no gateway "${ref}"`);
    return gateway;
  }

  function createGateway(input: unknown): Answer {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return problem(400, 'invalid_request', 'the body must be a JSON object');
    const body = input as Record<string, unknown>;
    const unknown = Object.keys(body).find((key) => !CREATE_KEYS.has(key));
    if (unknown !== undefined) return problem(400, 'invalid_request', `unknown field "${unknown}"; known: ${[...CREATE_KEYS].join(', ')}`);
    const { name, region, tier = 'standard', autoScaling = { minInstances: 1, maxInstances: 1 } } = body;
    if (typeof name !== 'string' || name.length > NAME_MAX || !NAME.test(name)) {
      return problem(400, 'invalid_request', `name must be 1-${NAME_MAX} lower-case letters, digits and '-', starting and ending with a letter or digit`);
    }
    if (typeof region !== 'string' || region === '' || region.length > REGION_MAX) return problem(400, 'invalid_request', 'region is required');
    if (typeof tier !== 'string' || tier === '' || tier.length > TIER_MAX) return problem(400, 'invalid_request', `tier must be a string of 1-${TIER_MAX} characters`);
    const scaling = checkAutoScaling(autoScaling);
    if (typeof scaling === 'string') return problem(400, 'invalid_request', scaling);
    settle();
    const taken = [...gateways.values()].find((gateway) => gateway.name === name && gateway.status !== 'DELETING');
    if (taken !== undefined) return problem(409, 'conflict', `a gateway named "${name}" already exists (${taken.id})`);

    const now = clock();
    const gateway: GatewayState = {
      id: `cgw-${randomBytes(8).toString('hex')}`,
      name,
      status: 'PROVISIONING',
      region,
      tier,
      autoScaling: scaling,
      endpoint: null,
      managementUrl: null,
      message: null,
      createdAt: new Date(now).toISOString(),
      createdAtMs: now,
      deletedAtMs: null,
      health: 'healthy',
      metrics: { requestRate: 0, errorRate: null, averageLatencyMs: null },
    };
    gateways.set(gateway.id, gateway);
    // A zero delay still answers PROVISIONING first, as a real provider would.
    return { status: 202, body: present(gateway), headers: { location: `/gateways/${gateway.id}` } };
  }

  function route(method: string, path: string, body: unknown): Answer {
    if (path === '/gateways') return method === 'POST' ? createGateway(body) : methodNotAllowed('POST');
    const match = /^\/gateways\/([^/]+)(\/health|\/metrics)?$/.exec(path);
    if (match === null) return problem(404, 'not_found', `no such resource: ${path}`);
    const id = decodeURIComponent(match[1]!);
    const sub = match[2];
    settle();
    const gateway = gateways.get(id);
    if (sub === undefined && method !== 'GET' && method !== 'DELETE') return methodNotAllowed('GET, DELETE');
    if (sub !== undefined && method !== 'GET') return methodNotAllowed('GET');
    if (gateway === undefined) return problem(404, 'not_found', `gateway ${id} does not exist`);

    if (sub === '/health') {
      const status = gateway.status === 'PROVISIONING' ? 'provisioning' : gateway.status === 'ACTIVE' ? gateway.health : 'unhealthy';
      return { status: 200, body: { status, checkedAt: new Date(clock()).toISOString() } };
    }
    if (sub === '/metrics') {
      if (gateway.status !== 'ACTIVE') return problem(409, 'not_active', `gateway ${id} is ${gateway.status}; metrics exist only for ACTIVE gateways`);
      return { status: 200, body: { ...gateway.metrics } };
    }
    if (method === 'DELETE' && gateway.status !== 'DELETING') {
      gateway.status = 'DELETING';
      gateway.deletedAtMs = clock();
      settle();
    }
    return { status: method === 'DELETE' ? 202 : 200, body: present(gateway) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://sim').pathname.replace(/\/+$/, '') || '/';
    count(method, path);
    const raw = await readBody(req);
    if (raw === null) return send(res, problem(413, 'invalid_request', `the body exceeds ${MAX_BODY_BYTES} bytes`));

    if (path === '/oauth2/token') {
      if (method !== 'POST') return send(res, methodNotAllowed('POST'));
      stats.tokenRequests += 1;
      const fields = parseTokenFields(raw, req.headers['content-type']);
      if (fields === null) return send(res, tokenError(400, 'invalid_request', 'the body must be form-encoded or a JSON object'));
      const answer = issuer.issue({ authorization: req.headers.authorization, fields });
      if (!answer.ok) return send(res, tokenError(answer.status, answer.error, answer.message));
      stats.tokensIssued += 1;
      return send(res, { status: 200, body: answer.body, headers: { 'cache-control': 'no-store' } });
    }
    if (path.startsWith('/mgmt/') || path === '/mgmt') {
      return send(res, problem(404, 'not_found', 'this cloud simulator serves no management API; start it with managementUrlFor to back gateways with one'));
    }
    if (!issuer.accepts(req.headers.authorization)) {
      stats.unauthorized += 1;
      return send(res, problem(401, 'invalid_token', 'the access token is missing, unknown or expired', { 'www-authenticate': 'Bearer error="invalid_token"' }));
    }
    let body: unknown;
    if (method === 'POST') {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send(res, problem(400, 'invalid_request', 'the body is not valid JSON'));
      }
    }
    send(res, route(method, path, body));
  }

  function count(method: string, path: string): void {
    const key = `${method} ${path.replace(/^\/gateways\/[^/]+/, '/gateways/{id}').replace(/^\/mgmt\/.*/, '/mgmt/…')}`;
    stats.requests[key] = (stats.requests[key] ?? 0) + 1;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, problem(500, 'internal', 'internal error')));
  });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: baseUrl,
    port,
    gateways: () => {
      settle();
      return [...gateways.values()].map(present);
    },
    stats: () => ({ ...stats, requests: { ...stats.requests } }),
    expireTokens: () => issuer.expireAll(),
    setHealth: (ref, status) => {
      requireGateway(ref).health = status;
    },
    setMetrics: (ref, metrics) => {
      const gateway = requireGateway(ref);
      gateway.metrics = { ...gateway.metrics, ...metrics };
    },
    removeGateway: (ref) => {
      const gateway = find(ref);
      if (gateway === undefined) return false;
      gateways.delete(gateway.id);
      if (gateway.managementUrl !== null) options.onDeprovisioned?.(gateway.name, gateway.id);
      return true;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function present(gateway: GatewayState): CloudSimGateway {
  return {
    id: gateway.id,
    name: gateway.name,
    status: gateway.status,
    region: gateway.region,
    tier: gateway.tier,
    autoScaling: { ...gateway.autoScaling },
    endpoint: gateway.endpoint,
    managementUrl: gateway.managementUrl,
    message: gateway.message,
    createdAt: gateway.createdAt,
  };
}

function checkAutoScaling(value: unknown): CloudSimAutoScaling | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'autoScaling must be an object with minInstances and maxInstances';
  const { minInstances, maxInstances, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return `unknown field "autoScaling.${extra}"`;
  if (typeof minInstances !== 'number' || !Number.isInteger(minInstances) || minInstances < 1 || minInstances > MAX_INSTANCES) {
    return `autoScaling.minInstances must be a whole number from 1 to ${MAX_INSTANCES}`;
  }
  if (typeof maxInstances !== 'number' || !Number.isInteger(maxInstances) || maxInstances < minInstances || maxInstances > MAX_INSTANCES) {
    return `autoScaling.maxInstances must be a whole number from minInstances (${minInstances}) to ${MAX_INSTANCES}`;
  }
  return { minInstances, maxInstances };
}

/** RFC 6749 error answers carry `error_description`; the API's `message` says the same. */
function tokenError(status: number, error: string, message: string): Answer {
  return {
    status,
    body: { error, message, error_description: message },
    headers: status === 401 ? { 'www-authenticate': 'Basic realm="oauth2"' } : {},
  };
}

function methodNotAllowed(allowed: string): Answer {
  return problem(405, 'method_not_allowed', `use ${allowed}`, { allow: allowed });
}

function parseTokenFields(raw: Buffer, contentType: string | undefined): Record<string, unknown> | null {
  const text = raw.toString('utf8');
  if (contentType?.includes('application/json') === true) {
    try {
      const value: unknown = JSON.parse(text);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...answer.headers,
  });
  res.end(payload);
}
