import { sql } from 'kysely';
import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/**
 * Revision history that can be deployed again, and durable rollouts.
 *
 * - `resource_revisions` gets `secrets` (the revision's secret values, sealed like
 *   `resources.secrets`, so a rollback sends what that revision had) and `actor` (who applied it,
 *   when known). The latest revision of each resource takes the values its resource holds;
 *   older revisions stored before this migration have none (a rollback to one that needs them
 *   is refused, told why).
 * - `rollouts`: one row per progressive deploy, so a killed CLI or daemon leaves a rollout that
 *   `agentgw rollout resume` continues. `plan` holds the waves (gateway names, fixed at the
 *   start), the gates, the pause and the revision each gateway ran before; `progress` holds what
 *   each wave did and what its gates measured.
 */
export const rollouts: Migration = {
  name: '014_rollouts',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema.alterTable('resource_revisions').addColumn('secrets', 'text').execute();
    await db.schema.alterTable('resource_revisions').addColumn('actor', 'varchar(255)').execute();
    await sql`update resource_revisions set secrets = (select r.secrets from resources r where r.uuid = resource_revisions.resource_uuid and r.revision = resource_revisions.revision)`.execute(db);

    await db.schema
      .createTable('rollouts')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('organization_uuid', t.uuid, (c) => c.notNull().references('organizations.uuid'))
      .addColumn('resource_uuid', t.uuid, (c) => c.notNull().references('resources.uuid').onDelete('cascade'))
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) =>
        c.notNull().check(sql`state in ('running', 'paused', 'succeeded', 'failed', 'rolled_back', 'aborted')`),
      )
      .addColumn('current_wave', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('plan', t.json, (c) => c.notNull())
      .addColumn('progress', t.json, (c) => c.notNull())
      .addColumn('message', 'text')
      // The process driving it (host/pid/id, as deployments' attempt_owner): a dead one can be taken over.
      .addColumn('owner', 'varchar(255)')
      .addColumn('actor', 'varchar(255)')
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .execute();
    await db.schema.createIndex('idx_rollouts_org_state').on('rollouts').columns(['organization_uuid', 'state']).execute();
  },
};
