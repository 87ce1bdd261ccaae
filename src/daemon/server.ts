/**
 * The agentgw daemon: the seed's REST API over the same services the CLI runs in-process.
 * Fastify 5, schemas in TypeBox (validation and `/openapi.json` from one source), problem+json
 * errors, bearer-token authentication, Prometheus metrics, and a drain on close.
 *
 * @example
 * const daemon = await startDaemon({ config, port: 0, logger: false });
 * await fetch(`${daemon.url}/api/v1/gateways`);
 * await daemon.close();
 */
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { DEFAULT_ORGANIZATION_UUID } from '../../migrations/index.js';
import type { AdapterLogger } from '../adapters/adapter.js';
import type { AgentgwConfig } from '../config/schema.js';
import { AgentgwError, UnavailableError, ValidationError } from '../domain/errors.js';
import { openRuntime, type Runtime } from '../runtime/runtime.js';
import { startEventRetention } from '../services/event-retention.js';
import { TokenVerifier } from '../services/tokens.js';
import { EventWakeups } from '../store/event-wakeups.js';
import { VERSION } from '../version.js';
import { WebhookDeliverer } from '../webhooks/deliverer.js';
import { assertSafeBind, registerAuth } from './auth.js';
import { capConnections } from './connections.js';
import { registerHostCheck } from './host-check.js';
import { findNul } from './http.js';
import { registerJsonBodyParser } from './json-body.js';
import { DaemonMetrics } from './metrics.js';
import { httpErrorOf, problemDocument, PROBLEM_CONTENT_TYPE, registerProblemHandlers, sendProblem } from './problem.js';
import { RouteMethods } from './route-methods.js';
import { deploymentRoutes } from './routes/deployments.js';
import { rolloutRoutes } from './routes/rollouts.js';
import { environmentRoutes } from './routes/environments.js';
import { eventRoutes, type EventStreams } from './routes/events.js';
import { gatewayRoutes } from './routes/gateways.js';
import { healthRoutes } from './routes/health.js';
import { systemRoutes } from './routes/system.js';
import { tokenRoutes } from './routes/tokens.js';
import { typeboxValidatorCompiler } from './validator.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface StartDaemonOptions {
  config: AgentgwConfig;
  /** Services to serve; without one, a runtime is opened from `config` (migrating the database) and closed with the daemon. */
  runtime?: Runtime;
  /** Default: config.server.host (127.0.0.1). */
  host?: string;
  /** Default: config.server.port; 0 picks a free port. */
  port?: number;
  /** pino options (level, destination via `stream`), or false for no logs. Default: JSON at config.logging.level to stdout. */
  logger?: LoggerOptions | false;
  /** A destination for the JSON logs other than stdout: tests, or `serve`'s readable lines at a terminal. */
  logStream?: DestinationStream;
  /** Where a relative custom adapter module is resolved from. */
  configDir?: string;
  /** How long `close()` lets in-flight requests finish before cutting their connections (default 10 s). */
  drainTimeoutMs?: number;
}

export interface Daemon {
  url: string;
  host: string;
  port: number;
  runtime: Runtime;
  /** Whether every /api/v1 request needs a bearer token. */
  authRequired: boolean;
  /** The daemon's logger (null when logging is off). */
  log: Logger | null;
  /** Its /metrics; `metrics.monitor` is the health monitor's observer. */
  metrics: DaemonMetrics;
  /** Stops accepting, drains in-flight requests, then closes the runtime if the daemon opened it. */
  close(): Promise<void>;
}

/** Secrets never reach the log, wherever they appear in a logged object. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  ...['password', 'token', 'clientSecret', 'clientKey', 'authorization', 'secret'].flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
];

/** One line per request (method, URL, status, time) instead of Fastify's two. */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}

