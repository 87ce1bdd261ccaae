/**
 * The HTTP side of the simulator: two node:http listeners, shaped like a real controller's
 * ports. The management listener (9090 by default) serves the management API and nothing else:
 * `/api/management/v1/...` for current gateways, the 2026-02 paths (`/health` included) for
 * legacy ones. The admin listener (the management port + 2 by default, as 9090 → 9092 on a real
 * controller) serves `/api/admin/v1/health` and its `/health` alias for current gateways, and
 * stands in for the policy engine's Prometheus endpoint (`/metrics`), which real deployments
 * serve on a port of their own. Each request goes to a simulated gateway by path prefix
 * (`/gateways/NAME` on both listeners in fleet mode, `/` in single mode); that gateway's faults
 * apply on both.
 *
 * @example
 * const sim = await startGatewaySimulator({ gateways: [{ name: 'gw-a' }, { name: 'gw-b', legacy: true }] });
 * await fetch(`${sim.adminUrlOf('gw-a')}/api/admin/v1/health`); // {status: 'healthy', ...}
 * await fetch(`${sim.urlOf('gw-b')}/health`); // legacy controllers answer health on the management port
 * sim.setFaults('gw-a', { down: true });
 * await sim.close();
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PORT_OFFSET } from '../../adapters/on-premise/health-endpoints.js';
import {
  ADMIN_HEALTH_PATH,
  HEALTH_ALIAS_PATH,
  MANAGEMENT_PREFIX,
  METRICS_PATH,
  collectionForPath,
} from './collections.js';
import type { CollectionDef } from './collections.js';
import { CONTROL_PREFIX, controlNeedsBody, handleControl } from './control-api.js';
import { DEFAULT_SINGLE_NAME, FLEET_PREFIX, Fleet } from './fleet.js';
import { MAX_BODY_BYTES, parseBody, readBody, send, sendText, wantsYaml } from './http-io.js';
import {
  createResource,
  deleteResource,
  errorResponse,
  getResource,
  listResources,
  rfc3339,
  updateResource,
} from './management-api.js';
import type { ParsedBody, SimResponse } from './management-api.js';
import { SimulatorError } from './options.js';
import type { SimulatedGateway } from './simulated-gateway.js';
import type { GatewaySimulator, GatewaySimulatorOptions } from './types.js';

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Batches of thousands of gateways, with their resources, are added in one control request. */
const CONTROL_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Bursts of thousands of health checks connect at once; the default backlog (511) drops some. */
const LISTEN_BACKLOG = 4096;
/** How many free management ports are tried before giving up on finding one whose + 2 is free too. */
const PORT_PAIR_ATTEMPTS = 50;

type Listener = 'management' | 'admin';

type Route =
  | { type: 'health' }
  | { type: 'metrics' }
  | { type: 'collection'; def: CollectionDef }
  | { type: 'item'; def: CollectionDef; id: string }
  | { type: 'none' };

interface PendingDelay {
  timer: NodeJS.Timeout;
  resolve: (stillOpen: boolean) => void;
}

