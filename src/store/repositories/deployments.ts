/**
 * Deployment rows: one per (resource, gateway). Every row is written before its gateway is
 * called (`claim`) and settled after (`settle`), conditional on the attempt still being the
 * caller's, so a crash leaves a PENDING row to reconcile instead of an unknown.
 *
 * Deletes of gateways and resources go through here too: they run in a write transaction that
 * locks the gateway (or resource) row, refuse while deployment rows other than UNDEPLOYED remain,
 * and rely on the ON DELETE RESTRICT foreign keys as the last word, so a deploy racing a delete
 * either sees the gateway gone (its row cannot be inserted) or makes the delete fail.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ResourceKind } from '../../domain/resource-kinds.js';
import { ConflictError } from '../../domain/errors.js';
import type { DeploymentOperation, DeploymentStatus } from '../../domain/resources.js';
import type { Store } from '../database.js';
import type { Database, DeploymentTable, GatewayTable, ResourceTable } from '../schema.js';
import { deploymentEvents, gatewayDeletedEvent, settlementEventType } from './deployment-events.js';
import { appendEvent, appendEvents } from './events.js';

export interface DeploymentRow {
  uuid: string;
  resourceUuid: string;
  resourceKind: ResourceKind;
  resourceName: string;
  /** The resource's latest revision. */
  resourceRevision: number;
  gatewayUuid: string;
  gatewayName: string;
  organizationId: string;
  revision: number;
  deployedRevision: number | null;
  status: DeploymentStatus;
  operation: DeploymentOperation;
  errorMessage: string | null;
  attemptId: string | null;
  attemptOwner: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Attempt {
  id: string;
  /** `host/pid/instance` of the process making the calls. */
  owner: string;
}

export type ClaimOutcome = { claimed: true; deploymentUuid: string } | { claimed: false; reason: 'gone' | 'decommissioning' };

export interface Settlement {
  status: DeploymentStatus;
  /** The revision now confirmed on the gateway (null: it holds none); undefined keeps what was known. */
  deployedRevision?: number | null;
  errorMessage: string | null;
}

export interface DeploymentQuery {
  resourceUuid?: string;
  gatewayUuids?: readonly string[];
  environmentUuid?: string;
  statuses?: readonly DeploymentStatus[];
}

/** Rows other than UNDEPLOYED stand in the way of deleting their gateway or resource. */
export const SETTLED_AWAY: DeploymentStatus = 'UNDEPLOYED';

/** Rows removed per statement by `release`. */
const RELEASE_BATCH = 500;

export class DeploymentRepository {
  constructor(
    private readonly store: Store,
    /** Null for process-wide work (reconciling rows of every organization). */
    private readonly organizationId: string | null,
  ) {}

