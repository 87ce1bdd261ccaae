/**
 * Resources of one organization and their revisions. An apply of several manifests is one
 * transaction: either every manifest is stored or none is. Specs are stored without secret
 * values (`{set: true}` in their place); the latest revision's values are sealed in `secrets`.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ResourceKind, ResourceManifest } from '../../domain/resource-kinds.js';
import { ConflictError } from '../../domain/errors.js';
import type { Store } from '../database.js';
import type { Database, ResourceTable } from '../schema.js';
import { isUuid } from './refs.js';

export interface ResourceRecord {
  uuid: string;
  organizationId: string;
  kind: ResourceKind;
  name: string;
  apiVersion: string;
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  revision: number;
  specDigest: string;
  /** The sealed secret values of the spec, or null when it has none. */
  secrets: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A manifest ready to be stored: without its secret values, which come sealed. */
export interface StorableManifest {
  manifest: ResourceManifest;
  digest: string;
  secrets: string | null;
}

/**
 * Turns a checked manifest into what is stored, given the revision it replaces (undefined for a
 * new resource): secret values left out keep the stored ones.
 */
export type PrepareManifest = (manifest: ResourceManifest, current: ResourceRecord | undefined) => StorableManifest;

export interface RevisionRecord {
  revision: number;
  spec: Record<string, unknown>;
  specDigest: string;
}

/** One revision as history shows it, and as a rollback deploys it (secret values still sealed). */
export interface RevisionEntry {
  revision: number;
  apiVersion: string;
  metadata: ResourceRecord['metadata'];
  spec: Record<string, unknown>;
  specDigest: string;
  /** Sealed values; null when it has none, or when it was stored before revisions kept them. */
  secrets: string | null;
  actor: string | null;
  createdAt: Date;
}

export interface ApplyOutcome {
  record: ResourceRecord;
  action: 'created' | 'updated' | 'unchanged';
}

/** How many times an apply that lost a race to another apply of the same resource is retried. */
const APPLY_ATTEMPTS = 3;

/**
 * Named, not `*`: PostgreSQL statements run prepared, and a prepared `select *` fails once a
 * later migration adds a column while this process still runs.
 */
const RESOURCE_COLUMNS = [
  'uuid',
  'organization_uuid',
  'kind',
  'name',
  'api_version',
  'metadata',
  'spec',
  'revision',
  'spec_digest',
  'created_at',
  'updated_at',
  'secrets',
] as const;

