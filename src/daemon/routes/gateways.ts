/**
 * The seed's gateway endpoints (`/api/v1/gateways…`): registration (optionally waiting for a
 * cloud gateway to be provisioned, `Prefer: wait=N`), the filtered and paginated list, read,
 * update, delete, environment mappings, health (the last recorded check on GET, a live check on
 * POST …/health-checks) and metrics. `{id}` and `{envId}` are uuids or names.
 */
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { GatewayFilter } from '../../domain/types.js';
import { gatewayPageJson } from '../gateway-pages/gateway-pages.js';
import { sendJsonPage } from '../gateway-pages/send-page.js';
import { etag, ifMatchVersion, servicesFor, type RouteOptions } from '../http.js';
import type { DaemonMetrics } from '../metrics.js';
import {
  DeleteGatewayQuery,
  EnvironmentListSchema,
  GatewayHealthSchema,
  GatewayListSchema,
  GatewayMetricsSchema,
  GatewaySchema,
  IdParams,
  ListGatewaysQuery,
  MappingCreatedSchema,
  MappingParams,
  problemResponses,
  RegisterGatewayBody,
  RegisterGatewayHeaders,
  RegisterGatewayQuery,
  UpdateGatewayBody,
} from '../schemas.js';

const tags = ['gateways'];

export interface GatewayRouteOptions extends RouteOptions {
  metrics: DaemonMetrics;
  /** How long a `Prefer: wait` may hold a registration, and how often it checks meanwhile. */
  provisioning: { timeoutMs: number; pollIntervalMs: number };
}

