/**
 * `GET /api/v1/events`: a page of the event log, oldest first, with a cursor for the next one.
 * `GET /api/v1/events/stream`: the same filters as Server-Sent Events, resumable with
 * Last-Event-ID (see event-stream.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EVENT_TYPES, type AgentgwEvent } from '../../domain/events.js';
import { ValidationError } from '../../domain/errors.js';
import { EventService, type EventQuery } from '../../services/events.js';
import { MAX_PAGE_SIZE } from '../../services/pagination.js';
import type { EventWakeups } from '../../store/event-wakeups.js';
import { EventStream } from '../event-stream.js';
import type { RouteOptions } from '../http.js';
import { problemResponses, Reference } from '../schemas.js';

export interface EventStreams {
  wakeups: EventWakeups;
  heartbeatMs: number;
  open: Set<EventStream>;
}

const EventSchema = Type.Object({
  id: Type.Integer({ description: 'only grows; resume after it' }),
  time: Type.String({ format: 'date-time' }),
  type: Type.Union(EVENT_TYPES.map((type) => Type.Literal(type))),
  organizationId: Type.String(),
  subject: Type.Object({ kind: Type.String(), uuid: Type.String(), name: Type.String() }),
  actor: Type.String({ description: 'the API token’s name, local:<os user> in-process, or system:<part>' }),
  data: Type.Object({}, { additionalProperties: true }),
});

const EventPageSchema = Type.Object({
  events: Type.Array(EventSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as ?cursor= for the next page; null on the last page' }),
});

const filters = {
  type: Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { maxItems: EVENT_TYPES.length })], {
      description: 'an event type; repeat it, or separate types with commas, for several',
    }),
  ),
  gateway: Type.Optional(Reference('a gateway’s name or uuid: its events and its deployments’')),
  since: Type.Optional(Type.String({ minLength: 1, description: 'a duration back from now (10m, 2h, 7d) or an ISO time' })),
};
const EventsQuery = Type.Object(
  {
    ...filters,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `page size (default 100, at most ${MAX_PAGE_SIZE})` })),
    cursor: Type.Optional(Type.String({ minLength: 1, description: 'the nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
const StreamQuery = Type.Object(filters, { additionalProperties: false });

type Filters = Static<typeof StreamQuery>;

function queryOf(filters: Filters): EventQuery {
  const types = filters.type === undefined ? [] : (Array.isArray(filters.type) ? filters.type : [filters.type]).flatMap((t) => t.split(','));
  return {
    ...(types.length > 0 ? { types } : {}),
    ...(filters.gateway === undefined ? {} : { gateway: filters.gateway }),
    ...(filters.since === undefined ? {} : { since: filters.since }),
  };
}

function lastEventId(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined || header === '') return undefined;
  const text = Array.isArray(header) ? header[0]! : header;
  if (!/^\d{1,15}$/.test(text)) throw ValidationError.field('Last-Event-ID', `"${text.slice(0, 40)}" is not an event id this server sent`);
  return Number(text);
}

export async function eventRoutes(app: FastifyInstance, { runtime, streams }: RouteOptions & { streams: EventStreams }): Promise<void> {
  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    '/events',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['events'],
        summary: 'The event log, oldest first: every change, who made it, and every status change',
        querystring: EventsQuery,
        response: { 200: EventPageSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { limit, cursor, ...rest } = request.query;
      return new EventService(runtime.context(request.organizationId)).list({
        ...queryOf(rest),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );

  app.get<{ Querystring: Static<typeof StreamQuery> }>(
    '/events/stream',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['events'],
        summary: 'The event log as Server-Sent Events; resume with Last-Event-ID',
        description: 'id: the event id; event: its type; data: the event JSON. A comment every 15 s keeps an idle stream alive.',
        querystring: StreamQuery,
        response: problemResponses,
      },
    },
    async (request, reply) => {
      const service = new EventService(runtime.context(request.organizationId));
      const query = queryOf(request.query);
      const resumeAfter = lastEventId(request);
      // Checked before the stream starts, so a bad filter is a problem+json answer, not a broken stream.
      const filter = await service.resolve({ ...query, ...(resumeAfter === undefined ? {} : { afterId: resumeAfter }) });
      // Without a place to resume from or a `since`, a stream starts with what happens next.
      const afterId = resumeAfter ?? (query.since === undefined ? await service.latestId() : undefined);
      reply.hijack();
      const stream = new EventStream(reply.raw, {
        service,
        filter,
        afterId,
        wakeups: streams.wakeups,
        heartbeatMs: streams.heartbeatMs,
        onError: (error) => request.log.warn({ err: error }, 'event stream: could not read the event log'),
        // A revoked token's stream ends when it tells of the revocation: the client's reconnect is
        // refused (401), which is how a following dashboard learns it without polling.
        ...(request.principal === null ? {} : { endsWith: revokes(request.principal.tokenId) }),
      });
      streams.open.add(stream);
      reply.raw.on('close', () => streams.open.delete(stream));
    },
  );
}

function revokes(tokenId: string): (event: AgentgwEvent) => boolean {
  return (event) => event.type === 'token.revoked' && event.subject.uuid === tokenId;
}
