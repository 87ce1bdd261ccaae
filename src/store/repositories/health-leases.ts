/**
 * The health monitor's queries: lease the gateways that are due, then store a batch of check
 * results and release their leases, fenced by the lease owner.
 *
 * Several daemons on one PostgreSQL split the work through these leases: a claim takes due rows
 * nobody holds (`FOR UPDATE SKIP LOCKED`, so two claims never wait on or take the same row), and
 * marks them `lease_owner = me` until `lease_until`. A completion only touches rows still leased
 * to the writer, so a daemon that stalled past its lease cannot overwrite the daemon that took
 * the gateway over; a killed daemon's rows become claimable again when their lease runs out.
 * SQLite serves a single daemon, so its claim is a plain due query.
 *
 * Times are the application's (the monitor's clock), not the database's: daemons are expected to
 * keep NTP time, and the lease TTL absorbs small skews.
 *
 * @example
 * const leases = new HealthLeaseRepository(store);
 * const due = await leases.claim({ owner: 'host:42', now, dueBy: now, leaseUntil, limit: 200, adapterType: 'on-premise' });
 * await leases.complete('host:42', results);
 */
import { sql } from 'kysely';
import { MONITOR_ACTOR } from '../../domain/events.js';
import type { AdapterType, GatewayStatus, GatewayType } from '../../domain/types.js';
import type { Store } from '../database.js';
import { appendEvent, notifyEvents, orderLock, statusChangedEvent } from './events.js';
import type { GatewayRecord } from './gateway-rows.js';
import type { HealthRecord } from './gateways.js';

export interface ClaimRequest {
  owner: string;
  now: Date;
  /** Rows whose next check is at or before this time (or was never scheduled). */
  dueBy: Date;
  leaseUntil: Date;
  limit: number;
  /** Only gateways the active adapter can reach. */
  adapterType: AdapterType;
}

/**
 * A leased gateway: what its check needs (the adapter's target, the state machine's counters),
 * and when the check was due (null: never scheduled). Not the whole record: the monitor claims a
 * round's worth of these per interval, and the columns it never reads (timestamps, metadata) were
 * a tenth of a check's CPU to send and parse.
 */
export type ClaimedGateway = Pick<
  GatewayRecord,
  | 'uuid'
  | 'name'
  | 'type'
  | 'status'
  | 'controlPlaneUrl'
  | 'endpoint'
  | 'region'
  | 'adapterType'
  | 'adapterConfig'
  | 'credentials'
  | 'consecutiveFailures'
  | 'consecutiveSuccesses'
> & { dueAt: Date | null };

/** One check's result, as the state machine decided it, and when to check again. */
export interface CheckResult extends HealthRecord {
  uuid: string;
  nextCheckAt: Date;
}

export interface CompletionReport {
  /** Stored, with a status event when the status changed. */
  applied: string[];
  /** The status changed meanwhile (an on-demand check, another writer): lease released, result dropped. */
  superseded: string[];
  /** Neither: the lease was lost (expired and taken over) or the gateway was deleted. */
  lost: string[];
}

export class HealthLeaseRepository {
  constructor(private readonly store: Store) {}

