/**
 * Gateways of one organization, with their environment mappings. A gateway and its mappings are
 * written in one transaction, so a failed registration leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { CompiledQuery, type ExpressionBuilder, type Kysely } from 'kysely';
import { jsonArrayFrom as jsonArrayFromPostgres } from 'kysely/helpers/postgres';
import { jsonArrayFrom as jsonArrayFromSqlite } from 'kysely/helpers/sqlite';
import { ConflictError } from '../../domain/errors.js';
import type { AdapterType, EnvironmentSummary, GatewayFilter, GatewayStatus, GatewayType, HealthErrorClass } from '../../domain/types.js';
import type { Codec } from '../codec.js';
import type { Store } from '../database.js';
import type { Database } from '../schema.js';
import { isUuid } from './refs.js';

export interface GatewayRecord {
  uuid: string;
  organizationId: string;
  name: string;
  displayName: string;
  type: GatewayType;
  status: GatewayStatus;
  statusChangedAt: Date;
  controlPlaneUrl: string | null;
  endpoint: string | null;
  region: string | null;
  adapterType: AdapterType;
  adapterConfig: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** The sealed credentials envelope, or null. */
  credentials: string | null;
  version: number;
  lastHeartbeat: Date | null;
  lastCheckedAt: Date | null;
  responseTimeMs: number | null;
  errorMessage: string | null;
  errorClass: HealthErrorClass | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  createdAt: Date;
  updatedAt: Date;
  /** The gateway's environments (sorted by name), when the read asked for them. */
  environments?: EnvironmentSummary[];
}

export interface NewGateway {
  name: string;
  displayName: string;
  type: GatewayType;
  status: GatewayStatus;
  controlPlaneUrl: string | null;
  endpoint: string | null;
  region: string | null;
  adapterType: AdapterType;
  adapterConfig: Record<string, unknown>;
  metadata: Record<string, unknown>;
  credentials: string | null;
  lastHeartbeat: Date | null;
  responseTimeMs: number | null;
}

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

export interface ListOptions extends ReadOptions {
  limit?: number;
  /** The name of the last gateway of the previous page. */
  after?: string;
}

const COLUMNS = [
  'g.uuid',
  'g.organization_uuid',
  'g.name',
  'g.display_name',
  'g.gateway_type',
  'g.status',
  'g.status_changed_at',
  'g.control_plane_url',
  'g.endpoint',
  'g.region',
  'g.adapter_type',
  'g.adapter_config',
  'g.metadata',
  'g.credentials',
  'g.version',
  'g.last_heartbeat',
  'g.last_checked_at',
  'g.response_time_ms',
  'g.error_message',
  'g.error_class',
  'g.consecutive_failures',
  'g.consecutive_successes',
  'g.created_at',
  'g.updated_at',
] as const;

/** The same columns, unqualified, for RETURNING (named, not `*`: see the resources repository). */
export const RETURNED_COLUMNS = COLUMNS.map((column) => column.slice(2) as Unqualified<(typeof COLUMNS)[number]>);
type Unqualified<C> = C extends `g.${infer Name}` ? Name : never;

/** SQL of find(), by dialect and shape (see GatewayRepository.findSql). */
const FIND_SQL = new Map<string, string | null>();

export class GatewayRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  async insert(input: NewGateway, environmentUuids: readonly string[], now: Date): Promise<GatewayRecord> {
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

