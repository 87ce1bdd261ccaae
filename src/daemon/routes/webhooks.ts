/**
 * `/api/v1/webhooks`: create, list, get and delete webhooks, and read a webhook's deliveries.
 * A webhook's secret goes in with its creation and never comes out.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVENT_TYPES } from '../../domain/events.js';
import { WebhookService } from '../../services/webhooks.js';
import { actorOf } from '../auth.js';
import type { RouteOptions } from '../http.js';
import { problemResponses, Reference } from '../schemas.js';

const tags = ['webhooks'];
const EventTypeSchema = Type.Union(EVENT_TYPES.map((type) => Type.Literal(type)));

const WebhookSchema = Type.Object({
  uuid: Type.String({ format: 'uuid' }),
  organizationId: Type.String(),
  name: Type.String(),
  url: Type.String(),
  events: Type.Array(EventTypeSchema),
  createdAt: Type.String({ format: 'date-time' }),
});

const DeliverySchema = Type.Object({
  id: Type.String({ description: 'the agentgw-delivery header: the same on every attempt' }),
  eventId: Type.Integer(),
  eventType: EventTypeSchema,
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()], { description: 'the HTTP status of the last attempt; null when none came back' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const CreateWebhookBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 253 }),
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: EVENT_TYPES.length }),
    secret: Type.String({ minLength: 1, maxLength: 1024, description: 'the signing secret, at least 16 characters; never returned' }),
  },
  { additionalProperties: false },
);
const NameParams = Type.Object({ name: Reference('the webhook’s name') });
const DeliveriesQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false });

export async function webhookRoutes(app: FastifyInstance, { runtime }: RouteOptions): Promise<void> {
  const service = (request: FastifyRequest) => new WebhookService(runtime.context(request.organizationId, actorOf(request)));

  app.get(
    '/webhooks',
    { config: { scope: 'read' }, schema: { tags, summary: 'List webhooks (never their secrets)', response: { 200: Type.Object({ webhooks: Type.Array(WebhookSchema) }), ...problemResponses } } },
    async (request) => ({ webhooks: await service(request).list() }),
  );

  app.post<{ Body: Static<typeof CreateWebhookBody> }>(
    '/webhooks',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Create a webhook: a URL that gets the events of the types it lists, signed', body: CreateWebhookBody, response: { 201: WebhookSchema, ...problemResponses } },
    },
    async (request, reply) => {
      const created = await service(request).create(request.body);
      void reply.code(201);
      return created;
    },
  );

  app.get<{ Params: Static<typeof NameParams> }>(
    '/webhooks/:name',
    { config: { scope: 'read' }, schema: { tags, summary: 'One webhook', params: NameParams, response: { 200: WebhookSchema, ...problemResponses } } },
    async (request) => service(request).get(request.params.name),
  );

  app.delete<{ Params: Static<typeof NameParams> }>(
    '/webhooks/:name',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Delete a webhook and its deliveries', params: NameParams, response: problemResponses } },
    async (request, reply) => {
      await service(request).delete(request.params.name);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof NameParams>; Querystring: Static<typeof DeliveriesQuery> }>(
    '/webhooks/:name/deliveries',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'A webhook’s deliveries, newest first', params: NameParams, querystring: DeliveriesQuery, response: { 200: Type.Object({ deliveries: Type.Array(DeliverySchema) }), ...problemResponses } },
    },
    async (request) => ({ deliveries: await service(request).deliveries(request.params.name, request.query.limit) }),
  );
}
