/**
 * Reading the event log: pages for `GET /api/v1/events` and `agentgw events`, and a follower that
 * reads what comes after the last id it handed out, for the stream and `events --follow`.
 *
 * @example
 * const { events, nextCursor } = await new EventService(runtime.context()).list({ types: ['gateway.status_changed'], since: '10m' });
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_TYPES, isEventType, type AgentgwEvent, type EventFilter, type EventType } from '../domain/events.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { parseDuration } from '../config/duration.js';
import { EventRepository, latestEventId } from '../store/repositories/events.js';
import { GatewayRepository } from '../store/repositories/gateways.js';
import type { ServiceContext } from './context.js';
import { parseLimit } from './pagination.js';

export interface EventQuery {
  types?: readonly string[];
  /** A gateway's name or uuid. */
  gateway?: string;
  /** A duration back from now ("10m") or an ISO time. */
  since?: string;
  limit?: number;
  cursor?: string;
  /** Only events after this id (a stream's Last-Event-ID). */
  afterId?: number;
}

export interface EventPage {
  events: AgentgwEvent[];
  /** Pass back as `cursor` for the next page; null when this page was the last one. */
  nextCursor: string | null;
}

/** A query checked and resolved: what the repository reads with. */
export type ResolvedEventQuery = EventFilter & { limit: number };

export class EventService {
  private readonly events: EventRepository;

  constructor(private readonly context: Pick<ServiceContext, 'store' | 'clock' | 'organizationId'>) {
    this.events = new EventRepository(context.store, context.organizationId);
  }

  async list(query: EventQuery = {}): Promise<EventPage> {
    const resolved = await this.resolve(query);
    const events = await this.events.list(resolved);
    const last = events.at(-1);
    return { events, nextCursor: events.length === resolved.limit && last !== undefined ? encodeEventCursor(last.id) : null };
  }

  /** Checks a query and turns its gateway into a uuid (an unknown gateway is an error, not "no events"). */
  async resolve(query: EventQuery): Promise<ResolvedEventQuery> {
    const types = (query.types ?? []).map((type) => {
      if (!isEventType(type)) throw ValidationError.field('type', `"${type}" is not an event type; use one of ${EVENT_TYPES.join(', ')}`);
      return type;
    });
    const filter: ResolvedEventQuery = { limit: parseLimit(query.limit) };
    if (types.length > 0) filter.types = types as EventType[];
    if (query.since !== undefined) filter.since = parseSince(query.since, this.context.clock());
    const after = query.cursor === undefined ? query.afterId : decodeEventCursor(query.cursor);
    if (after !== undefined) filter.afterId = after;
    if (query.gateway !== undefined) {
      const gateway = await new GatewayRepository(this.context.store, this.context.organizationId).find(query.gateway);
      if (!gateway) throw new NotFoundError('gateway', query.gateway, { hint: 'list gateways with: agentgw gateway list' });
      filter.gatewayUuid = gateway.uuid;
    }
    return filter;
  }

  /** The newest event's id (0 when the log is empty): where a follower with no place to resume from starts. */
  async latestId(): Promise<number> {
    return latestEventId(this.context.store);
  }

  /** The next events after `afterId` that `filter` keeps, oldest first. */
  async after(filter: ResolvedEventQuery, afterId: number | undefined): Promise<AgentgwEvent[]> {
    return this.events.list({ ...filter, ...(afterId === undefined ? {} : { afterId }) });
  }
}

/** How often an in-process follower reads the table. */
export const FOLLOW_POLL_MS = 500;

/**
 * Events as they are written, read from the table: after `query.afterId`, from `query.since`, or
 * from now. Ends when `signal` aborts.
 */
export async function* followEvents(service: EventService, query: EventQuery, signal: AbortSignal, pollMs = FOLLOW_POLL_MS): AsyncGenerator<AgentgwEvent> {
  const filter = await service.resolve({ ...query, limit: MAX_FOLLOW_BATCH });
  let afterId = filter.afterId ?? (filter.since === undefined ? await service.latestId() : undefined);
  while (!signal.aborted) {
    const events = await service.after(filter, afterId);
    for (const event of events) {
      afterId = event.id;
      yield event;
    }
    if (events.length < MAX_FOLLOW_BATCH) await sleep(pollMs, undefined, { signal }).catch(() => undefined);
  }
}

const MAX_FOLLOW_BATCH = 500;

/** "10m" back from now, or an ISO time. */
export function parseSince(text: string, now: Date): Date {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now.getTime() - ms);
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(time.getTime())) throw ValidationError.field('since', `"${text}" is neither a duration (10m, 2h) nor an ISO time`);
  return time;
}

export function encodeEventCursor(afterId: number): string {
  return Buffer.from(JSON.stringify({ afterId })).toString('base64url');
}

function decodeEventCursor(cursor: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { afterId?: unknown };
    if (typeof decoded.afterId === 'number' && Number.isSafeInteger(decoded.afterId) && decoded.afterId >= 0) return decoded.afterId;
  } catch {
    // reported below
  }
  throw ValidationError.field('cursor', 'is not a cursor this server issued');
}
