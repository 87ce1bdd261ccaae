import { sql } from 'kysely';
import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/**
 * Resources (gateway-controller manifests, one row per kind and name, with every revision kept)
 * and deployments (one row per resource and gateway).
 *
 * A deployment references its gateway and its resource with ON DELETE RESTRICT: the database
 * itself refuses to delete a gateway or a resource that still has deployment rows, so a delete
 * racing a deploy can never leave a deployment without its gateway. `decommissioning_until` on a
 * gateway is a lease taken by a delete in progress: deploys refuse such a gateway until it lapses.
 */
export const resourcesDeployments: Migration = {
  name: '008_resources_deployments',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('resources')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('organization_uuid', t.uuid, (c) => c.notNull().references('organizations.uuid'))
      .addColumn('kind', 'varchar(32)', (c) =>
        c.notNull().check(sql`kind in ('LlmProvider', 'LlmProxy', 'Mcp', 'RestApi', 'LlmProviderTemplate')`),
      )
      .addColumn('name', 'varchar(253)', (c) => c.notNull())
      .addColumn('api_version', 'varchar(128)', (c) => c.notNull())
      .addColumn('metadata', t.json, (c) => c.notNull().defaultTo(t.emptyJson))
      .addColumn('spec', t.json, (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('spec_digest', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('resources_org_kind_name_unique', ['organization_uuid', 'kind', 'name'])
      .execute();

    await db.schema
      .createTable('resource_revisions')
      .addColumn('resource_uuid', t.uuid, (c) => c.notNull().references('resources.uuid').onDelete('cascade'))
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('metadata', t.json, (c) => c.notNull().defaultTo(t.emptyJson))
      .addColumn('spec', t.json, (c) => c.notNull())
      .addColumn('spec_digest', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addPrimaryKeyConstraint('resource_revisions_pk', ['resource_uuid', 'revision'])
      .execute();

    await db.schema
      .createTable('deployments')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('resource_uuid', t.uuid, (c) => c.notNull().references('resources.uuid').onDelete('restrict'))
      .addColumn('gateway_uuid', t.uuid, (c) => c.notNull().references('gateways.uuid').onDelete('restrict'))
      // The revision the last operation was about, and the one last confirmed on the gateway.
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('deployed_revision', 'integer')
      .addColumn('status', 'varchar(16)', (c) =>
        c.notNull().check(sql`status in ('PENDING', 'DEPLOYED', 'FAILED', 'UNDEPLOYING', 'UNDEPLOYED')`),
      )
      .addColumn('operation', 'varchar(16)', (c) => c.notNull().check(sql`operation in ('deploy', 'undeploy')`))
      .addColumn('error_message', 'text')
      // Who is calling the gateway right now: a settle only counts if the attempt is still its own.
      .addColumn('attempt_id', 'varchar(64)')
      .addColumn('attempt_owner', 'varchar(255)')
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('deployments_resource_gateway_unique', ['resource_uuid', 'gateway_uuid'])
      .execute();
    await db.schema.createIndex('idx_deployments_gateway').on('deployments').column('gateway_uuid').execute();
    await db.schema.createIndex('idx_deployments_status').on('deployments').columns(['status', 'updated_at']).execute();

    await db.schema.alterTable('gateways').addColumn('decommissioning_until', t.timestamp).execute();
  },
};