  /** Leases up to `limit` due gateways, oldest due first, and returns them with when each was due. */
  async claim(request: ClaimRequest): Promise<ClaimedGateway[]> {
    if (request.limit <= 0) return [];
    const { codec, db } = this.store;
    let due = db
      .selectFrom('gateways')
      .select('uuid')
      .where('adapter_type', '=', request.adapterType)
      .where((eb) => eb.or([eb('next_check_at', '<=', codec.time(request.dueBy)), eb('next_check_at', 'is', null)]))
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', codec.time(request.now))]))
      .orderBy('next_check_at')
      .limit(request.limit);
    if (this.store.dialect === 'postgres') due = due.forUpdate().skipLocked();
    const rows = await db
      .updateTable('gateways')
      .set({ lease_owner: request.owner, lease_until: codec.time(request.leaseUntil) })
      .where('uuid', 'in', due)
      .returning([
        'uuid',
        'name',
        'gateway_type',
        'status',
        'control_plane_url',
        'endpoint',
        'region',
        'adapter_type',
        'adapter_config',
        'credentials',
        'consecutive_failures',
        'consecutive_successes',
        'next_check_at',
      ])
      .execute();
    return rows.map((row) => ({
      uuid: row.uuid,
      name: row.name,
      type: row.gateway_type as GatewayType,
      status: row.status as GatewayStatus,
      controlPlaneUrl: row.control_plane_url,
      endpoint: row.endpoint,
      region: row.region,
      adapterType: row.adapter_type as AdapterType,
      adapterConfig: codec.readJson<Record<string, unknown> | null>(row.adapter_config) ?? {},
      credentials: row.credentials,
      consecutiveFailures: Number(row.consecutive_failures),
      consecutiveSuccesses: Number(row.consecutive_successes),
      dueAt: codec.readTimeOrNull(row.next_check_at),
    }));
  }

  /**
   * Stores a batch of results in one statement (PostgreSQL) or one transaction (SQLite). Per row:
   * written only while the writer still holds the lease and the status is still the one the
   * decision started from; a status change adds an event row; the lease is released and the next
   * check scheduled even when the status moved on.
   */
  async complete(owner: string, results: readonly CheckResult[]): Promise<CompletionReport> {
    if (results.length === 0) return { applied: [], superseded: [], lost: [] };
    const outcome = this.store.dialect === 'postgres' ? await this.completePostgres(owner, results) : await this.completeSqlite(owner, results);
    const applied = new Set(outcome.applied);
    const superseded = new Set(outcome.superseded);
    return {
      applied: outcome.applied,
      superseded: outcome.superseded,
      lost: results.filter((r) => !applied.has(r.uuid) && !superseded.has(r.uuid)).map((r) => r.uuid),
    };
  }

  /** Gives leased gateways back unchecked (a stopping monitor's queue); their schedule is kept. */
  async release(owner: string, uuids: readonly string[]): Promise<void> {
    if (uuids.length === 0) return;
    await this.store.db
      .updateTable('gateways')
      .set({ lease_owner: null, lease_until: null })
      .where('uuid', 'in', [...uuids])
      .where('lease_owner', '=', owner)
      .execute();
  }