export async function startDaemon(options: StartDaemonOptions): Promise<Daemon> {
  const { config } = options;
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  const authRequired = config.server.auth.required;
  assertSafeBind(host, authRequired);

  const log: Logger | null =
    options.logger === false
      ? null
      : pino(
          { level: config.logging.level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' }, ...options.logger },
          ...(options.logStream === undefined ? [] : [options.logStream]),
        );
  const ownsRuntime = options.runtime === undefined;
  const runtime =
    options.runtime ??
    (await openRuntime({ config, logger: adapterLogger(log), migrate: true, ...(options.configDir === undefined ? {} : { configDir: options.configDir }) }));

  let app: FastifyInstance | undefined;
  const metrics = new DaemonMetrics();
  let streams: EventStreams | undefined;
  let stopRetention = () => {};
  let deliverer: WebhookDeliverer | undefined;
  try {
    streams = { wakeups: await EventWakeups.start(runtime.store, config.database.url ?? ''), heartbeatMs: config.events.heartbeat, open: new Set() };
    stopRetention = startEventRetention({ store: runtime.store, retentionMs: config.events.retention, clock: runtime.deps.clock, logger: runtime.deps.logger });
    deliverer = new WebhookDeliverer({
      store: runtime.store,
      config,
      secrets: runtime.deps.secrets,
      clock: runtime.deps.clock,
      logger: runtime.deps.logger,
      owner: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
    });
    const webhooks = deliverer;
    streams.wakeups.subscribe(() => webhooks.wake());
    deliverer.start();
    app = await buildApp({ config, runtime, log, authRequired, host, streams, metrics });
    await app.listen({ host, port });
  } catch (error) {
    stopRetention();
    await deliverer?.stop();
    await streams?.wakeups.close();
    await app?.close().catch(() => {});
    if (ownsRuntime) await runtime.close().catch(() => {});
    throw listenError(error, host, port);
  }
  const server = app;
  const eventStreams = streams;
  const webhookSender = deliverer!;
  const address = server.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    host,
    port: boundPort,
    runtime,
    authRequired,
    log,
    metrics,
    close() {
      closed ??= (async () => {
        closingApps.add(server);
        // Streams never finish on their own: they end now, and their clients resume elsewhere.
        stopRetention();
        await webhookSender.stop();
        await eventStreams.wakeups.close();
        for (const stream of eventStreams.open) stream.close();
        // Requests still running after the grace period are cut off: a stop must end.
        const deadline = setTimeout(() => server.server.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
        try {
          await server.close();
        } finally {
          clearTimeout(deadline);
        }
        if (ownsRuntime) await runtime.close();
      })();
      return closed;
    },
  };
}

/** Instances that are draining: new requests on kept-alive connections get a 503 problem. */
const closingApps = new WeakSet<FastifyInstance>();

interface BuildOptions {
  config: AgentgwConfig;
  runtime: Runtime;
  log: Logger | null;
  authRequired: boolean;
  /** The address it listens on. */
  host: string;
  metrics: DaemonMetrics;
  streams: EventStreams;
}

async function buildApp({ config, runtime, log, authRequired, host, metrics, streams }: BuildOptions): Promise<FastifyInstance> {
  const databaseUrl = runtime.store.displayUrl;
  const { bodyLimit, requestTimeout, headersTimeout, keepAliveTimeout } = config.server;
  const app = Fastify({
    ...(log === null ? { logger: false } : { loggerInstance: log }),
    logController: new AccessLog(),
    bodyLimit,
    // A client that trickles its request (a byte every few seconds) is cut when its time is up,
    // and answered 408; Node checks every connection for it on an interval, 30 s by default,
    // which would let a 30 s limit run to a minute.
    requestTimeout,
    keepAliveTimeout,
    http: { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout / 2) },
    routerOptions: { maxParamLength: 1024 },
    // Draining is answered by our own hook, as problem+json.
    return503OnClosing: false,
    frameworkErrors: (error, _request, reply) => {
      sendProblem(reply, httpErrorOf(error, bodyLimit));
    },
    clientErrorHandler: (error, socket) => writeClientError(error, socket),
  }) as unknown as FastifyInstance;
  const isClosing = () => closingApps.has(app);
  const connections = capConnections(app.server, {
    max: config.server.maxConnections,
    onShed: (kind) => metrics.connectionShed(kind),
  });
  metrics.trackConnections(connections.open);

  app.setValidatorCompiler(typeboxValidatorCompiler);
  // Resources are sent exactly as the services built them (the same JSON as local mode's -o json);
  // the response schemas document them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.removeContentTypeParser('text/plain');
  registerJsonBodyParser(app);
  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));
  registerProblemHandlers(app, { databaseUrl, bodyLimit, routes });

  // Callback-style hooks: no promise per request on the hot path.
  app.addHook('onRequest', (_request, reply, done) => {
    if (!isClosing()) return done();
    void reply.header('connection', 'close');
    done(new UnavailableError('the daemon is shutting down', { hint: 'retry in a moment (against another replica, if there is one)' }));
  });
  // A request that finishes while draining closes its connection, or a kept-alive client would
  // hold the stop open until its own idle timeout.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (isClosing()) void reply.header('connection', 'close');
    done(null, payload);
  });
  if (!authRequired) registerHostCheck(app, { boundHost: host, allowedHosts: config.server.allowedHosts });
  registerAuth(app, {
    required: authRequired,
    verifier: new TokenVerifier(runtime.store, runtime.deps.clock),
    defaultOrganizationId: DEFAULT_ORGANIZATION_UUID,
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const path = findNul(request.params, 'path') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
    done(path === null ? undefined : ValidationError.field(path, 'must not contain NUL characters'));
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'agentgw',
        version: VERSION,
        description: 'Control plane for AI gateways: the REST API of the seed’s "API Surface". Errors are application/problem+json (RFC 9457).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token from: agentgw token create NAME' } } },
      ...(authRequired ? { security: [{ bearer: [] }] } : {}),
      tags: [{ name: 'environments' }, { name: 'gateways' }, { name: 'deployments' }, { name: 'operations' }, { name: 'tokens' }, { name: 'events' }, { name: 'webhooks' }],
    },
  });
  await app.register(systemRoutes, { runtime, metrics, isClosing });
  await app.register(environmentRoutes, { runtime, prefix: '/api/v1' });
  const { timeout, pollInterval } = config.gateway.adapter.cloud.provisioning;
  await app.register(gatewayRoutes, { runtime, metrics, provisioning: { timeoutMs: timeout, pollIntervalMs: pollInterval }, prefix: '/api/v1' });
  await app.register(deploymentRoutes, { runtime, prefix: '/api/v1' });
  await app.register(rolloutRoutes, { runtime, prefix: '/api/v1' });
  await app.register(healthRoutes, { runtime, prefix: '/api/v1' });
  await app.register(tokenRoutes, { runtime, authRequired, prefix: '/api/v1' });
  await app.register(eventRoutes, { runtime, streams, prefix: '/api/v1' });
  await app.register(webhookRoutes, { runtime, prefix: '/api/v1' });
  return app;
}

