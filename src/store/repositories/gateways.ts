/**
 * Gateways of one organization, with their environment mappings. A gateway and its mappings are
 * written in one transaction, so a failed registration leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql, type Compilable, type ExpressionBuilder, type Kysely, type RawBuilder } from 'kysely';
import { jsonArrayFrom as jsonArrayFromPostgres } from 'kysely/helpers/postgres';
import { jsonArrayFrom as jsonArrayFromSqlite } from 'kysely/helpers/sqlite';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { MONITOR_ACTOR, type NewEvent } from '../../domain/events.js';
import type { AdapterType, EnvironmentSummary, GatewayFilter, GatewayStatus, GatewayType, HealthErrorClass } from '../../domain/types.js';
import type { Codec } from '../codec.js';
import type { Store } from '../database.js';
import { perOwner } from '../per-owner.js';
import { FailedRead, readBatcherOf } from '../read-batcher.js';
import type { Database } from '../schema.js';
import { EnvironmentRepository } from './environments.js';
import { appendEvent, statusChangedEvent } from './events.js';
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

export interface PageOptions {
  limit?: number;
  /** The name of the last gateway of the previous page. */
  after?: string;
}

export interface ListOptions extends ReadOptions, PageOptions {}

/** A page of gateways as a cache of their renderings is checked against (see listVersions). */
export interface VersionedPage {
  gateways: GatewayVersion[];
  /** The organization's environments, sorted by name (the same array while they are unchanged). */
  environments: readonly EnvironmentSummary[];
}

/** A listed gateway as a page of rendered gateways is checked against. */
export interface GatewayVersion {
  uuid: string;
  /** PostgreSQL's xmin of the row: every write of the row gives it a new one. */
  rowVersion: string;
  /** Its environments' uuids, in no particular order, separated by spaces ("" for none). */
  environmentUuids: string;
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

/**
 * Kysely builds and compiles a query on every call (a few hundred microseconds for a list), so
 * the hot reads compile theirs once per dialect and shape: with a placeholder where each value
 * goes, run later with the values in their places. A shape whose compiled parameters are not
 * exactly its placeholders is kept as null, and built each time.
 */
class StatementCache {
  readonly #statements = new Map<string, { sql: string; names: string[] } | null>();

  /** The statement of `key` with `values` as its parameters, or undefined when it must be built. */
  compiled(key: string, build: (placeholder: <T>(name: string) => T) => Compilable, values: object): CompiledQuery | undefined {
    const byName = values as Record<string, unknown>;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      const { sql: text, parameters } = build((name) => `${PLACEHOLDER}${name}` as never).compile();
      const names = parameters.map((parameter) => (typeof parameter === 'string' && parameter.startsWith(PLACEHOLDER) ? parameter.slice(1) : null));
      statement = names.every((name): name is string => name !== null && name in byName) ? { sql: text, names } : null;
      this.#statements.set(key, statement);
    }
    return statement === null ? undefined : CompiledQuery.raw(statement.sql, statement.names.map((name) => byName[name]));
  }
}