  /**
   * The initial jitter: gateways whose schedule is stale (never set, or overdue by more than an
   * interval — nobody has been checking them) get a next check spread uniformly over the coming
   * interval, instead of all being due in the same instant. Returns how many were spread.
   *
   * The times are whole milliseconds in [now + 1 ms, now + interval), as the monitor's clock keeps
   * them: a due time a fraction of a millisecond past a claim's `dueBy` would read back (as a Date)
   * as due at it, yet not be claimed; and none is due in the very instant of the spread.
   */
  async spreadStale(now: Date, intervalMs: number, adapterType: AdapterType): Promise<number> {
    const { codec, db } = this.store;
    const stale = new Date(now.getTime() - intervalMs);
    const span = Math.max(1, Math.round(intervalMs) - 1);
    const spread =
      this.store.dialect === 'postgres'
        ? sql<Date>`${codec.time(now)}::timestamptz + (1 + floor(random() * ${span}::integer)) * interval '1 millisecond'`
        : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', ${codec.time(now)}, '+' || ((1 + abs(random()) % ${span}) / 1000.0) || ' seconds')`;
    const result = await db
      .updateTable('gateways')
      .set({ next_check_at: spread })
      .where('adapter_type', '=', adapterType)
      .where((eb) => eb.or([eb('next_check_at', 'is', null), eb('next_check_at', '<', codec.time(stale))]))
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', codec.time(now))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  private async completePostgres(owner: string, results: readonly CheckResult[]): Promise<{ applied: string[]; superseded: string[] }> {
    // The batch as one JSON parameter, whatever its size: the statement text never changes, so it
    // is prepared once per connection, and the driver sends one string made by JSON.stringify
    // (native) instead of escaping 14 arrays element by element in JavaScript (a tenth of a
    // check's CPU). PostgreSQL reads the rows back with json_to_recordset. Bound as text: bound as
    // json, the driver would stringify the string again.
    const rows = sql`select * from json_to_recordset(${JSON.stringify(results.map(asJsonRow))}::text::json) as r(
      uuid uuid, prev_status varchar, status varchar, checked_at timestamptz, heartbeat timestamptz, response_time_ms integer,
      error_message text, error_class varchar, failures integer, successes integer, set_endpoint integer, endpoint text,
      reason text, next_check_at timestamptz)`;
    // Both updates read the same snapshot, so they touch disjoint rows. When another writer changes
    // a row's status between that snapshot and the update, neither applies: the lease then simply
    // runs out and the gateway is checked again.
    // A batch with a status change writes its events in the same statement, still one round trip:
    // the insert joins the CTE that takes the lock ordering event ids (events.ts), so the lock is
    // held before the first id is drawn, until the statement's commit; its RETURNING sends the
    // NOTIFY (once per statement: PostgreSQL folds identical notifications of a transaction).
    const transitions = results.some((r) => r.status !== r.previousStatus);
    const lockFirst = transitions ? sql`order_lock as (select ${orderLock()} as locked),` : sql``;
    const changeEvents = sql`,
      change_events as (
        insert into events (occurred_at, type, organization_uuid, subject_kind, subject_uuid, subject_name, gateway_uuid, actor, data)
        select v.checked_at, 'gateway.status_changed', applied.organization_uuid, 'gateway', v.uuid, applied.name, v.uuid, ${MONITOR_ACTOR},
               jsonb_build_object('from', v.prev_status, 'to', v.status, 'errorClass', v.error_class, 'reason', v.reason)
        from v join applied on applied.uuid = v.uuid cross join order_lock
        where v.status <> v.prev_status
        order by v.checked_at
        returning ${notifyEvents()} as woke
      )`;
    const { rows: written } = await sql<{ uuid: string; outcome: 'applied' | 'superseded' }>`
      with ${lockFirst} v (uuid, prev_status, status, checked_at, heartbeat, response_time_ms, error_message, error_class,
              failures, successes, set_endpoint, endpoint, reason, next_check_at) as (${rows}),
      applied as (
        update gateways as g set
          status = v.status,
          status_changed_at = case when v.status <> v.prev_status then v.checked_at else g.status_changed_at end,
          last_heartbeat = coalesce(v.heartbeat, g.last_heartbeat),
          endpoint = case when v.set_endpoint = 1 then v.endpoint else g.endpoint end,
          last_checked_at = v.checked_at,
          response_time_ms = v.response_time_ms,
          error_message = v.error_message,
          error_class = v.error_class,
          consecutive_failures = v.failures,
          consecutive_successes = v.successes,
          next_check_at = v.next_check_at,
          lease_owner = null,
          lease_until = null
        from v
        where g.uuid = v.uuid and g.lease_owner = ${owner} and g.status = v.prev_status
        returning g.uuid, g.name, g.organization_uuid
      ),
      superseded as (
        update gateways as g set next_check_at = v.next_check_at, lease_owner = null, lease_until = null
        from v
        where g.uuid = v.uuid and g.lease_owner = ${owner} and g.status <> v.prev_status
        returning g.uuid
      ),
      events as (
        insert into gateway_status_events (gateway_uuid, from_status, to_status, reason, error_class, occurred_at)
        select v.uuid, v.prev_status, v.status, v.reason, v.error_class, v.checked_at
        from v join applied on applied.uuid = v.uuid
        where v.status <> v.prev_status
      )${transitions ? changeEvents : sql``}
      select uuid::text as uuid, 'applied' as outcome from applied
      union all
      select uuid::text as uuid, 'superseded' as outcome from superseded
    `.execute(this.store.db);
    return {
      applied: written.filter((w) => w.outcome === 'applied').map((w) => w.uuid),
      superseded: written.filter((w) => w.outcome === 'superseded').map((w) => w.uuid),
    };
  }