function adapterLogger(log: Logger | null): AdapterLogger {
  if (log === null) return { warn: () => {}, info: () => {}, debug: () => {} };
  return {
    warn: (message, fields) => log.warn(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    debug: (message, fields) => log.debug(fields ?? {}, message),
  };
}

/** A malformed HTTP request (bad header, header too large): answered as problem+json too. */
function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  // An answer already under way (a request timed out while its refusal was being written) cannot
  // be followed by another on the same connection.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable || answering) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const problem = new ValidationError(status === 431 ? 'the request headers are too large' : status === 408 ? 'the request took too long to arrive' : 'malformed HTTP request');
  const body = JSON.stringify({ ...problemDocument(problem), status, title: problem.code });
  socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
    `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: string } | null)?.code;
  const reasons: Record<string, [string, string]> = {
    EADDRINUSE: ['the address is already in use', 'stop the other process, or pass --port'],
    EADDRNOTAVAIL: ['no such address on this machine', 'pass --host 127.0.0.1'],
    EACCES: ['permission denied', 'ports below 1024 need privileges; pass --port 8080'],
  };
  const reason = code === undefined ? undefined : reasons[code];
  if (reason === undefined) return error;
  return new AgentgwError('AGW_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${reason[0]}`, { hint: reason[1] });
}
