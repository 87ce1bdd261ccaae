/**
 * The event log. `appendEvent` writes into the caller's transaction, so a change and its event
 * commit together or not at all. On PostgreSQL the writer first takes a transaction-scoped
 * advisory lock: ids are drawn and committed in order, so a reader that has seen id N never later
 * finds a smaller id appear (no gap on resume). The lock is held only from the event's insert to
 * the commit, which is the end of every transaction that writes one. A NOTIFY, delivered at
 * commit, wakes the streams of every daemon.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AgentgwEvent, EventFilter, EventSubjectKind, EventType, NewEvent } from '../../domain/events.js';
import type { GatewayStatus, HealthErrorClass } from '../../domain/types.js';
import type { Codec } from '../codec.js';
import type { Store } from '../database.js';
import type { Database, EventTable } from '../schema.js';

/** The channel PostgreSQL streams listen on; the payload is the schema the event went to. */
export const EVENTS_CHANNEL = 'agentgw_events';

// The two below are built when used, not when this module loads: the embedded store's reads run
// without Kysely (src/store/sqlite/open-sqlite.ts).

/** The advisory lock that orders event ids, per schema (test files share one database). */
export const orderLock = () => sql`pg_advisory_xact_lock(hashtext('agentgw.events.' || current_schema()))`;
export const notifyEvents = () => sql`pg_notify(${sql.lit(EVENTS_CHANNEL)}, current_schema())`;

const COLUMNS = ['id', 'occurred_at', 'type', 'organization_uuid', 'subject_kind', 'subject_uuid', 'subject_name', 'actor', 'data'] as const;

/** Appends one event on `db`, which must be the transaction of the change it records. */
export async function appendEvent(db: Kysely<Database>, codec: Codec, event: NewEvent): Promise<void> {
  await appendEvents(db, codec, [event]);
}

/** Appends events in one statement, on the transaction of the change they record. */
export async function appendEvents(db: Kysely<Database>, codec: Codec, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  if (codec.dialect === 'postgres') await sql`select ${orderLock()}`.execute(db);
  await db
    .insertInto('events')
    .values(
      events.map((event) => ({
        occurred_at: codec.time(event.time),
        type: event.type,
        organization_uuid: event.organizationId,
        subject_kind: event.subject.kind,
        subject_uuid: event.subject.uuid,
        subject_name: event.subject.name,
        gateway_uuid: event.gatewayUuid,
        actor: event.actor,
        data: codec.json(event.data),
      })),
    )
    .execute();
  if (codec.dialect === 'postgres') await sql`select ${notifyEvents()}`.execute(db);
}

/**
 * Runs `work` on a store bound to one transaction: repositories built on it write into that
 * transaction, and so does appendEvent on its `db`.
 */
export async function inTransaction<T>(store: Store, work: (tx: Store) => Promise<T>): Promise<T> {
  return store.db.transaction().execute((trx) => work({ ...store, db: trx, directReads: null }));
}

export class EventRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  /** Oldest first, after `afterId`. */
  async list(filter: EventFilter): Promise<AgentgwEvent[]> {
    const { codec } = this.store;
    let query = this.store.db.selectFrom('events').select(COLUMNS).where('organization_uuid', '=', this.organizationId);
    if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
    if (filter.since !== undefined) query = query.where('occurred_at', '>=', codec.time(filter.since));
    if (filter.types !== undefined && filter.types.length > 0) query = query.where('type', 'in', [...filter.types]);
    if (filter.gatewayUuid !== undefined) query = query.where('gateway_uuid', '=', filter.gatewayUuid);
    const rows = await query
      .orderBy('id')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((row) => eventOfRow(row, codec));
  }
}

/** An event as clients see it, from its row (the log's reads and the webhook deliveries'). */
export function eventOfRow(row: Pick<Selectable<EventTable>, 'id' | 'occurred_at' | 'type' | 'organization_uuid' | 'subject_kind' | 'subject_uuid' | 'subject_name' | 'actor' | 'data'>, codec: Codec): AgentgwEvent {
  return {
    id: Number(row.id),
    time: codec.readIsoTime(row.occurred_at),
    type: row.type as EventType,
    organizationId: row.organization_uuid,
    subject: { kind: row.subject_kind as EventSubjectKind, uuid: row.subject_uuid, name: row.subject_name },
    actor: row.actor,
    data: codec.readJson<Record<string, unknown>>(row.data),
  };
}

/** The newest event's id in the whole log (0 when empty). */
export async function latestEventId(store: Store): Promise<number> {
  const row = await store.db.selectFrom('events').select((eb) => eb.fn.max('id').as('latest')).executeTakeFirst();
  return Number(row?.latest ?? 0);
}

/** Deletes the events of every organization older than `before`; returns how many. */
export async function pruneEvents(store: Store, before: Date): Promise<number> {
  const result = await store.db.deleteFrom('events').where('occurred_at', '<', store.codec.time(before)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** What a gateway.status_changed event says: the transition and the error class of the check that made it. */
export function statusChangedEvent(
  gateway: { uuid: string; name: string; organizationId: string },
  change: { previousStatus: GatewayStatus; status: GatewayStatus; errorClass: HealthErrorClass | null; transitionReason: string | null; checkedAt: Date },
  actor: string,
): NewEvent {
  return {
    type: 'gateway.status_changed',
    organizationId: gateway.organizationId,
    subject: { kind: 'gateway', uuid: gateway.uuid, name: gateway.name },
    actor,
    time: change.checkedAt,
    gatewayUuid: gateway.uuid,
    data: { from: change.previousStatus, to: change.status, errorClass: change.errorClass, reason: change.transitionReason },
  };
}
