/**
 * Environments of one organization. Names are unique per organization (the database says so;
 * this repository turns the violation into a ConflictError).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { ConflictError } from '../../domain/errors.js';
import type { NewEvent } from '../../domain/events.js';
import type { Store } from '../database.js';
import type { EnvironmentTable } from '../schema.js';
import { DeploymentRepository } from './deployments.js';
import { appendEvent } from './events.js';
import { isUuid } from './refs.js';
import { readCompiled } from '../statement-cache.js';

export interface EnvironmentRecord {
  uuid: string;
  organizationId: string;
  name: string;
  displayName: string;
  description: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewEnvironment {
  name: string;
  displayName: string;
  description: string | null;
}

export interface EnvironmentChanges {
  displayName?: string;
  description?: string | null;
}

const COLUMNS = ['uuid', 'organization_uuid', 'name', 'display_name', 'description', 'version', 'created_at', 'updated_at'] as const;

export class EnvironmentRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  async insert(input: NewEnvironment, now: Date): Promise<EnvironmentRecord> {
    const uuid = randomUUID();
    const { codec } = this.store;
    try {
      await this.store.db
        .insertInto('environments')
        .values({
          uuid,
          organization_uuid: this.organizationId,
          name: input.name,
          display_name: input.displayName,
          description: input.description,
          version: 1,
          created_at: codec.time(now),
          updated_at: codec.time(now),
        })
        .execute();
    } catch (error) {
      if (codec.isUniqueViolation(error)) {
        throw new ConflictError('AGW_ENVIRONMENT_EXISTS', `environment "${input.name}" already exists`, {
          hint: 'choose another name, or update the existing environment',
        });
      }
      throw error;
    }
    return { uuid, organizationId: this.organizationId, ...input, version: 1, createdAt: now, updatedAt: now };
  }

  /** By uuid or by name. */
  async find(ref: string): Promise<EnvironmentRecord | undefined> {
    const byUuid = isUuid(ref);
    const [row] = await readCompiled(
      this.store,
      `environments:find:${byUuid}`,
      (p) => this.store.db.selectFrom('environments').select(COLUMNS).where('organization_uuid', '=', p<string>('organization')).where(byUuid ? 'uuid' : 'name', '=', p<string>('ref')),
      { organization: this.organizationId, ref },
    );
    return row && this.toRecord(row);
  }

  /** Resolves many refs at once; the result maps each ref that exists to its record. */
  async findMany(refs: readonly string[]): Promise<Map<string, EnvironmentRecord>> {
    const uuids = refs.filter(isUuid);
    const names = refs.filter((ref) => !isUuid(ref));
    if (refs.length === 0) return new Map();
    const rows = await this.store.db
      .selectFrom('environments')
      .select(COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .where((eb) =>
        eb.or([
          ...(uuids.length > 0 ? [eb('uuid', 'in', uuids)] : []),
          ...(names.length > 0 ? [eb('name', 'in', names)] : []),
        ]),
      )
      .execute();
    const found = new Map<string, EnvironmentRecord>();
    for (const row of rows) {
      const record = this.toRecord(row);
      found.set(record.uuid, record);
      found.set(record.name, record);
    }
    return new Map(refs.flatMap((ref) => (found.has(ref) ? [[ref, found.get(ref)!] as const] : [])));
  }

  async list(): Promise<EnvironmentRecord[]> {
    const rows = await readCompiled(
      this.store,
      'environments:list',
      (p) => this.store.db.selectFrom('environments').select(COLUMNS).where('organization_uuid', '=', p<string>('organization')).orderBy('name'),
      { organization: this.organizationId },
    );
    return rows.map((row) => this.toRecord(row));
  }

  /**
   * Applies changes when the stored version is still `expectedVersion` (when given). Returns the
   * new record, or undefined when the row is gone or the version moved on.
   */
  async update(uuid: string, changes: EnvironmentChanges, now: Date, expectedVersion?: number): Promise<EnvironmentRecord | undefined> {
    const { codec } = this.store;
    let query = this.store.db
      .updateTable('environments')
      .set((eb) => ({
        ...(changes.displayName === undefined ? {} : { display_name: changes.displayName }),
        ...(changes.description === undefined ? {} : { description: changes.description }),
        version: eb('version', '+', 1),
        updated_at: codec.time(now),
      }))
      .where('uuid', '=', uuid)
      .where('organization_uuid', '=', this.organizationId);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    // The row as this statement left it, not as a later writer may already have changed it.
    const row = await query.returning(COLUMNS).executeTakeFirst();
    return row && this.toRecord(row);
  }

  /**
   * Deletes an environment unless deployments are live on its gateways (they are returned, and
   * nothing is deleted) or gateways are mapped to it. `force` removes its mappings first. The
   * refusal is enforced inside the delete statement, so a gateway mapped concurrently is never
   * silently unmapped.
   */
  /** Deletes the environment unless deployments live on it (or, without force, gateways); `event` is written with the delete. */
  async deleteUnlessInUse(uuid: string, options: { force: boolean; event: NewEvent }): Promise<{ deleted: boolean; liveDeployments: string[] }> {
    return this.store.db.transaction().execute(async (trx) => {
      const liveDeployments = await new DeploymentRepository(this.store, this.organizationId).liveOnEnvironment(trx, uuid);
      if (liveDeployments.length > 0) return { deleted: false, liveDeployments };
      if (options.force) await trx.deleteFrom('gateway_environment_mappings').where('environment_uuid', '=', uuid).execute();
      const result = await trx
        .deleteFrom('environments')
        .where('uuid', '=', uuid)
        .where('organization_uuid', '=', this.organizationId)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('gateway_environment_mappings').select(sql.lit(1).as('one')).where('environment_uuid', '=', uuid))))
        .executeTakeFirst();
      const deleted = Number(result.numDeletedRows) > 0;
      if (deleted) await appendEvent(trx, this.store.codec, options.event);
      return { deleted, liveDeployments };
    });
  }

  private toRecord(row: Pick<Selectable<EnvironmentTable>, (typeof COLUMNS)[number]>): EnvironmentRecord {
    const { codec } = this.store;
    return {
      uuid: row.uuid,
      organizationId: row.organization_uuid,
      name: row.name,
      displayName: row.display_name,
      description: row.description,
      version: Number(row.version),
      createdAt: codec.readTime(row.created_at),
      updatedAt: codec.readTime(row.updated_at),
    };
  }
}