  /**
   * Writes PENDING rows for a deploy of `revision` to each gateway, in one write transaction that
   * holds the gateway rows (FOR SHARE on PostgreSQL; SQLite's write lock): a gateway deleted or
   * being decommissioned is not claimed, and one deleted later cannot be while the row exists.
   */
  async claimDeploy(resourceUuid: string, revision: number, gatewayUuids: readonly string[], attempt: Attempt, now: Date): Promise<Map<string, ClaimOutcome>> {
    const outcomes = new Map<string, ClaimOutcome>();
    if (gatewayUuids.length === 0) return outcomes;
    const { codec } = this.store;
    try {
      await this.writeTransaction(async (db) => {
        const lock = db.selectFrom('gateways').select(['uuid', 'decommissioning_until']).where('uuid', 'in', [...gatewayUuids]);
        const gateways = await (this.store.dialect === 'postgres' ? lock.forShare() : lock).execute();
        const byUuid = new Map(gateways.map((g) => [g.uuid, codec.readTimeOrNull(g.decommissioning_until)]));
        const claimable: string[] = [];
        for (const uuid of gatewayUuids) {
          if (!byUuid.has(uuid)) outcomes.set(uuid, { claimed: false, reason: 'gone' });
          else if ((byUuid.get(uuid)?.getTime() ?? 0) > now.getTime()) outcomes.set(uuid, { claimed: false, reason: 'decommissioning' });
          else claimable.push(uuid);
        }
        if (claimable.length === 0) return;
        const rows = await db
          .insertInto('deployments')
          .values(
            claimable.map((gatewayUuid) => ({
              uuid: randomUUID(),
              resource_uuid: resourceUuid,
              gateway_uuid: gatewayUuid,
              revision,
              deployed_revision: null,
              status: 'PENDING',
              operation: 'deploy',
              error_message: null,
              attempt_id: attempt.id,
              attempt_owner: attempt.owner,
              created_at: codec.time(now),
              updated_at: codec.time(now),
            })),
          )
          .onConflict((oc) =>
            oc.columns(['resource_uuid', 'gateway_uuid']).doUpdateSet((eb) => ({
              revision: eb.ref('excluded.revision'),
              status: eb.ref('excluded.status'),
              operation: eb.ref('excluded.operation'),
              error_message: null,
              attempt_id: eb.ref('excluded.attempt_id'),
              attempt_owner: eb.ref('excluded.attempt_owner'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .returning(['uuid', 'gateway_uuid'])
          .execute();
        for (const row of rows) outcomes.set(row.gateway_uuid, { claimed: true, deploymentUuid: row.uuid });
      });
    } catch (error) {
      if (codec.isForeignKeyViolation(error)) {
        throw new ConflictError('AGW_RESOURCE_GONE', 'the resource was deleted while it was being deployed');
      }
      throw error;
    }
    return outcomes;
  }

  /** Marks existing rows UNDEPLOYING for this attempt, before their gateways are called. */
  async claimUndeploy(deploymentUuids: readonly string[], attempt: Attempt, now: Date): Promise<void> {
    if (deploymentUuids.length === 0) return;
    await this.store.db
      .updateTable('deployments')
      .set({
        status: 'UNDEPLOYING',
        operation: 'undeploy',
        error_message: null,
        attempt_id: attempt.id,
        attempt_owner: attempt.owner,
        updated_at: this.store.codec.time(now),
      })
      .where('uuid', 'in', [...deploymentUuids])
      .execute();
  }

  /**
   * Records how an attempt ended, for the rows still held by that attempt (a later attempt, or a
   * reconciliation, owns the others now). Returns how many rows it settled.
   */
  async settle(deploymentUuids: readonly string[], attemptId: string, settlement: Settlement, now: Date): Promise<number> {
    if (deploymentUuids.length === 0) return 0;
    // The settled rows and their events commit together (deployment.deployed|failed|undeployed).
    return this.writeTransaction(async (db) => {
      const settled = await db
        .updateTable('deployments')
        .set({
          status: settlement.status,
          ...(settlement.deployedRevision === undefined ? {} : { deployed_revision: settlement.deployedRevision }),
          error_message: settlement.errorMessage,
          attempt_owner: null,
          updated_at: this.store.codec.time(now),
        })
        .where('uuid', 'in', [...deploymentUuids])
        .where('attempt_id', '=', attemptId)
        .returning('uuid')
        .execute();
      if (settled.length > 0 && settlementEventType(settlement.status) !== null) {
        const rows = await this.base(db).where('d.uuid', 'in', settled.map((row) => row.uuid)).execute();
        await appendEvents(db, this.store.codec, deploymentEvents(rows.map((row) => this.toRow(row)), now));
      }
      return settled.length;
    });
  }

  /**
   * Puts back rows an attempt claimed but never acted on (the command was interrupted before it
   * called their gateways): a row the attempt created is removed, any other gets the state it had
   * before. Only rows the attempt still holds are touched.
   */
  async release(attemptId: string, rows: ReadonlyArray<{ uuid: string; previous: DeploymentRow | undefined }>): Promise<void> {
    if (rows.length === 0) return;
    const { codec } = this.store;
    const created = rows.filter((row) => row.previous === undefined).map((row) => row.uuid);
    await this.writeTransaction(async (db) => {
      for (let start = 0; start < created.length; start += RELEASE_BATCH) {
        await db
          .deleteFrom('deployments')
          .where('uuid', 'in', created.slice(start, start + RELEASE_BATCH))
          .where('attempt_id', '=', attemptId)
          .execute();
      }
      for (const { uuid, previous } of rows) {
        if (previous === undefined) continue;
        await db
          .updateTable('deployments')
          .set({
            status: previous.status,
            operation: previous.operation,
            revision: previous.revision,
            deployed_revision: previous.deployedRevision,
            error_message: previous.errorMessage,
            attempt_id: previous.attemptId,
            attempt_owner: previous.attemptOwner,
            updated_at: codec.time(previous.updatedAt),
          })
          .where('uuid', '=', uuid)
          .where('attempt_id', '=', attemptId)
          .execute();
      }
    });
  }

  async list(query: DeploymentQuery = {}): Promise<DeploymentRow[]> {
    let select = this.base();
    if (query.resourceUuid !== undefined) select = select.where('d.resource_uuid', '=', query.resourceUuid);
    if (query.gatewayUuids !== undefined) {
      if (query.gatewayUuids.length === 0) return [];
      select = select.where('d.gateway_uuid', 'in', [...query.gatewayUuids]);
    }
    if (query.environmentUuid !== undefined) {
      const environmentUuid = query.environmentUuid;
      select = select.where('d.gateway_uuid', 'in', (eb) =>
        eb.selectFrom('gateway_environment_mappings as m').select('m.gateway_uuid').where('m.environment_uuid', '=', environmentUuid),
      );
    }
    if (query.statuses !== undefined) select = select.where('d.status', 'in', [...query.statuses]);
    const rows = await select.orderBy('r.kind').orderBy('r.name').orderBy('g.name').execute();
    return rows.map((row) => this.toRow(row));
  }

  /** PENDING and UNDEPLOYING rows (of every organization when unscoped): candidates for reconciliation. */
  async inFlight(): Promise<DeploymentRow[]> {
    return this.list({ statuses: ['PENDING', 'UNDEPLOYING'] });
  }

  /** How many resources the control plane believes a gateway holds. */
  async countDeployed(gatewayUuid: string): Promise<number> {
    const row = await this.store.db
      .selectFrom('deployments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('gateway_uuid', '=', gatewayUuid)
      .where('deployed_revision', 'is not', null)
      .executeTakeFirstOrThrow();
    return this.store.codec.count(row.n);
  }

  /**
   * Takes the decommissioning lease of a gateway, so no deploy claims it from now on. Without
   * `drain`, refuses (returning them) while it has rows other than UNDEPLOYED.
   */
  async markDecommissioning(
    gatewayUuid: string,
    until: Date,
    now: Date,
    drain: boolean,
  ): Promise<
    | { marked: true }
    | { marked: false; reason: 'gone' }
    | { marked: false; reason: 'busy'; until: Date }
    | { marked: false; reason: 'blocked'; blocking: DeploymentRow[] }
  > {
    const { codec } = this.store;
    return this.writeTransaction(async (db) => {
      const gateway = await this.lockGateway(db, gatewayUuid);
      if (gateway === undefined) return { marked: false, reason: 'gone' };
      const current = codec.readTimeOrNull(gateway.decommissioning_until);
      if (current !== null && current.getTime() > now.getTime()) return { marked: false, reason: 'busy', until: current };
      if (!drain) {
        const blocking = await this.blocking(db, 'gateway_uuid', gatewayUuid);
        if (blocking.length > 0) return { marked: false, reason: 'blocked', blocking };
      }
      await db.updateTable('gateways').set({ decommissioning_until: codec.time(until) }).where('uuid', '=', gatewayUuid).execute();
      return { marked: true };
    });
  }

  async clearDecommissioning(gatewayUuid: string): Promise<void> {
    await this.store.db.updateTable('gateways').set({ decommissioning_until: null }).where('uuid', '=', gatewayUuid).execute();
  }

  /**
   * Deletes a gateway and its UNDEPLOYED rows, in one transaction holding the gateway row.
   * Refuses (returning them) while other rows remain; the RESTRICT key refuses too, should a
   * row slip past the check.
   */
  async deleteGateway(gatewayUuid: string): Promise<{ deleted: boolean; blocking: DeploymentRow[] }> {
    return this.deleteOwner('gateways', 'gateway_uuid', gatewayUuid);
  }

  /** Deletes a resource (its revisions go with it) under the same rules as a gateway. */
  async deleteResource(resourceUuid: string): Promise<{ deleted: boolean; blocking: DeploymentRow[] }> {
    return this.deleteOwner('resources', 'resource_uuid', resourceUuid);
  }

  private async deleteOwner(
    table: 'gateways' | 'resources',
    column: 'gateway_uuid' | 'resource_uuid',
    uuid: string,
  ): Promise<{ deleted: boolean; blocking: DeploymentRow[] }> {
    try {
      return await this.writeTransaction(async (db) => {
        const lock = db.selectFrom(table).select(['uuid', 'name', 'organization_uuid']).where('uuid', '=', uuid);
        const owner = await (this.store.dialect === 'postgres' ? lock.forUpdate() : lock).executeTakeFirst();
        if (owner === undefined) return { deleted: false, blocking: [] };
        const blocking = await this.blocking(db, column, uuid);
        if (blocking.length > 0) return { deleted: false, blocking };
        await db.deleteFrom('deployments').where(column, '=', uuid).where('status', '=', SETTLED_AWAY).execute();
        const result = await db.deleteFrom(table).where('uuid', '=', uuid).executeTakeFirst();
        const deleted = Number(result.numDeletedRows) > 0;
        if (deleted && table === 'gateways') await appendEvent(db, this.store.codec, gatewayDeletedEvent(owner, new Date()));
        return { deleted, blocking: [] };
      });
    } catch (error) {
      if (!this.store.codec.isForeignKeyViolation(error)) throw error;
      return { deleted: false, blocking: await this.blocking(this.store.db, column, uuid) };
    }
  }

  /** Rows on the gateways of an environment that still hold (or may hold) their resource. */
  async liveOnEnvironment(db: Kysely<Database>, environmentUuid: string): Promise<string[]> {
    const rows = await db
      .selectFrom('deployments as d')
      .innerJoin('resources as r', 'r.uuid', 'd.resource_uuid')
      .innerJoin('gateways as g', 'g.uuid', 'd.gateway_uuid')
      .innerJoin('gateway_environment_mappings as m', 'm.gateway_uuid', 'd.gateway_uuid')
      .select(['r.kind', 'r.name', 'g.name as gateway_name'])
      .where('m.environment_uuid', '=', environmentUuid)
      .where((eb) =>
        eb.or([eb('d.status', 'in', ['PENDING', 'DEPLOYED', 'UNDEPLOYING']), eb.and([eb('d.status', '=', 'FAILED'), eb('d.deployed_revision', 'is not', null)])]),
      )
      .orderBy('r.kind')
      .orderBy('r.name')
      .orderBy('g.name')
      .execute();
    return rows.map((row) => `${row.kind}/${row.name}@${row.gateway_name}`);
  }

  private async lockGateway(db: Kysely<Database>, gatewayUuid: string) {
    const lock = db.selectFrom('gateways').select(['uuid', 'decommissioning_until']).where('uuid', '=', gatewayUuid);
    return (this.store.dialect === 'postgres' ? lock.forUpdate() : lock).executeTakeFirst();
  }

  private async blocking(db: Kysely<Database>, column: 'gateway_uuid' | 'resource_uuid', uuid: string): Promise<DeploymentRow[]> {
    const rows = await this.base(db)
      .where(`d.${column}`, '=', uuid)
      .where('d.status', '<>', SETTLED_AWAY)
      .orderBy('r.kind')
      .orderBy('r.name')
      .orderBy('g.name')
      .execute();
    return rows.map((row) => this.toRow(row));
  }

  /**
   * A transaction that takes the write lock at once: SQLite's BEGIN IMMEDIATE (a deferred
   * transaction that reads first could not upgrade to a writer under concurrent use), and an
   * ordinary transaction on PostgreSQL, where the row locks taken inside do the work.
   */
  private async writeTransaction<T>(body: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.store.dialect === 'postgres') return this.store.db.transaction().execute(body);
    return this.store.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await body(connection);
        await sql`commit`.execute(connection);
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    });
  }

  private base(db: Kysely<Database> = this.store.db) {
    let query = db
      .selectFrom('deployments as d')
      .innerJoin('resources as r', 'r.uuid', 'd.resource_uuid')
      .innerJoin('gateways as g', 'g.uuid', 'd.gateway_uuid')
      .select([
        'd.uuid',
        'd.resource_uuid',
        'r.kind',
        'r.name as resource_name',
        'r.revision as resource_revision',
        'r.organization_uuid',
        'd.gateway_uuid',
        'g.name as gateway_name',
        'd.revision',
        'd.deployed_revision',
        'd.status',
        'd.operation',
        'd.error_message',
        'd.attempt_id',
        'd.attempt_owner',
        'd.created_at',
        'd.updated_at',
      ]);
    if (this.organizationId !== null) query = query.where('r.organization_uuid', '=', this.organizationId);
    return query;
  }

  private toRow(row: BaseRow): DeploymentRow {
    const { codec } = this.store;
    return {
      uuid: row.uuid,
      resourceUuid: row.resource_uuid,
      resourceKind: row.kind as ResourceKind,
      resourceName: row.resource_name,
      resourceRevision: Number(row.resource_revision),
      gatewayUuid: row.gateway_uuid,
      gatewayName: row.gateway_name,
      organizationId: row.organization_uuid,
      revision: Number(row.revision),
      deployedRevision: row.deployed_revision === null ? null : Number(row.deployed_revision),
      status: row.status as DeploymentStatus,
      operation: row.operation as DeploymentOperation,
      errorMessage: row.error_message,
      attemptId: row.attempt_id,
      attemptOwner: row.attempt_owner,
      createdAt: codec.readTime(row.created_at),
      updatedAt: codec.readTime(row.updated_at),
    };
  }
}

/** A deployment row, with its resource's kind, name, revision and organization and its gateway's name. */
type BaseRow = Selectable<DeploymentTable> &
  Pick<Selectable<ResourceTable>, 'kind' | 'organization_uuid'> & {
    resource_name: ResourceTable['name'];
    resource_revision: ResourceTable['revision'];
    gateway_name: GatewayTable['name'];
  };