/** Starts a placeholder: no value of ours holds a NUL (PostgreSQL text cannot). */
const PLACEHOLDER = '\u0000';
const STATEMENTS = new StatementCache();

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
    if (environment === null) throw unknownEnvironment(filter.environment!);
    const build = (values: ListValues) => {
      const query = this.listQuery(values).select(COLUMNS);
      return withEnvironments ? query.select((eb) => this.environmentsColumn(eb)) : query;
    };
    const values = this.listValues({ ...filter, environment }, options);
    const compiled = STATEMENTS.compiled(`list:${this.store.dialect}:${listShape(values)}:${withEnvironments}`, (p) => build(placeholders(values, p)), values) ?? build(values).compile();
    if (this.store.readValues !== null) return (await this.store.readValues(compiled)).map((row) => this.toRecord(gatewayRowOf(row)));
    const { rows } = await this.store.db.executeQuery<GatewayRow & { environments?: unknown }>(compiled);
    return rows.map((row) => this.toRecord(row));
  }

  /**
   * One page of list(), as a cache of rendered gateways checks it (PostgreSQL only): each
   * gateway's row version and environments, and the organization's environments, from one
   * snapshot. The page comes back as one row (a row costs postgres.js more to read than the text
   * it holds): "uuid xmin environment…" per gateway, joined by ",". Null when the environment
   * filtered by was deleted and created again while the page was read twice; NotFoundError when
   * there is no such environment.
   *
   * The environment's uuid is written into the SQL: the daemon runs this statement again and
   * again, and a generic plan (a parameter of unknown value) would walk the whole fleet for an
   * environment of a few gateways. The uuid is remembered from the last page and checked against
   * the environments read with the page.
   */
  async listVersions(filter: GatewayFilter, options: PageOptions = {}): Promise<VersionedPage | null> {
    if (filter.environment === undefined) return this.readVersions(filter, undefined, options);
    // Only uuids of environments that exist are written into SQL: each is one more statement.
    const byUuid = isUuid(filter.environment);
    const ref = byUuid ? filter.environment.toLowerCase() : filter.environment;
    const named = (environment: EnvironmentSummary) => (byUuid ? environment.uuid === ref : environment.name === ref);
    const remembered = environmentUuidsOf(this.store);
    const key = `${this.organizationId} ${ref}`;
    let uuid = remembered.get(key) ?? (await this.environmentUuidOf(ref));
    for (let attempt = 0; uuid !== null && attempt < 2; attempt++) {
      const page = await this.readVersions(filter, uuid, options);
      const current = page.environments.find(named);
      if (current?.uuid === uuid) {
        if (remembered.get(key) !== uuid) {
          if (remembered.size >= REMEMBERED_ENVIRONMENTS) remembered.clear();
          remembered.set(key, uuid);
        }
        return page;
      }
      uuid = current?.uuid ?? null;
    }
    remembered.delete(key);
    if (uuid === null) throw unknownEnvironment(filter.environment);
    return null;
  }

  private async readVersions(filter: GatewayFilter, environmentUuid: string | undefined, options: PageOptions): Promise<VersionedPage> {
    const build = (values: ListValues) => {
      const page = this.listQuery(values)
        .crossJoinLateral((eb) =>
          eb
            .selectFrom('gateway_environment_mappings as m')
            .select((mb) => mb.fn.agg<string[]>('array_agg', ['m.environment_uuid']).as('environment_uuids'))
            .whereRef('m.gateway_uuid', '=', 'g.uuid')
            .as('l'),
        )
        .select(['g.name', sql<string>`concat_ws(' ', g.uuid, g.xmin, array_to_string(l.environment_uuids, ' '))`.as('version')]);
      return this.store.db
        .selectFrom(page.as('p'))
        .select([
          sql<string | null>`string_agg(p.version, ',' order by p.name)`.as('gateways'),
          sql<string | null>`(${this.environmentSummaries(values.organization)})`.as('environments'),
        ]);
    };
    const values = this.listValues({ ...filter, environment: undefined }, options);
    // A uuid (it was checked to be one) is safe to write into the SQL as a literal.
    const withEnvironment = (v: ListValues): ListValues => (environmentUuid === undefined ? v : { ...v, environment: sql.lit(environmentUuid) });
    const compiled = STATEMENTS.compiled(`versions:${listShape(values)}:${environmentUuid ?? ''}`, (p) => build(withEnvironment(placeholders(values, p))), values);
    const { rows } = await this.store.db.executeQuery<{ gateways: string | null; environments: string | null }>(compiled ?? build(withEnvironment(values)).compile());
    const { gateways, environments } = rows[0]!;
    return { gateways: gateways === null ? [] : gateways.split(',').map(parseVersion), environments: parseEnvironments(environments) };
  }

  /** The gateways with these uuids, each with the row version it was read at (PostgreSQL only). */
  async findVersioned(uuids: readonly string[]): Promise<Array<{ record: GatewayRecord; rowVersion: string }>> {
    const rows = await this.store.db
      .selectFrom('gateways as g')
      .select(COLUMNS)
      .select(sql<string>`g.xmin::text`.as('row_version'))
      .where('g.organization_uuid', '=', this.organizationId)
      .where('g.uuid', '=', sql<string>`any(${[...uuids]}::uuid[])`)
      .execute();
    return rows.map((row) => ({ record: this.toRecord(row as GatewayRow), rowVersion: row.row_version }));
  }

  private listValues(filter: Omit<GatewayFilter, 'environment'> & { environment: string | undefined }, { limit, after }: PageOptions): ListValues {
    const { type, status, environment } = filter;
    return {
      organization: this.organizationId,
      ...(type === undefined ? {} : { type }),
      ...(status === undefined ? {} : { status }),
      ...(environment === undefined ? {} : { environment }),
      ...(limit === undefined ? {} : { limit }),
      ...(after === undefined ? {} : { after }),
    };
  }

  /** The gateways list() and listVersions() read, filtered, ordered and limited; columns to add. */
  private listQuery(values: ListValues) {
    const { environment } = values;
    return this.store.db
      .selectFrom('gateways as g')
      .where('g.organization_uuid', '=', values.organization)
      .$if(values.type !== undefined, (query) => query.where('g.gateway_type', '=', values.type!))
      .$if(values.status !== undefined, (query) => query.where('g.status', '=', values.status!))
      .$if(environment !== undefined, (query) =>
        query.where('g.uuid', 'in', (eb) => eb.selectFrom('gateway_environment_mappings as m').select('m.gateway_uuid').where('m.environment_uuid', '=', environment!)),
      )
      .$if(values.after !== undefined, (query) => query.where('g.name', '>', values.after!))
      .orderBy('g.name')
      .$if(values.limit !== undefined, (query) => query.limit(hasLiteralLimit(values) ? sql.lit(values.limit!) : values.limit!));
  }

  /** An organization's environments, sorted by name, as JSON: [[uuid, name, displayName], …]. */
  private environmentSummaries(organizationId: string) {
    return this.store.db
      .selectFrom('environments as e')
      .select(sql<string>`json_agg(json_build_array(e.uuid, e.name, e.display_name) order by e.name)::text`.as('summaries'))
      .where('e.organization_uuid', '=', organizationId);
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
    const record = toGatewayRecord(this.store.codec, row);
    if (row.environments !== undefined) record.environments = this.store.codec.readJson<EnvironmentSummary[]>(row.environments);
    return record;
  }
}

