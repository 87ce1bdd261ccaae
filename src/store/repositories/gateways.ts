/**
 * Gateways of one organization, with their environment mappings. A gateway and its mappings are
 * written in one transaction, so a failed registration leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { jsonArrayFrom as jsonArrayFromPostgres } from 'kysely/helpers/postgres';
import { jsonArrayFrom as jsonArrayFromSqlite } from 'kysely/helpers/sqlite';
import { ConflictError } from '../../domain/errors.js';
import { MONITOR_ACTOR, type NewEvent } from '../../domain/events.js';
import { environmentNotFound } from '../../domain/not-found.js';
import type { GatewayFilter, GatewayStatus, GatewayType, HealthErrorClass } from '../../domain/types.js';
import type { Store } from '../database.js';
import { FailedRead, readBatcherOf } from '../read-batcher.js';
import type { Database } from '../schema.js';
import { EnvironmentRepository } from './environments.js';
import { listQuery, listShape, listValues, placeholders, type ListValues, type PageOptions } from './gateway-list-query.js';
import { STATEMENTS } from '../statement-cache.js';
import { COLUMNS, gatewayRowOf, RETURNED_COLUMNS, toGatewayRecordWith, type GatewayRecord, type GatewayRow } from './gateway-rows.js';
import { appendEvent, statusChangedEvent } from './events.js';
import { isUuid } from './refs.js';

export type { GatewayRecord } from './gateway-rows.js';

/** A gateway as it is registered: the rest of its record is the store's to fill in. */
export type NewGateway = Pick<
  GatewayRecord,
  'name' | 'displayName' | 'type' | 'status' | 'controlPlaneUrl' | 'endpoint' | 'region' | 'adapterType' | 'adapterConfig' | 'metadata' | 'credentials' | 'responseTimeMs'
> & {
  /** When registration's check found it healthy; null when it did not. */
  lastHeartbeat: Date | null;
};

export interface GatewayChanges {
  displayName?: string;
  controlPlaneUrl?: string | null;
  endpoint?: string | null;
  region?: string | null;
  adapterConfig?: Record<string, unknown>;
  credentials?: string | null;
  status?: GatewayStatus;
}

/** The result of one health check, as the state machine decided it. */
export interface HealthRecord {
  status: GatewayStatus;
  previousStatus: GatewayStatus;
  checkedAt: Date;
  healthy: boolean;
  responseTimeMs: number | null;
  errorMessage: string | null;
  errorClass: HealthErrorClass | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  endpoint?: string | null;
  /** Why the status changed, when it did. */
  transitionReason: string | null;
}

export interface ReadOptions {
  /** Read the gateway's environments in the same statement (one round trip instead of two). */
  withEnvironments?: boolean;
}

export interface ListOptions extends ReadOptions, PageOptions {}