/** Starts a simulator and resolves once both its listeners listen. */
export async function startGatewaySimulator(options: GatewaySimulatorOptions = {}): Promise<GatewaySimulator> {
  const mode = options.mode ?? 'fleet';
  const clock = options.clock ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const fleet = new Fleet(mode, clock);
  const initial = options.gateways ?? [];
  if (mode === 'single' && initial.length > 1) {
    throw new SimulatorError(400, `a single-mode simulator serves exactly one gateway, ${initial.length} were given`);
  }
  for (const gateway of initial) fleet.add(gateway);
  if (mode === 'single' && initial.length === 0) fleet.add({ name: DEFAULT_SINGLE_NAME });

  const delays = new Set<PendingDelay>();
  const serverFor = (listener: Listener): Server =>
    createServer((req, res) => {
      handle(fleet, delays, listener, req, res).catch(() => {
        if (!res.headersSent) send(res, errorResponse(500, 'Internal server error'));
        else res.destroy();
      });
    });
  const management = serverFor('management');
  const admin = serverFor('admin');
  await listenPair(management, admin, host, options.port ?? 0, options.adminPort);

  const port = (management.address() as AddressInfo).port;
  const adminPort = (admin.address() as AddressInfo).port;
  const origin = (p: number) => `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
  fleet.baseUrl = origin(port);
  fleet.adminBaseUrl = origin(adminPort);

  let closing: Promise<void> | null = null;
  return {
    port,
    adminPort,
    baseUrl: fleet.baseUrl,
    adminBaseUrl: fleet.adminBaseUrl,
    mode,
    urlOf: (name) => fleet.urlOf(name),
    adminUrlOf: (name) => fleet.adminUrlOf(name),
    metricsUrlOf: (name) => `${fleet.adminUrlOf(name)}${METRICS_PATH}`,
    addGateway: (gatewayOptions) => fleet.urlOf(fleet.add(gatewayOptions).name),
    removeGateway: (name) => fleet.remove(name),
    setFaults: (name, faults) => fleet.setFaults(name, faults),
    setTraffic: (name, profile) => {
      fleet.setTraffic(name, profile);
    },
    resources: (name) => fleet.require(name).resources(),
    stats: (name) => fleet.require(name).stats(),
    gateways: () => fleet.summaries(),
    close() {
      closing ??= (async () => {
        for (const pending of delays) {
          clearTimeout(pending.timer);
          pending.resolve(false);
        }
        delays.clear();
        await Promise.all([management, admin].map(closeServer));
      })();
      return closing;
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    // Hung and delayed requests keep their sockets open; close() must not wait for them.
    server.closeAllConnections();
  });
}

/**
 * Binds the management listener to `port` and the admin one to `adminPort`, which defaults to
 * `port` + 2 as on a real controller. With port 0 and no admin port, free ports are tried until
 * one whose + 2 is free too comes up, so that a client given only the management URL finds the
 * admin API where it would on a real controller.
 */
async function listenPair(management: Server, admin: Server, host: string, port: number, adminPort: number | undefined): Promise<void> {
  if (port !== 0 || adminPort !== undefined) {
    await listen(management, host, port);
    const bound = (management.address() as AddressInfo).port;
    const wanted = adminPort ?? bound + ADMIN_PORT_OFFSET;
    try {
      if (wanted > 65535) throw new SimulatorError(400, `the admin port would be ${wanted} (--port + ${ADMIN_PORT_OFFSET}); pass a lower --port or an --admin-port`);
      await listen(admin, host, wanted);
    } catch (error) {
      await closeServer(management);
      throw error;
    }
    return;
  }
  for (let attempt = 1; ; attempt++) {
    await listen(management, host, 0);
    const bound = (management.address() as AddressInfo).port;
    try {
      if (bound + ADMIN_PORT_OFFSET > 65535) throw Object.assign(new Error('no room for the admin port'), { code: 'EADDRINUSE' });
      await listen(admin, host, bound + ADMIN_PORT_OFFSET);
      return;
    } catch (error) {
      await closeServer(management);
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === PORT_PAIR_ATTEMPTS) throw error;
    }
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(Object.assign(error, { port }));
    server.once('error', fail);
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

async function handle(fleet: Fleet, delays: Set<PendingDelay>, listener: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);

  if (listener === 'management' && (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`))) {
    const body = controlNeedsBody(method) ? await readParsedBody(req, res, CONTROL_MAX_BODY_BYTES) : null;
    if (body === undefined) return;
    send(res, handleControl(fleet, method, path, body));
    return;
  }

  const target = resolveGateway(fleet, path);
  if (target === undefined) {
    const hint = fleet.mode === 'fleet' ? `; gateways are served under ${FLEET_PREFIX}NAME` : '';
    send(res, errorResponse(404, `no simulated gateway at ${path}${hint}`));
    return;
  }
  const { gateway, rest } = target;
  gateway.recordRequest(method, rest);
  const route = listener === 'management' ? classifyManagement(rest, gateway.legacy) : classifyAdmin(rest, gateway.legacy);
  if (route.type === 'health') gateway.recordHealthCheck(fleet.clock());

  const faults = gateway.faults;
  if (faults.down === true) {
    req.socket.destroy();
    return;
  }
  if (faults.hang === true) {
    // Read the body so the request is complete; the answer itself never comes.
    req.resume();
    return;
  }
  if (faults.latencyMs !== undefined && faults.latencyMs > 0) {
    const stillOpen = await delay(delays, faults.latencyMs, res);
    if (!stillOpen) return;
  }
  // Only the management API takes credentials: health and metrics are open, unknown paths stay 404
  // (clients tell the API generations apart by which paths exist).
  const managementCall = route.type === 'collection' || route.type === 'item';
  if (faults.unauthorized === true || (managementCall && !gateway.authorizes(req.headers.authorization))) {
    send(res, unauthorized(route));
    return;
  }
  if ((managementCall || route.type === 'health') && gateway.nextRequestFails()) {
    send(res, errorResponse(500, 'Internal server error'));
    return;
  }

  switch (route.type) {
    case 'health': {
      if (method !== 'GET') {
        send(res, methodNotAllowed('GET'));
        return;
      }
      const status = faults.healthStatus ?? 'healthy';
      send(res, {
        status: status === 'healthy' ? 200 : 503,
        body: { status, timestamp: rfc3339(fleet.clock()), version: gateway.version },
      });
      return;
    }
    case 'metrics':
      sendText(res, 200, gateway.meter.render(fleet.clock()), PROMETHEUS_CONTENT_TYPE);
      return;
    case 'collection':
      await handleCollection(fleet, gateway, route.def, method, rawUrl, queryStart, req, res);
      return;
    case 'item':
      await handleItem(fleet, gateway, route.def, route.id, method, req, res);
      return;
    case 'none':
      send(res, errorResponse(404, `${method} ${rest} not found`));
      return;
  }
}

