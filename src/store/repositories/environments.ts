/**
 * Environments of one organization. Names are unique per organization (the database says so;
 * this repository turns the violation into a ConflictError).
 */
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../domain/errors.js';
import type { Store } from '../database.js';
import { isUuid } from './refs.js';

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
    const row = await this.store.db
      .selectFrom('environments')
      .select(COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .where(isUuid(ref) ? 'uuid' : 'name', '=', ref)
      .executeTakeFirst();
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
    const rows = await this.store.db
      .selectFrom('environments')
      .select(COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .orderBy('name')
      .execute();
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

  async delete(uuid: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom('environments')
      .where('uuid', '=', uuid)
      .where('organization_uuid', '=', this.organizationId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  private toRecord(row: {
    uuid: string;
    organization_uuid: string;
    name: string;
    display_name: string;
    description: string | null;
    version: number;
    created_at: unknown;
    updated_at: unknown;
  }): EnvironmentRecord {
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
