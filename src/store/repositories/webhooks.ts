/**
 * Webhooks and their deliveries. Deliveries are made by the events table's trigger (migration
 * 013), in the transaction of their event; a daemon claims due ones with a lease, as the health
 * monitor claims gateways (health-leases.ts): `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
 * daemons never take the same delivery, and a completion counts only while the lease is the
 * claimer's. A daemon that dies mid-delivery leaves its lease to run out, and the delivery is
 * taken again (a receiver may so see a delivery id twice; it never misses one).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { ConflictError } from '../../domain/errors.js';
import type { AgentgwEvent, EventType } from '../../domain/events.js';
import type { Store } from '../database.js';
import { eventOfRow } from './events.js';

export interface WebhookRecord {
  uuid: string;
  organizationId: string;
  name: string;
  url: string;
  eventTypes: EventType[];
  /** Sealed; opened only to sign. */
  sealedSecret: string;
  createdAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  uuid: string;
  webhookUuid: string;
  eventId: number;
  eventType: EventType;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A claimed delivery with what sending it takes. */
export interface DueDelivery {
  uuid: string;
  attempts: number;
  createdAt: Date;
  url: string;
  sealedSecret: string;
  event: AgentgwEvent;
}

export type DeliveryOutcome =
  | { delivered: true; status: number; at: Date }
  | { delivered: false; status: number | null; error: string; at: Date; retryAt: Date | null };

const COLUMNS = ['uuid', 'organization_uuid', 'name', 'url', 'event_types', 'secret', 'created_at'] as const;

export class WebhookRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  async insert(input: { name: string; url: string; eventTypes: EventType[]; sealedSecret: string }, now: Date): Promise<WebhookRecord> {
    const uuid = randomUUID();
    const { codec } = this.store;
    try {
      await this.store.db
        .insertInto('webhooks')
        .values({
          uuid,
          organization_uuid: this.organizationId,
          name: input.name,
          url: input.url,
          event_types: codec.json(input.eventTypes),
          secret: input.sealedSecret,
          created_at: codec.time(now),
        })
        .execute();
    } catch (error) {
      if (codec.isUniqueViolation(error)) {
        throw new ConflictError('AGW_WEBHOOK_EXISTS', `webhook "${input.name}" already exists`, { hint: 'choose another name, or delete the existing webhook' });
      }
      throw error;
    }
    return { uuid, organizationId: this.organizationId, ...input, createdAt: now };
  }

  async findByName(name: string): Promise<WebhookRecord | undefined> {
    const row = await this.store.db.selectFrom('webhooks').select(COLUMNS).where('organization_uuid', '=', this.organizationId).where('name', '=', name).executeTakeFirst();
    return row && this.toRecord(row);
  }

  async list(): Promise<WebhookRecord[]> {
    const rows = await this.store.db.selectFrom('webhooks').select(COLUMNS).where('organization_uuid', '=', this.organizationId).orderBy('name').execute();
    return rows.map((row) => this.toRecord(row));
  }

  /** Deletes a webhook and its deliveries. */
  async delete(uuid: string): Promise<boolean> {
    const result = await this.store.db.deleteFrom('webhooks').where('uuid', '=', uuid).where('organization_uuid', '=', this.organizationId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Newest first. */
  async deliveries(webhookUuid: string, limit: number): Promise<DeliveryRecord[]> {
    const { codec } = this.store;
    const rows = await this.store.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.uuid', 'd.webhook_uuid', 'd.event_id', 'e.type', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_status', 'd.last_error', 'd.created_at', 'd.delivered_at'])
      .where('d.webhook_uuid', '=', webhookUuid)
      .orderBy('d.event_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      uuid: row.uuid,
      webhookUuid: row.webhook_uuid,
      eventId: Number(row.event_id),
      eventType: row.type as EventType,
      status: row.status as DeliveryStatus,
      attempts: Number(row.attempts),
      nextAttemptAt: codec.readTime(row.next_attempt_at),
      lastStatus: row.last_status === null ? null : Number(row.last_status),
      lastError: row.last_error,
      createdAt: codec.readTime(row.created_at),
      deliveredAt: codec.readTimeOrNull(row.delivered_at),
    }));
  }

  private toRecord(row: Record<(typeof COLUMNS)[number], unknown>): WebhookRecord {
    const { codec } = this.store;
    return {
      uuid: row.uuid as string,
      organizationId: row.organization_uuid as string,
      name: row.name as string,
      url: row.url as string,
      eventTypes: codec.readJson<EventType[]>(row.event_types),
      sealedSecret: row.secret as string,
      createdAt: codec.readTime(row.created_at),
    };
  }
}

/** Leases up to `limit` due deliveries of every organization to `owner` until `leaseUntil`. */
export async function claimDeliveries(store: Store, owner: string, now: Date, leaseUntil: Date, limit: number): Promise<DueDelivery[]> {
  const { codec } = store;
  const due = store.db
    .selectFrom('webhook_deliveries')
    .select('uuid')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', codec.time(now))
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', codec.time(now))]))
    .orderBy('next_attempt_at')
    .limit(limit);
  const claimed = await store.db
    .updateTable('webhook_deliveries')
    .set({ lease_owner: owner, lease_until: codec.time(leaseUntil) })
    .where('uuid', 'in', store.dialect === 'postgres' ? due.forUpdate().skipLocked() : due)
    .returning('uuid')
    .execute();
  if (claimed.length === 0) return [];
  const rows = await store.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.uuid', 'd.webhook_uuid')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.uuid', 'd.attempts', 'd.created_at', 'w.url', 'w.secret'])
    .select(['e.id', 'e.occurred_at', 'e.type', 'e.organization_uuid', 'e.subject_kind', 'e.subject_uuid', 'e.subject_name', 'e.actor', 'e.data'])
    .where('d.uuid', 'in', claimed.map((row) => row.uuid))
    .execute();
  return rows.map((row) => ({
    uuid: row.uuid,
    attempts: Number(row.attempts),
    createdAt: codec.readTime(row.created_at),
    url: row.url,
    sealedSecret: row.secret,
    event: eventOfRow(row, codec),
  }));
}

/** Records an attempt, if `owner` still holds the delivery's lease. */
export async function completeDelivery(store: Store, uuid: string, owner: string, outcome: DeliveryOutcome): Promise<void> {
  const { codec } = store;
  await store.db
    .updateTable('webhook_deliveries')
    .set({
      attempts: sql`attempts + 1`,
      lease_owner: null,
      lease_until: null,
      last_status: outcome.status,
      ...(outcome.delivered
        ? { status: 'delivered', delivered_at: codec.time(outcome.at), last_error: null }
        : outcome.retryAt === null
          ? { status: 'failed', last_error: outcome.error }
          : { next_attempt_at: codec.time(outcome.retryAt), last_error: outcome.error }),
    })
    .where('uuid', '=', uuid)
    .where('lease_owner', '=', owner)
    .execute();
}