async function handleCollection(
  fleet: Fleet,
  gateway: SimulatedGateway,
  def: CollectionDef,
  method: string,
  rawUrl: string,
  queryStart: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (method === 'GET') {
    const query = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));
    send(res, listResources(gateway, def, query));
  } else if (method === 'POST') {
    const body = await readParsedBody(req, res);
    if (body !== undefined) send(res, createResource(gateway, def, body, fleet.clock()));
  } else {
    send(res, methodNotAllowed('GET, POST'));
  }
}

async function handleItem(
  fleet: Fleet,
  gateway: SimulatedGateway,
  def: CollectionDef,
  id: string,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (method === 'GET') {
    const response = getResource(gateway, def, id);
    send(res, response, response.status === 200 && wantsYaml(req));
  } else if (method === 'PUT') {
    const body = await readParsedBody(req, res);
    if (body !== undefined) send(res, updateResource(gateway, def, id, body, fleet.clock()));
  } else if (method === 'DELETE') {
    send(res, deleteResource(gateway, def, id));
  } else {
    send(res, methodNotAllowed('GET, PUT, DELETE'));
  }
}

function resolveGateway(fleet: Fleet, path: string): { gateway: SimulatedGateway; rest: string } | undefined {
  if (fleet.mode === 'single') {
    const gateway = fleet.single();
    return gateway === undefined ? undefined : { gateway, rest: path };
  }
  if (!path.startsWith(FLEET_PREFIX)) return undefined;
  const end = path.indexOf('/', FLEET_PREFIX.length);
  const name = end === -1 ? path.slice(FLEET_PREFIX.length) : path.slice(FLEET_PREFIX.length, end);
  const gateway = fleet.get(name);
  return gateway === undefined ? undefined : { gateway, rest: end === -1 ? '/' : path.slice(end) };
}

/**
 * What the management port serves at a path relative to the gateway: the management API of the
 * gateway's generation, and for a legacy (2026-02) controller its `/health` too. Never the
 * admin API: a current controller has no health endpoint here.
 */
function classifyManagement(rest: string, legacy: boolean): Route {
  if (legacy && rest === HEALTH_ALIAS_PATH) return { type: 'health' };
  let sub: string;
  if (legacy) sub = rest;
  else if (rest.startsWith(`${MANAGEMENT_PREFIX}/`)) sub = rest.slice(MANAGEMENT_PREFIX.length);
  else return { type: 'none' };

  const slash = sub.indexOf('/', 1);
  const def = collectionForPath(slash === -1 ? sub.slice(1) : sub.slice(1, slash), legacy);
  if (def === undefined) return { type: 'none' };
  if (slash === -1) return { type: 'collection', def };
  const rawId = sub.slice(slash + 1);
  // Sub-resources (api-keys, ...) are not simulated.
  if (rawId === '' || rawId.includes('/')) return { type: 'none' };
  try {
    return { type: 'item', def, id: decodeURIComponent(rawId) };
  } catch {
    return { type: 'none' };
  }
}

/**
 * What the admin port serves: the admin API's health probe and its legacy alias (current
 * controllers only: 2026-02 controllers had no admin API), and the Prometheus stand-in.
 */
function classifyAdmin(rest: string, legacy: boolean): Route {
  if (rest === METRICS_PATH) return { type: 'metrics' };
  if (!legacy && (rest === ADMIN_HEALTH_PATH || rest === HEALTH_ALIAS_PATH)) return { type: 'health' };
  return { type: 'none' };
}

/** Resolves with the parsed body, or undefined after answering 413 itself. */
async function readParsedBody(req: IncomingMessage, res: ServerResponse, limit = MAX_BODY_BYTES): Promise<ParsedBody | undefined> {
  const raw = await readBody(req, limit);
  if (raw === null) {
    send(res, errorResponse(413, 'Request body too large'));
    return undefined;
  }
  return parseBody(raw, req.headers['content-type']);
}

function delay(delays: Set<PendingDelay>, ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const pending: PendingDelay = {
      timer: setTimeout(() => {
        delays.delete(pending);
        resolve(!res.destroyed);
      }, ms),
      resolve,
    };
    delays.add(pending);
  });
}

function unauthorized(route: Route): SimResponse {
  const headers = { 'www-authenticate': 'Basic realm="gateway-controller"' };
  // The admin spec's UnauthorizedResponse differs from the management ErrorResponse.
  if (route.type === 'health') return { status: 401, body: { code: 'authentication_failed', message: 'authentication failed' }, headers };
  return { ...errorResponse(401, 'Authentication required'), headers };
}

function methodNotAllowed(allow: string): SimResponse {
  return { ...errorResponse(405, 'Method not allowed'), headers: { allow } };
}
