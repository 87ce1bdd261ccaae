/**
 * What operating the daemon needs: liveness (`/healthz`, never touches the database), readiness
 * (`/readyz`, the database answers and the daemon is not draining), Prometheus `/metrics`, and
 * the OpenAPI document generated from the route schemas.
 */
import type { FastifyInstance } from 'fastify';
import { UnavailableError } from '../../domain/errors.js';
import { databaseUnavailable } from '../../store/connection-errors.js';
import { pingDatabase } from '../../store/database.js';
import { VERSION } from '../../version.js';
import type { RouteOptions } from '../http.js';
import type { DaemonMetrics } from '../metrics.js';
import { HealthzSchema, problemResponses, ReadyzSchema } from '../schemas.js';

export interface SystemRouteOptions extends RouteOptions {
  metrics: DaemonMetrics;
  isClosing: () => boolean;
}

const tags = ['operations'];

export async function systemRoutes(app: FastifyInstance, { runtime, metrics, isClosing }: SystemRouteOptions): Promise<void> {
  app.get(
    '/healthz',
    { config: { scope: 'public' }, schema: { tags, summary: 'Liveness: the process answers', response: { 200: HealthzSchema } } },
    async () => ({ status: 'ok' as const, adapter: runtime.adapter.type, version: VERSION }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: { tags, summary: 'Readiness: the database answers and the daemon is not shutting down', response: { 200: ReadyzSchema, ...problemResponses } },
    },
    async () => {
      if (isClosing()) throw new UnavailableError('the daemon is shutting down');
      try {
        await pingDatabase(runtime.store);
      } catch (error) {
        // Anyone may ask: the answer says whether, never where (the error handler logs where).
        throw databaseUnavailable(error, null);
      }
      return { status: 'ready' as const };
    },
  );

  app.get(
    '/metrics',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Prometheus metrics', response: { 200: { type: 'string', description: 'Prometheus text exposition format' }, ...problemResponses } },
    },
    async (request, reply) => {
      const text = await metrics.render(runtime.store, request.organizationId);
      return reply.type(metrics.contentType).send(text);
    },
  );

  app.get('/openapi.json', { config: { scope: 'read' }, schema: { hide: true } }, async () => app.swagger());
}
