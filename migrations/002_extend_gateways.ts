import { sql } from 'kysely';
import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/**
 * Seed migration 002: gateway type, control-plane URL, status, region, adapter config and
 * endpoint. One column per statement: SQLite's ALTER TABLE adds one at a time.
 */
export const extendGateways: Migration = {
  name: '002_extend_gateways',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    const gateways = () => db.schema.alterTable('gateways');
    await gateways()
      .addColumn('gateway_type', 'varchar(16)', (c) =>
        c.notNull().defaultTo('INGRESS').check(sql`gateway_type in ('INGRESS', 'EGRESS')`),
      )
      .execute();
    await gateways().addColumn('control_plane_url', 'text').execute();
    await gateways()
      .addColumn('status', 'varchar(32)', (c) =>
        c.notNull().defaultTo('ACTIVE').check(sql`status in ('ACTIVE', 'INACTIVE', 'PROVISIONING', 'ERROR')`),
      )
      .execute();
    await gateways().addColumn('region', 'varchar(64)').execute();
    await gateways().addColumn('adapter_config', t.json).execute();
    await gateways().addColumn('endpoint', 'text').execute();
    await db.schema.createIndex('idx_gateways_type').on('gateways').column('gateway_type').execute();
    await db.schema.createIndex('idx_gateways_status').on('gateways').column('status').execute();
    await db.schema.createIndex('idx_gateways_org_type').on('gateways').columns(['organization_uuid', 'gateway_type']).execute();
  },
};
