/**
 * Webhooks: a URL that gets every event of the types it subscribes to, signed with its secret
 * (sealed at rest, never returned). Creating and deleting one are events themselves. Sending is
 * the daemon's (src/webhooks/deliverer.ts); this service manages them and shows their deliveries.
 *
 * @example
 * await new WebhookService(runtime.context()).create({ name: 'pager', url: 'https://example.com/hook', events: ['gateway.status_changed'], secret });
 */
import { NotFoundError } from '../domain/errors.js';
import { EVENT_TYPES, isEventType, type EventType } from '../domain/events.js';
import { HTTP_URL_EXPECTED, httpUrlProblem } from '../domain/http-url.js';
import { checkName, FieldErrors } from '../domain/validation.js';
import { appendEvent, inTransaction } from '../store/repositories/events.js';
import { WebhookRepository, type DeliveryRecord, type DeliveryStatus, type WebhookRecord } from '../store/repositories/webhooks.js';
import type { ServiceContext } from './context.js';
import { eventOf } from './event-of.js';
import { rejectUnknownFields } from './input.js';

export interface CreateWebhookInput {
  name: string;
  url: string;
  events: string[];
  /** The signing secret (at least 16 characters); the receiver verifies signatures with it. */
  secret: string;
}

/** A webhook as the API shows it: never its secret. */
export interface Webhook {
  uuid: string;
  organizationId: string;
  name: string;
  url: string;
  events: EventType[];
  createdAt: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: number;
  eventType: EventType;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const MIN_SECRET = 16;
const MAX_URL = 2048;

export class WebhookService {
  private readonly webhooks: WebhookRepository;

  constructor(private readonly context: Pick<ServiceContext, 'store' | 'clock' | 'organizationId' | 'actor' | 'secrets' | 'refusedDestination'>) {
    this.webhooks = new WebhookRepository(context.store, context.organizationId);
  }

  async create(input: CreateWebhookInput): Promise<Webhook> {
    rejectUnknownFields(input, ['name', 'url', 'events', 'secret'], 'webhook');
    const errors = new FieldErrors();
    checkName(errors, 'name', input.name);
    checkUrl(errors, input.url);
    if (!Array.isArray(input.events) || input.events.length === 0) errors.add('events', 'must list at least one event type');
    else for (const type of input.events) if (typeof type !== 'string' || !isEventType(type)) errors.add('events', `"${String(type)}" is not an event type; use one of ${EVENT_TYPES.join(', ')}`);
    if (typeof input.secret !== 'string' || input.secret.length < MIN_SECRET) errors.add('secret', `must be at least ${MIN_SECRET} characters`);
    errors.throwIfAny('webhook');
    const refused = await this.context.refusedDestination?.(input.url);
    if (refused) errors.add('url', `refused by the egress policy: ${refused}`);
    errors.throwIfAny('webhook');
    const sealedSecret = this.context.secrets().seal({ secret: input.secret });
    const record = await inTransaction(this.context.store, async (tx) => {
      const inserted = await new WebhookRepository(tx, this.context.organizationId).insert(
        { name: input.name, url: input.url, eventTypes: [...new Set(input.events as EventType[])], sealedSecret },
        this.context.clock(),
      );
      await appendEvent(tx.db, tx.codec, eventOf(this.context, 'webhook.created', subjectOf(inserted), { url: inserted.url, events: inserted.eventTypes }));
      return inserted;
    });
    return present(record);
  }

  async list(): Promise<Webhook[]> {
    return (await this.webhooks.list()).map(present);
  }

  async get(name: string): Promise<Webhook> {
    return present(await this.require(name));
  }

  async delete(name: string): Promise<void> {
    const record = await this.require(name);
    const deleted = await inTransaction(this.context.store, async (tx) => {
      const gone = await new WebhookRepository(tx, this.context.organizationId).delete(record.uuid);
      if (gone) await appendEvent(tx.db, tx.codec, eventOf(this.context, 'webhook.deleted', subjectOf(record), { url: record.url }));
      return gone;
    });
    if (!deleted) throw notFound(name);
  }

  /** The webhook's deliveries, newest event first. */
  async deliveries(name: string, limit = 100): Promise<WebhookDelivery[]> {
    const record = await this.require(name);
    return (await this.webhooks.deliveries(record.uuid, limit)).map(presentDelivery);
  }

  private async require(name: string): Promise<WebhookRecord> {
    const found = await this.webhooks.findByName(name);
    if (!found) throw notFound(name);
    return found;
  }
}

function checkUrl(errors: FieldErrors, url: unknown): void {
  const problem = typeof url === 'string' ? httpUrlProblem(url, { maxLength: MAX_URL }) : `must be ${HTTP_URL_EXPECTED}`;
  if (problem !== null) errors.add('url', problem);
  else if (/^[a-z]+:\/\/[^/?#]*@/i.test(url as string)) errors.add('url', 'must not carry a user or password: the signature authenticates deliveries');
}

function notFound(name: string): NotFoundError {
  return new NotFoundError('webhook', name, { hint: 'list webhooks with: agentgw webhook list' });
}

function subjectOf(record: WebhookRecord) {
  return { kind: 'webhook' as const, uuid: record.uuid, name: record.name };
}

function present(record: WebhookRecord): Webhook {
  return { uuid: record.uuid, organizationId: record.organizationId, name: record.name, url: record.url, events: record.eventTypes, createdAt: record.createdAt.toISOString() };
}

function presentDelivery(record: DeliveryRecord): WebhookDelivery {
  return {
    id: record.uuid,
    eventId: record.eventId,
    eventType: record.eventType,
    status: record.status,
    attempts: record.attempts,
    lastStatus: record.lastStatus,
    lastError: record.lastError,
    nextAttemptAt: record.status === 'pending' ? record.nextAttemptAt.toISOString() : null,
    createdAt: record.createdAt.toISOString(),
    deliveredAt: record.deliveredAt?.toISOString() ?? null,
  };
}
