import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { ResourceKind, ResourceManifest } from '../src/adapters/adapter.js';
import { sealManifest } from '../src/domain/sealed-manifest.js';
import type { Dialect } from '../src/store/codec.js';
import type { Migration, MigrationContext } from './types.js';
import { columnTypes } from './types.js';

const KINDS = ['LlmProvider', 'LlmProxy', 'Mcp', 'RestApi', 'LlmProviderTemplate', 'Secret'];

/**
 * Secret fields of manifests (provider API keys, Secret values) sealed at rest, and the `Secret`
 * kind. Resources get a `secrets` column for the sealed values; specs keep `{set: true}` in their
 * place. Values an older agentgw stored in plain text are sealed here (which needs the key, asked
 * for only when there are any), in every revision, and each digest is computed again so that it
 * no longer hashes them in the clear.
 */
export const resourceSecrets: Migration = {
  name: '010_resource_secrets',
  async up(db, dialect, context) {
    const kindCheck = sql.raw(`kind in (${KINDS.map((kind) => `'${kind}'`).join(', ')})`);
    if (dialect === 'postgres') {
      await db.schema.alterTable('resources').addColumn('secrets', 'text').execute();
      await sql`alter table resources drop constraint resources_kind_check`.execute(db);
      await sql`alter table resources add constraint resources_kind_check check (${kindCheck})`.execute(db);
    } else {
      await rebuildSqliteResources(db, dialect, kindCheck);
    }
    await sealPlaintext(db, dialect, context);
  },
};

/** SQLite cannot change a CHECK constraint: the table is rebuilt (foreign keys are off meanwhile; see the migrator). */
async function rebuildSqliteResources(db: Kysely<any>, dialect: Dialect, kindCheck: ReturnType<typeof sql.raw>): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('resources_next')
    .addColumn('uuid', t.uuid, (c) => c.primaryKey())
    .addColumn('organization_uuid', t.uuid, (c) => c.notNull().references('organizations.uuid'))
    .addColumn('kind', 'varchar(32)', (c) => c.notNull().check(kindCheck))
    .addColumn('name', 'varchar(253)', (c) => c.notNull())
    .addColumn('api_version', 'varchar(128)', (c) => c.notNull())
    .addColumn('metadata', t.json, (c) => c.notNull().defaultTo(t.emptyJson))
    .addColumn('spec', t.json, (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('spec_digest', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn('secrets', 'text')
    .addUniqueConstraint('resources_org_kind_name_unique', ['organization_uuid', 'kind', 'name'])
    .execute();
  await sql`insert into resources_next (uuid, organization_uuid, kind, name, api_version, metadata, spec, revision, spec_digest, created_at, updated_at)
            select uuid, organization_uuid, kind, name, api_version, metadata, spec, revision, spec_digest, created_at, updated_at from resources`.execute(db);
  await db.schema.dropTable('resources').execute();
  await db.schema.alterTable('resources_next').renameTo('resources').execute();
}

async function sealPlaintext(db: Kysely<any>, dialect: Dialect, context: MigrationContext): Promise<void> {
  const json = (value: unknown) => (dialect === 'postgres' ? sql`${JSON.stringify(value)}::jsonb` : JSON.stringify(value));
  const read = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
  const manifest = (row: { kind: string; api_version: string; metadata: unknown; spec: unknown }, name: string): ResourceManifest => ({
    apiVersion: row.api_version,
    kind: row.kind as ResourceKind,
    metadata: { name, ...read(row.metadata) },
    spec: read(row.spec),
  });
  const resources = await db.selectFrom('resources').select(['uuid', 'kind', 'name', 'api_version', 'metadata', 'spec']).execute();
  for (const row of resources) {
    const sealed = sealManifest(manifest(row, row.name), [], context.secrets);
    if (sealed.secrets !== null) {
      await db
        .updateTable('resources')
        .set({ spec: json(sealed.manifest.spec), spec_digest: sealed.digest, secrets: sealed.secrets })
        .where('uuid', '=', row.uuid)
        .execute();
    }
    // Earlier revisions may hold a value the latest no longer has; they keep none (a deploy only
    // ever sends the latest), just their digest.
    const revisions = await db.selectFrom('resource_revisions').select(['revision', 'metadata', 'spec']).where('resource_uuid', '=', row.uuid).execute();
    for (const revision of revisions) {
      const old = sealManifest(manifest({ ...row, metadata: revision.metadata, spec: revision.spec }, row.name), [], context.secrets);
      if (old.secrets === null) continue;
      await db
        .updateTable('resource_revisions')
        .set({ spec: json(old.manifest.spec), spec_digest: old.digest })
        .where('resource_uuid', '=', row.uuid)
        .where('revision', '=', revision.revision)
        .execute();
    }
  }
}