export class ResourceRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  /** Stores each manifest: new, a new revision when its digest changed, or left as it is. */
  async apply(manifests: readonly ResourceManifest[], now: Date, prepare: PrepareManifest, actor: string | null = null): Promise<ApplyOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.db.transaction().execute(async (trx) => {
          const outcomes: ApplyOutcome[] = [];
          for (const manifest of manifests) outcomes.push(await this.applyOne(trx, manifest, now, prepare, actor));
          return outcomes;
        });
      } catch (error) {
        const raced = error instanceof RevisionRace || this.store.codec.isUniqueViolation(error);
        if (!raced) throw error;
        if (attempt >= APPLY_ATTEMPTS) {
          throw new ConflictError('AGW_RESOURCE_CONFLICT', 'the resource was changed by another apply at the same time', { hint: 'apply again' });
        }
      }
    }
  }

  private async applyOne(trx: Kysely<Database>, given: ResourceManifest, now: Date, prepare: PrepareManifest, actor: string | null): Promise<ApplyOutcome> {
    const { codec } = this.store;
    const current = await trx
      .selectFrom('resources')
      .select(RESOURCE_COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .where('kind', '=', given.kind)
      .where('name', '=', given.metadata.name)
      .executeTakeFirst();
    const { manifest, digest, secrets } = prepare(given, current && this.toRecord(current));
    const metadata = metadataOf(manifest);
    if (current === undefined) {
      const uuid = randomUUID();
      await trx
        .insertInto('resources')
        .values({
          uuid,
          organization_uuid: this.organizationId,
          kind: manifest.kind,
          name: manifest.metadata.name,
          api_version: manifest.apiVersion,
          metadata: codec.json(metadata),
          spec: codec.json(manifest.spec),
          revision: 1,
          spec_digest: digest,
          secrets,
          created_at: codec.time(now),
          updated_at: codec.time(now),
        })
        .execute();
      await this.insertRevision(trx, uuid, 1, { manifest, digest, secrets }, now, actor);
      return { record: await this.read(trx, uuid), action: 'created' };
    }
    if (current.spec_digest === digest) return { record: this.toRecord(current), action: 'unchanged' };
    const revision = Number(current.revision) + 1;
    const result = await trx
      .updateTable('resources')
      .set({
        api_version: manifest.apiVersion,
        metadata: codec.json(metadata),
        spec: codec.json(manifest.spec),
        revision,
        spec_digest: digest,
        secrets,
        updated_at: codec.time(now),
      })
      .where('uuid', '=', current.uuid)
      .where('revision', '=', current.revision)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new RevisionRace();
    await this.insertRevision(trx, current.uuid, revision, { manifest, digest, secrets }, now, actor);
    return { record: await this.read(trx, current.uuid), action: 'updated' };
  }

  private async insertRevision(trx: Kysely<Database>, uuid: string, revision: number, stored: StorableManifest, now: Date, actor: string | null): Promise<void> {
    const { codec } = this.store;
    const { manifest, digest, secrets } = stored;
    await trx
      .insertInto('resource_revisions')
      .values({
        resource_uuid: uuid,
        revision,
        metadata: codec.json(metadataOf(manifest)),
        spec: codec.json(manifest.spec),
        spec_digest: digest,
        created_at: codec.time(now),
        secrets,
        actor,
      })
      .execute();
  }

  private async read(db: Kysely<Database>, uuid: string): Promise<ResourceRecord> {
    return this.toRecord(await db.selectFrom('resources').select(RESOURCE_COLUMNS).where('uuid', '=', uuid).executeTakeFirstOrThrow());
  }

  async findByUuid(uuid: string): Promise<ResourceRecord | undefined> {
    if (!isUuid(uuid)) return undefined;
    const row = await this.store.db
      .selectFrom('resources')
      .select(RESOURCE_COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return row && this.toRecord(row);
  }

  /** Resources of that name (one per kind at most), or of that kind and name. */
  async findByName(name: string, kind: ResourceKind | null): Promise<ResourceRecord[]> {
    let query = this.store.db.selectFrom('resources').select(RESOURCE_COLUMNS).where('organization_uuid', '=', this.organizationId).where('name', '=', name);
    if (kind !== null) query = query.where('kind', '=', kind);
    return (await query.orderBy('kind').execute()).map((row) => this.toRecord(row));
  }

  async list(filter: { kind?: ResourceKind } = {}): Promise<ResourceRecord[]> {
    let query = this.store.db.selectFrom('resources').select(RESOURCE_COLUMNS).where('organization_uuid', '=', this.organizationId);
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
    return (await query.orderBy('kind').orderBy('name').execute()).map((row) => this.toRecord(row));
  }

  async findMany(uuids: readonly string[]): Promise<Map<string, ResourceRecord>> {
    if (uuids.length === 0) return new Map();
    const rows = await this.store.db
      .selectFrom('resources')
      .select(RESOURCE_COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .where('uuid', 'in', [...new Set(uuids)])
      .execute();
    return new Map(rows.map((row) => [row.uuid, this.toRecord(row)]));
  }

  /** Every revision of each resource, newest first. */
  async revisions(uuids: readonly string[]): Promise<Map<string, RevisionRecord[]>> {
    const result = new Map<string, RevisionRecord[]>(uuids.map((uuid) => [uuid, []]));
    if (uuids.length === 0) return result;
    const rows = await this.store.db
      .selectFrom('resource_revisions')
      .select(['resource_uuid', 'revision', 'spec', 'spec_digest'])
      .where('resource_uuid', 'in', [...new Set(uuids)])
      .orderBy('revision', 'desc')
      .execute();
    for (const row of rows) {
      result.get(row.resource_uuid)?.push({
        revision: Number(row.revision),
        spec: this.store.codec.readJson<Record<string, unknown>>(row.spec),
        specDigest: row.spec_digest,
      });
    }
    return result;
  }

  /** Every revision of one resource, oldest first, with what a rollback needs to send it again. */
  async history(uuid: string): Promise<RevisionEntry[]> {
    const { codec } = this.store;
    const rows = await this.store.db
      .selectFrom('resource_revisions')
      .innerJoin('resources', 'resources.uuid', 'resource_revisions.resource_uuid')
      .select([
        'resources.api_version',
        'resource_revisions.revision',
        'resource_revisions.metadata',
        'resource_revisions.spec',
        'resource_revisions.spec_digest',
        'resource_revisions.secrets',
        'resource_revisions.actor',
        'resource_revisions.created_at',
      ])
      .where('resources.organization_uuid', '=', this.organizationId)
      .where('resource_revisions.resource_uuid', '=', uuid)
      .orderBy('resource_revisions.revision', 'asc')
      .execute();
    return rows.map((row) => ({
      revision: Number(row.revision),
      apiVersion: row.api_version,
      metadata: codec.readJson<ResourceRecord['metadata'] | null>(row.metadata) ?? {},
      spec: codec.readJson<Record<string, unknown>>(row.spec),
      specDigest: row.spec_digest,
      secrets: row.secrets,
      actor: row.actor,
      createdAt: codec.readTime(row.created_at),
    }));
  }

  private toRecord(row: Selectable<ResourceTable>): ResourceRecord {
    const { codec } = this.store;
    return {
      uuid: row.uuid,
      organizationId: row.organization_uuid,
      kind: row.kind as ResourceKind,
      name: row.name,
      apiVersion: row.api_version,
      metadata: codec.readJson<ResourceRecord['metadata'] | null>(row.metadata) ?? {},
      spec: codec.readJson<Record<string, unknown>>(row.spec),
      revision: Number(row.revision),
      specDigest: row.spec_digest,
      secrets: row.secrets,
      createdAt: codec.readTime(row.created_at),
      updatedAt: codec.readTime(row.updated_at),
    };
  }
}

/** Another apply moved the revision on between our read and our write. */
class RevisionRace extends Error {}

function metadataOf(manifest: ResourceManifest): ResourceRecord['metadata'] {
  const { labels, annotations } = manifest.metadata;
  return { ...(labels === undefined ? {} : { labels }), ...(annotations === undefined ? {} : { annotations }) };
}

/** The manifest of a resource's latest revision, without its secret values. */
export function manifestOf(record: ResourceRecord): ResourceManifest {
  return { apiVersion: record.apiVersion, kind: record.kind, metadata: { name: record.name, ...record.metadata }, spec: record.spec };
}