  /** By uuid or by name. */
  async find(ref: string, options: ReadOptions = {}): Promise<GatewayRecord | undefined> {
    const byUuid = isUuid(ref);
    const withEnvironments = options.withEnvironments === true;
    const sqlText = this.findSql(byUuid, withEnvironments);
    if (sqlText === null) {
      const row = await this.findQuery(this.organizationId, ref, byUuid, withEnvironments).executeTakeFirst();
      return row && this.toRecord(row);
    }
    const { rows } = await this.store.db.executeQuery<GatewayRow & { environments?: unknown }>(CompiledQuery.raw(sqlText, [this.organizationId, ref]));
    return rows[0] && this.toRecord(rows[0]);
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
   * find() is the hottest read, and Kysely builds and compiles a query on every call (a few
   * hundred microseconds for this one): its SQL is compiled once per shape and reused, when its
   * parameters are exactly (organization, ref); null means "build it each time".
   */
  private findSql(byUuid: boolean, withEnvironments: boolean): string | null {
    const key = `${this.store.dialect}:${byUuid}:${withEnvironments}`;
    let cached = FIND_SQL.get(key);
    if (cached === undefined) {
      const compiled = this.findQuery('\u0000organization', '\u0000ref', byUuid, withEnvironments).compile();
      const [first, second, ...rest] = compiled.parameters;
      cached = first === '\u0000organization' && second === '\u0000ref' && rest.length === 0 ? compiled.sql : null;
      FIND_SQL.set(key, cached);
    }
    return cached;
  }

  /**
   * The seed's environment query: gateways filtered by type, status and environment (uuid or
   * name), ordered by name, a page at a time (keyset pagination on the unique name).
   */
  async list(filter: GatewayFilter, options: ListOptions = {}): Promise<GatewayRecord[]> {
    let query = this.store.db.selectFrom('gateways as g').select(COLUMNS).where('g.organization_uuid', '=', this.organizationId);
    if (filter.type !== undefined) query = query.where('g.gateway_type', '=', filter.type);
    if (filter.status !== undefined) query = query.where('g.status', '=', filter.status);
    if (filter.environment !== undefined) {
      const environment = filter.environment;
      query = query.where('g.uuid', 'in', (eb) =>
        eb
          .selectFrom('gateway_environment_mappings as m')
          .innerJoin('environments as e', 'e.uuid', 'm.environment_uuid')
          .select('m.gateway_uuid')
          .where('e.organization_uuid', '=', this.organizationId)
          .where(isUuid(environment) ? 'e.uuid' : 'e.name', '=', environment),
      );
    }
    if (options.after !== undefined) query = query.where('g.name', '>', options.after);
    query = query.orderBy('g.name');
    if (options.limit !== undefined) query = query.limit(options.limit);
    const rows = await (options.withEnvironments ? query.select((eb) => this.environmentsColumn(eb)) : query).execute();
    return rows.map((row) => this.toRecord(row));
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
    return row && this.toRecord(row as unknown as GatewayRow);
  }

  /**
   * Stores one health check. The write is conditional on the status the decision was based on,
   * so a concurrent writer's transition is never overwritten; returns false when it lost.
   */
  async recordHealth(uuid: string, health: HealthRecord): Promise<boolean> {
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
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      if (changed) {
        await insertStatusEvent(trx, this.store, uuid, health.previousStatus, health.status, health.transitionReason, health.errorClass, health.checkedAt);
      }
      return true;
    });
  }

  private toRecord(row: GatewayRow & { environments?: unknown }): GatewayRecord {
    const record = toGatewayRecord(this.store.codec, row);
    if (row.environments !== undefined) record.environments = this.store.codec.readJson<EnvironmentSummary[]>(row.environments);
    return record;
  }
}

/** A gateways row, as a {@link GatewayRecord} is read from it (here and by the health monitor's leases). */
export type GatewayRow = Record<(typeof COLUMNS)[number] extends `g.${infer C}` ? C : never, unknown>;

export function toGatewayRecord(codec: Codec, row: GatewayRow): GatewayRecord {
  return {
    uuid: row.uuid as string,
    organizationId: row.organization_uuid as string,
    name: row.name as string,
    displayName: row.display_name as string,
    type: row.gateway_type as GatewayType,
    status: row.status as GatewayStatus,
    statusChangedAt: codec.readTime(row.status_changed_at),
    controlPlaneUrl: row.control_plane_url as string | null,
    endpoint: row.endpoint as string | null,
    region: row.region as string | null,
    adapterType: row.adapter_type as AdapterType,
    adapterConfig: codec.readJson<Record<string, unknown> | null>(row.adapter_config) ?? {},
    metadata: codec.readJson<Record<string, unknown> | null>(row.metadata) ?? {},
    credentials: row.credentials as string | null,
    version: Number(row.version),
    lastHeartbeat: codec.readTimeOrNull(row.last_heartbeat),
    lastCheckedAt: codec.readTimeOrNull(row.last_checked_at),
    responseTimeMs: row.response_time_ms === null ? null : Number(row.response_time_ms),
    errorMessage: row.error_message as string | null,
    errorClass: row.error_class as HealthErrorClass | null,
    consecutiveFailures: Number(row.consecutive_failures),
    consecutiveSuccesses: Number(row.consecutive_successes),
    createdAt: codec.readTime(row.created_at),
    updatedAt: codec.readTime(row.updated_at),
  };
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