  private async completeSqlite(owner: string, results: readonly CheckResult[]): Promise<{ applied: string[]; superseded: string[] }> {
    const { codec } = this.store;
    const applied: string[] = [];
    const superseded: string[] = [];
    // One local transaction: the statements cost no round trips, only the commit's fsync.
    await this.store.db.transaction().execute(async (trx) => {
      for (const r of results) {
        const changed = r.status !== r.previousStatus;
        const stored = await trx
          .updateTable('gateways')
          .set({
            status: r.status,
            ...(changed ? { status_changed_at: codec.time(r.checkedAt) } : {}),
            ...(r.healthy ? { last_heartbeat: codec.time(r.checkedAt) } : {}),
            ...(r.endpoint === undefined ? {} : { endpoint: r.endpoint }),
            last_checked_at: codec.time(r.checkedAt),
            response_time_ms: r.responseTimeMs,
            error_message: r.errorMessage,
            error_class: r.errorClass,
            consecutive_failures: r.consecutiveFailures,
            consecutive_successes: r.consecutiveSuccesses,
            next_check_at: codec.time(r.nextCheckAt),
            lease_owner: null,
            lease_until: null,
          })
          .where('uuid', '=', r.uuid)
          .where('lease_owner', '=', owner)
          .where('status', '=', r.previousStatus)
          .returning(['name', 'organization_uuid'])
          .executeTakeFirst();
        if (stored !== undefined) {
          applied.push(r.uuid);
          if (changed) {
            await appendEvent(trx, codec, statusChangedEvent({ uuid: r.uuid, name: stored.name, organizationId: stored.organization_uuid }, r, MONITOR_ACTOR));
            await trx
              .insertInto('gateway_status_events')
              .values({
                gateway_uuid: r.uuid,
                from_status: r.previousStatus,
                to_status: r.status,
                reason: r.transitionReason,
                error_class: r.errorClass,
                occurred_at: codec.time(r.checkedAt),
              })
              .execute();
          }
          continue;
        }
        const released = await trx
          .updateTable('gateways')
          .set({ next_check_at: codec.time(r.nextCheckAt), lease_owner: null, lease_until: null })
          .where('uuid', '=', r.uuid)
          .where('lease_owner', '=', owner)
          .executeTakeFirst();
        if (Number(released.numUpdatedRows) > 0) superseded.push(r.uuid);
      }
    });
    return { applied, superseded };
  }
}

/**
 * One result as `completePostgres` sends it (the keys are json_to_recordset's columns). Free text
 * is made storable: a lone surrogate or a NUL (which PostgreSQL text cannot hold) would be a JSON
 * escape PostgreSQL refuses, failing the whole batch; each becomes U+FFFD.
 */
function asJsonRow(r: CheckResult) {
  const checkedAt = r.checkedAt.toISOString();
  return {
    uuid: r.uuid,
    prev_status: r.previousStatus,
    status: r.status,
    checked_at: checkedAt,
    heartbeat: r.healthy ? checkedAt : null,
    response_time_ms: r.responseTimeMs,
    error_message: wellFormed(r.errorMessage),
    error_class: r.errorClass,
    failures: r.consecutiveFailures,
    successes: r.consecutiveSuccesses,
    set_endpoint: r.endpoint === undefined ? 0 : 1,
    endpoint: wellFormed(r.endpoint ?? null),
    reason: wellFormed(r.transitionReason),
    next_check_at: r.nextCheckAt.toISOString(),
  };
}

/** With the `u` flag, only a surrogate without its pair matches. */
const LONE_SURROGATE = /\p{Cs}/gu;

function wellFormed(text: string | null): string | null {
  return text === null ? null : text.replace(LONE_SURROGATE, '\ufffd').replaceAll('\u0000', '\ufffd');
}