export class GatewayRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  /** Inserts a gateway, its mappings, its first status and the event `registered` makes of it, in one transaction. */
  async insert(input: NewGateway, environmentUuids: readonly string[], now: Date, registered?: (uuid: string) => NewEvent): Promise<GatewayRecord> {
    const uuid = randomUUID();
    const { codec } = this.store;
    try {
      await this.store.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('gateways')
          .values({
            uuid,
            organization_uuid: this.organizationId,
            name: input.name,
            display_name: input.displayName,
            gateway_type: input.type,
            status: input.status,
            status_changed_at: codec.time(now),
            control_plane_url: input.controlPlaneUrl,
            endpoint: input.endpoint,
            region: input.region,
            adapter_type: input.adapterType,
            adapter_config: codec.json(input.adapterConfig),
            metadata: codec.json(input.metadata),
            credentials: input.credentials,
            version: 1,
            last_heartbeat: input.lastHeartbeat === null ? null : codec.time(input.lastHeartbeat),
            last_checked_at: input.lastHeartbeat === null ? null : codec.time(input.lastHeartbeat),
            response_time_ms: input.responseTimeMs,
            error_message: null,
            error_class: null,
            consecutive_failures: 0,
            consecutive_successes: input.lastHeartbeat === null ? 0 : 1,
            next_check_at: codec.time(now),
            lease_owner: null,
            lease_until: null,
            created_at: codec.time(now),
            updated_at: codec.time(now),
          })
          .execute();
        if (environmentUuids.length > 0) {
          await trx
            .insertInto('gateway_environment_mappings')
            .values(environmentUuids.map((environmentUuid) => ({ gateway_uuid: uuid, environment_uuid: environmentUuid, created_at: codec.time(now) })))
            .execute();
        }
        await insertStatusEvent(trx, this.store, uuid, null, input.status, 'registered', null, now);
        if (registered !== undefined) await appendEvent(trx, codec, registered(uuid));
      });
    } catch (error) {
      if (codec.isUniqueViolation(error)) {
        throw gatewayExists(input.name);
      }
      if (codec.isForeignKeyViolation(error)) {
        throw new ConflictError('AGW_ENVIRONMENT_GONE', 'an environment of the gateway was deleted meanwhile');
      }
      throw error;
    }
    const created = await this.find(uuid);
    if (!created) throw new ConflictError('AGW_GATEWAY_GONE', `gateway "${input.name}" was deleted meanwhile`);
    return created;
  }

  /**
   * By uuid or by name. On PostgreSQL, finds that arrive together are answered by one statement
   * (see ReadBatcher).
   */
  async find(ref: string, options: ReadOptions = {}): Promise<GatewayRecord | undefined> {
    const byUuid = isUuid(ref);
    const withEnvironments = options.withEnvironments === true;
    if (this.store.dialect === 'postgres') {
      const group = `find:${this.organizationId}:${byUuid}:${withEnvironments}`;
      return readBatcherOf(this.store).read(group, byUuid ? ref.toLowerCase() : ref, (refs) => this.findEach(refs, byUuid, withEnvironments));
    }
    const build = (organizationId: string, value: string) => this.findQuery(organizationId, value, byUuid, withEnvironments);
    const compiled = STATEMENTS.compiled(`find:${this.store.dialect}:${byUuid}:${withEnvironments}`, (p) => build(p('organization'), p('ref')), {
      organization: this.organizationId,
      ref,
    });
    const { rows } = await this.store.db.executeQuery<GatewayRow & { environments?: unknown }>(compiled ?? build(this.organizationId, ref).compile());
    return rows[0] && this.toRecord(rows[0]);
  }

  /**
   * findMany, but a value PostgreSQL cannot take (a data exception, class 22) fails only the find
   * that asked for it: the others of its batch are answered one by one.
   */
  private async findEach(refs: string[], byUuid: boolean, withEnvironments: boolean): Promise<Array<GatewayRecord | undefined | FailedRead>> {
    try {
      return await this.findMany(refs, byUuid, withEnvironments);
    } catch (error) {
      if (refs.length === 1 || !isDataException(error)) throw error;
      const each = await Promise.allSettled(refs.map((ref) => this.findMany([ref], byUuid, withEnvironments)));
      return each.map((result) => (result.status === 'fulfilled' ? result.value[0] : new FailedRead(result.reason)));
    }
  }

  /** The gateways of these refs (all uuids, lower case, or all names), in their order (PostgreSQL only). */
  private async findMany(refs: string[], byUuid: boolean, withEnvironments: boolean): Promise<Array<GatewayRecord | undefined>> {
    const build = (organizationId: string, values: string[]) => {
      const query = this.store.db
        .selectFrom('gateways as g')
        .select(COLUMNS)
        .where('g.organization_uuid', '=', organizationId)
        .where(byUuid ? 'g.uuid' : 'g.name', '=', byUuid ? sql<string>`any(${values}::uuid[])` : sql<string>`any(${values}::text[])`);
      return withEnvironments ? query.select((eb) => this.environmentsColumn(eb)) : query;
    };
    const compiled = STATEMENTS.compiled(`find-many:${byUuid}:${withEnvironments}`, (p) => build(p('organization'), p('refs')), {
      organization: this.organizationId,
      refs,
    });
    const { rows } = await this.store.db.executeQuery<GatewayRow & { environments?: unknown }>(compiled ?? build(this.organizationId, refs).compile());
    const found = new Map(rows.map((row) => [(byUuid ? row.uuid : row.name) as string, row]));
    return refs.map((ref) => {
      const row = found.get(ref);
      return row && this.toRecord(row);
    });
  }

  private findQuery(organizationId: string, ref: string, byUuid: boolean, withEnvironments: boolean) {
    const query = this.store.db
      .selectFrom('gateways as g')
      .select(COLUMNS)
      .where('g.organization_uuid', '=', organizationId)
      .where(byUuid ? 'g.uuid' : 'g.name', '=', ref);
    return withEnvironments ? query.select((eb) => this.environmentsColumn(eb)) : query;
  }

  /**
   * The seed's environment query: gateways filtered by type, status and environment (uuid or
   * name), ordered by name, a page at a time (keyset pagination on the unique name). The
   * environment is looked up first and its mappings are filtered by its uuid: PostgreSQL then
   * plans with that environment's share of the fleet (a small one is read from its mappings, a
   * large one by walking the name index), which it cannot see through a join on the name. An
   * environment that does not exist is an error (NotFoundError), never an empty list.
   */
  async list(filter: GatewayFilter, options: ListOptions = {}): Promise<GatewayRecord[]> {
    const withEnvironments = options.withEnvironments === true;
    const environment = filter.environment === undefined ? undefined : await this.environmentUuidOf(filter.environment);
    if (environment === null) throw environmentNotFound(filter.environment!);
    const build = (values: ListValues) => {
      const query = listQuery(this.store.db, this.store.codec.dialect, values).select(COLUMNS);
      return withEnvironments ? query.select((eb) => this.environmentsColumn(eb)) : query;
    };
    const values = listValues(this.organizationId, { ...filter, environment }, options);
    const statement = STATEMENTS.statement(`list:${this.store.dialect}:${listShape(values)}:${withEnvironments}`, (p) => build(placeholders(values, p)), values) ?? build(values).compile();
    if (this.store.directReads !== null) return (await this.store.directReads.values(statement)).map((row) => this.toRecord(gatewayRowOf(row)));
    const { rows } = await this.store.db.executeQuery<GatewayRow & { environments?: unknown }>(CompiledQuery.raw(statement.sql, [...statement.parameters]));
    return rows.map((row) => this.toRecord(row));
  }

  /** The uuid of this organization's environment named by `ref` (its uuid or its name); null when there is none. */
  private async environmentUuidOf(ref: string): Promise<string | null> {
    return (await new EnvironmentRepository(this.store, this.organizationId).find(ref))?.uuid ?? null;
  }

  /** A gateway's environments as a JSON array column, built by each dialect's JSON functions. */
  private environmentsColumn(eb: ExpressionBuilder<Database & { g: Database['gateways'] }, 'g'>) {
    const summaries = eb
      .selectFrom('gateway_environment_mappings as m')
      .innerJoin('environments as e', 'e.uuid', 'm.environment_uuid')
      .select(['e.uuid', 'e.name', 'e.display_name as displayName'])
      .whereRef('m.gateway_uuid', '=', 'g.uuid')
      .orderBy('e.name');
    return (this.store.dialect === 'postgres' ? jsonArrayFromPostgres(summaries) : jsonArrayFromSqlite(summaries)).as('environments');
  }

  /** The names of the gateways registered with this control-plane URL (a trailing slash aside). */
  async namesWithControlPlaneUrl(url: string): Promise<string[]> {
    const bare = url.replace(/\/+$/, '');
    const rows = await this.store.db
      .selectFrom('gateways')
      .select('name')
      .where('organization_uuid', '=', this.organizationId)
      .where('control_plane_url', 'in', [bare, `${bare}/`])
      .orderBy('name')
      .execute();
    return rows.map((row) => row.name);
  }

  /** How many gateways there are of each status and type (combinations with none are left out). */
  async countByStatusAndType(): Promise<Array<{ status: GatewayStatus; type: GatewayType; count: number }>> {
    const rows = await this.store.db
      .selectFrom('gateways')
      .select((eb) => ['status', 'gateway_type', eb.fn.countAll().as('n')])
      .where('organization_uuid', '=', this.organizationId)
      .groupBy(['status', 'gateway_type'])
      .execute();
    return rows.map((row) => ({ status: row.status as GatewayStatus, type: row.gateway_type as GatewayType, count: this.store.codec.count(row.n) }));
  }

  async count(): Promise<number> {
    const row = await this.store.db
      .selectFrom('gateways')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('organization_uuid', '=', this.organizationId)
      .executeTakeFirstOrThrow();
    return this.store.codec.count(row.n);
  }

  /**
   * Applies changes when the stored version is still `expectedVersion` (when given). Returns the
   * new record, or undefined when the row is gone or the version moved on.
   */
  async update(uuid: string, changes: GatewayChanges, now: Date, expectedVersion?: number): Promise<GatewayRecord | undefined> {
    const { codec } = this.store;
    let query = this.store.db
      .updateTable('gateways')
      .set((eb) => ({
        ...(changes.displayName === undefined ? {} : { display_name: changes.displayName }),
        ...(changes.controlPlaneUrl === undefined ? {} : { control_plane_url: changes.controlPlaneUrl }),
        ...(changes.endpoint === undefined ? {} : { endpoint: changes.endpoint }),
        ...(changes.region === undefined ? {} : { region: changes.region }),
        ...(changes.adapterConfig === undefined ? {} : { adapter_config: codec.json(changes.adapterConfig) }),
        ...(changes.credentials === undefined ? {} : { credentials: changes.credentials }),
        version: eb('version', '+', 1),
        updated_at: codec.time(now),
      }))
      .where('uuid', '=', uuid)
      .where('organization_uuid', '=', this.organizationId);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    // The row as this statement left it: a read afterwards could already see a later writer's
    // version, and hand this caller an ETag for a write it did not make.
    const row = await query.returning(RETURNED_COLUMNS).executeTakeFirst();
    return row && this.toRecord(row);
  }

  /**
   * Stores one health check. The write is conditional on the status the decision was based on,
   * so a concurrent writer's transition is never overwritten; returns false when it lost.
   */
  async recordHealth(uuid: string, health: HealthRecord, actor: string = MONITOR_ACTOR): Promise<boolean> {
    const { codec } = this.store;
    return this.store.db.transaction().execute(async (trx) => {
      const changed = health.status !== health.previousStatus;
      const result = await trx
        .updateTable('gateways')
        .set({
          status: health.status,
          ...(changed ? { status_changed_at: codec.time(health.checkedAt) } : {}),
          ...(health.healthy ? { last_heartbeat: codec.time(health.checkedAt) } : {}),
          ...(health.endpoint === undefined ? {} : { endpoint: health.endpoint }),
          last_checked_at: codec.time(health.checkedAt),
          response_time_ms: health.responseTimeMs,
          error_message: health.errorMessage,
          error_class: health.errorClass,
          consecutive_failures: health.consecutiveFailures,
          consecutive_successes: health.consecutiveSuccesses,
        })
        .where('uuid', '=', uuid)
        .where('status', '=', health.previousStatus)
        .returning(['name', 'organization_uuid'])
        .executeTakeFirst();
      if (result === undefined) return false;
      if (changed) {
        await insertStatusEvent(trx, this.store, uuid, health.previousStatus, health.status, health.transitionReason, health.errorClass, health.checkedAt);
        await appendEvent(trx, codec, statusChangedEvent({ uuid, name: result.name, organizationId: result.organization_uuid }, health, actor));
      }
      return true;
    });
  }

  private toRecord(row: GatewayRow & { environments?: unknown }): GatewayRecord {
    return toGatewayRecordWith(this.store.codec, row);
  }

}

/** PostgreSQL's "data exception" (SQLSTATE class 22): a value it cannot take, e.g. a NUL byte. */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

export function gatewayExists(name: string): ConflictError {
  return new ConflictError('AGW_GATEWAY_EXISTS', `gateway "${name}" already exists`, {
    hint: 'choose another name, or update the existing gateway',
  });
}

async function insertStatusEvent(
  db: Kysely<Database>,
  store: Store,
  gatewayUuid: string,
  from: GatewayStatus | null,
  to: GatewayStatus,
  reason: string | null,
  errorClass: HealthErrorClass | null,
  at: Date,
): Promise<void> {
  await db
    .insertInto('gateway_status_events')
    .values({ gateway_uuid: gatewayUuid, from_status: from, to_status: to, reason, error_class: errorClass, occurred_at: store.codec.time(at) })
    .execute();
}