/** The values of a list query; its environment is a uuid, as a value or written into the SQL. */
type ListValues = Omit<GatewayFilter, 'environment'> & PageOptions & { organization: string; environment?: string | RawBuilder<string> };

/** What decides a list query's SQL: which values it has and its literal LIMIT. */
function listShape(values: ListValues): string {
  const { type, status, environment, after, limit } = values;
  const present = [type, status, environment, after, limit].map((value) => (value === undefined ? '-' : '+')).join('');
  return `${present}${hasLiteralLimit(values) ? limit : ''}`;
}

/**
 * PostgreSQL plans a statement with a LIMIT parameter as if it kept a tenth of the rows; a plan
 * for the actual limit always looks cheaper, so it plans such a statement anew on every run.
 * The LIMITs of common page sizes (and their one row more, which tells whether a next page
 * exists) are written into the SQL instead, and their statements keep one plan. Few sizes: each
 * is one more prepared statement on every connection.
 */
const LITERAL_LIMITS = new Set([10, 20, 25, 50, 100, 200, 250, 500, 1000].flatMap((size) => [size, size + 1]));

function hasLiteralLimit(values: PageOptions): boolean {
  return values.limit !== undefined && LITERAL_LIMITS.has(values.limit);
}

/**
 * The organization's environments as listVersions reads them. They seldom change: the same
 * text gives back the same array, so what callers derive from it can be kept with it.
 */
function parseEnvironments(json: string | null): readonly EnvironmentSummary[] {
  if (json !== lastEnvironments.json) {
    const rows = json === null ? [] : (JSON.parse(json) as Array<[string, string, string]>);
    lastEnvironments = { json, summaries: rows.map(([uuid, name, displayName]) => ({ uuid, name, displayName })) };
  }
  return lastEnvironments.summaries;
}

let lastEnvironments: { json: string | null; summaries: readonly EnvironmentSummary[] } = { json: null, summaries: [] };

/** "uuid xmin environment…", as listVersions writes a gateway. */
function parseVersion(text: string): GatewayVersion {
  const afterUuid = text.indexOf(' ');
  const afterVersion = text.indexOf(' ', afterUuid + 1);
  return afterVersion === -1
    ? { uuid: text.slice(0, afterUuid), rowVersion: text.slice(afterUuid + 1), environmentUuids: '' }
    : { uuid: text.slice(0, afterUuid), rowVersion: text.slice(afterUuid + 1, afterVersion), environmentUuids: text.slice(afterVersion + 1) };
}

/** PostgreSQL's "data exception" (SQLSTATE class 22): a value it cannot take, e.g. a NUL byte. */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * The uuids of the environments listVersions was last asked for, by organization and ref (name
 * or uuid), for each store. Names are few; the bound only guards against a store used without end.
 */
const environmentUuidsOf = perOwner(() => new Map<string, string>());
const REMEMBERED_ENVIRONMENTS = 1_000;

/** The same values, each replaced by its placeholder (but a literal LIMIT). */
function placeholders(values: ListValues, placeholder: <T>(name: string) => T): ListValues {
  const replaced = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value === undefined ? undefined : placeholder(name)]));
  return { ...replaced, limit: hasLiteralLimit(values) ? values.limit : replaced.limit } as ListValues;
}

/**
 * A row read as an array of values (Store.readValues) as the object Kysely would have given: the
 * columns of COLUMNS in their order, then environments when the read selected them.
 */
export function gatewayRowOf(values: unknown[]): GatewayRow & { environments?: unknown } {
  const v = values;
  return {
    uuid: v[0], organization_uuid: v[1], name: v[2], display_name: v[3], gateway_type: v[4], status: v[5], status_changed_at: v[6],
    control_plane_url: v[7], endpoint: v[8], region: v[9], adapter_type: v[10], adapter_config: v[11], metadata: v[12], credentials: v[13],
    version: v[14], last_heartbeat: v[15], last_checked_at: v[16], response_time_ms: v[17], error_message: v[18], error_class: v[19],
    consecutive_failures: v[20], consecutive_successes: v[21], created_at: v[22], updated_at: v[23], environments: v[24],
  };
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

function unknownEnvironment(ref: string): NotFoundError {
  return new NotFoundError('environment', ref, { hint: 'list environments with: agentgw env list' });
}