export async function gatewayRoutes(app: FastifyInstance, { runtime, metrics, provisioning }: GatewayRouteOptions): Promise<void> {
  app.post<{ Body: Static<typeof RegisterGatewayBody>; Querystring: Static<typeof RegisterGatewayQuery>; Headers: Static<typeof RegisterGatewayHeaders> }>(
    '/gateways',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Register a gateway (its connectivity is checked through the adapter first)',
        description:
          'A cloud gateway is answered 201 PROVISIONING with its Location at once; with `Prefer: wait=N` the answer waits until it is ACTIVE (with its endpoint) or failed, for at most N seconds (capped at cloud.provisioning.timeout).',
        body: RegisterGatewayBody,
        querystring: RegisterGatewayQuery,
        headers: RegisterGatewayHeaders,
        response: { 201: GatewaySchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const waitSeconds = preferredWait(request.headers.prefer);
      const waitMs = waitSeconds === null ? 0 : Math.min(waitSeconds * 1000, provisioning.timeoutMs);
      const gateway = await servicesFor(runtime, request).gateways.register(request.body, {
        waitMs,
        pollIntervalMs: provisioning.pollIntervalMs,
        keepFailed: request.query.keepFailed === true,
      });
      void reply.code(201).header('etag', etag(gateway.version)).header('location', `/api/v1/gateways/${gateway.uuid}`);
      if (waitSeconds !== null) void reply.header('preference-applied', `wait=${Math.round(waitMs / 1000)}`);
      return gateway;
    },
  );

  app.get<{ Querystring: Static<typeof ListGatewaysQuery> }>(
    '/gateways',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'List gateways, filtered by type, environment and status, a page at a time',
        querystring: ListGatewaysQuery,
        response: { 200: GatewayListSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { type, environment, status, limit, cursor } = request.query;
      const filter: GatewayFilter = {
        ...(type === undefined ? {} : { type }),
        ...(environment === undefined ? {} : { environment }),
        ...(status === undefined ? {} : { status }),
      };
      const source = { store: runtime.store, organizationId: request.organizationId, gateways: servicesFor(runtime, request).gateways };
      const page = await gatewayPageJson(source, filter, {
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return sendJsonPage(reply, 'gateways', page);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/gateways/:id',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Get a gateway', params: IdParams, response: { 200: GatewaySchema, ...problemResponses } },
    },
    async (request, reply) => {
      const gateway = await servicesFor(runtime, request).gateways.get(request.params.id);
      void reply.header('etag', etag(gateway.version));
      return gateway;
    },
  );

  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateGatewayBody> }>(
    '/gateways/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Update a gateway’s display name or adapter settings (If-Match honoured)',
        params: IdParams,
        body: UpdateGatewayBody,
        response: { 200: GatewaySchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const ifVersion = ifMatchVersion(request);
      const gateway = await servicesFor(runtime, request).gateways.update(request.params.id, request.body, ifVersion === undefined ? {} : { ifVersion });
      void reply.header('etag', etag(gateway.version));
      return gateway;
    },
  );

  app.delete<{ Params: Static<typeof IdParams>; Querystring: Static<typeof DeleteGatewayQuery> }>(
    '/gateways/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Decommission a gateway (If-Match honoured; 409 while it has deployments, unless drain=true)',
        params: IdParams,
        querystring: DeleteGatewayQuery,
        response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const ifVersion = ifMatchVersion(request);
      await servicesFor(runtime, request).gateways.delete(request.params.id, {
        ...(ifVersion === undefined ? {} : { ifVersion }),
        drain: request.query.drain === true,
      });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof MappingParams> }>(
    '/gateways/:id/environments/:envId',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Put a gateway in an environment (201; 200 when it already was)',
        params: MappingParams,
        response: { 200: MappingCreatedSchema, 201: MappingCreatedSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { gateways } = servicesFor(runtime, request);
      const created = await gateways.addEnvironment(request.params.id, request.params.envId);
      void reply.code(created ? 201 : 200).header('location', `/api/v1/gateways/${encodeURIComponent(request.params.id)}/environments`);
      return { environments: await gateways.environmentsOf(request.params.id) };
    },
  );

  app.delete<{ Params: Static<typeof MappingParams> }>(
    '/gateways/:id/environments/:envId',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Take a gateway out of an environment',
        params: MappingParams,
        response: { 204: { type: 'null', description: 'removed' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      await servicesFor(runtime, request).gateways.removeEnvironment(request.params.id, request.params.envId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/gateways/:id/environments',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'List a gateway’s environments', params: IdParams, response: { 200: EnvironmentListSchema, ...problemResponses } },
    },
    async (request) => ({ environments: await servicesFor(runtime, request).gateways.environmentsOf(request.params.id) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/gateways/:id/health',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'A gateway’s last recorded health check (by the monitor, a live check or registration); calls no gateway, changes nothing',
        params: IdParams,
        response: { 200: GatewayHealthSchema, ...problemResponses },
      },
    },
    async (request) => servicesFor(runtime, request).gateways.lastHealth(request.params.id),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/gateways/:id/health-checks',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Check a gateway’s health now and record it (checks of one gateway made at the same time share one call to it)',
        params: IdParams,
        response: { 201: GatewayHealthSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const started = performance.now();
      try {
        const health = await servicesFor(runtime, request).gateways.health(request.params.id);
        metrics.observeHealthCheck(health.errorMessage === null ? 'healthy' : 'unhealthy', (performance.now() - started) / 1000);
        void reply.code(201).header('location', `/api/v1/gateways/${health.gatewayId}/health`);
        return health;
      } catch (error) {
        metrics.observeHealthCheck('error', (performance.now() - started) / 1000);
        throw error;
      }
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/gateways/:id/metrics',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Resource counts and request rates of a gateway',
        params: IdParams,
        response: { 200: GatewayMetricsSchema, ...problemResponses },
      },
    },
    async (request) => servicesFor(runtime, request).gateways.metrics(request.params.id),
  );
}

/**
 * The `wait` preference of a Prefer header (RFC 7240: `wait=N`, N seconds, among other
 * preferences separated by commas), or null when there is none.
 */
export function preferredWait(header: string | undefined): number | null {
  if (header === undefined) return null;
  for (const preference of header.split(',')) {
    const match = /^\s*wait\s*=\s*"?(\d{1,9})"?\s*(?:;.*)?$/i.exec(preference);
    if (match) return Number(match[1]);
  }
  return null;
}
