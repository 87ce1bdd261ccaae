/**
 * `GET /api/v1/gateways/{id}/health/history`: a gateway's status transitions, newest first, as
 * stored by the health monitor, on-demand checks and registration.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GATEWAY_STATUSES, HEALTH_ERROR_CLASSES } from '../../domain/types.js';
import { DEFAULT_HISTORY_LIMIT, HealthHistoryService, MAX_HISTORY_LIMIT } from '../../services/health-history.js';
import type { RouteOptions } from '../http.js';
import { IdParams, problemResponses } from '../schemas.js';

const statusOf = Type.Union(GATEWAY_STATUSES.map((status) => Type.Literal(status)));
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const GatewayStatusEventSchema = Type.Object({
  from: nullable(statusOf),
  to: statusOf,
  reason: nullable(Type.String()),
  errorClass: nullable(Type.Union(HEALTH_ERROR_CLASSES.map((errorClass) => Type.Literal(errorClass)))),
  occurredAt: Type.String({ format: 'date-time' }),
});

export const GatewayHealthHistorySchema = Type.Object({ events: Type.Array(GatewayStatusEventSchema) });

const HistoryQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_HISTORY_LIMIT, description: `most events returned (default ${DEFAULT_HISTORY_LIMIT})` }),
    ),
  },
  { additionalProperties: false },
);

export async function healthRoutes(app: FastifyInstance, { runtime }: RouteOptions): Promise<void> {
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof HistoryQuery> }>(
    '/gateways/:id/health/history',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['gateways'],
        summary: 'A gateway’s status transitions, newest first',
        params: IdParams,
        querystring: HistoryQuery,
        response: { 200: GatewayHealthHistorySchema, ...problemResponses },
      },
    },
    async (request) => {
      const service = new HealthHistoryService(runtime.context(request.organizationId));
      return service.history(request.params.id, request.query.limit === undefined ? {} : { limit: request.query.limit });
    },
  );
}
