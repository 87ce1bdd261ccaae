import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/** Seed migration 003: the many-to-many mapping of gateways and environments. */
export const gatewayEnvironmentMappings: Migration = {
  name: '003_gateway_environment_mappings',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('gateway_environment_mappings')
      .addColumn('id', t.serial, (c) => c.primaryKey())
      .addColumn('gateway_uuid', t.uuid, (c) => c.notNull().references('gateways.uuid').onDelete('cascade'))
      .addColumn('environment_uuid', t.uuid, (c) => c.notNull().references('environments.uuid').onDelete('cascade'))
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('gem_gateway_environment_unique', ['gateway_uuid', 'environment_uuid'])
      .execute();
    await db.schema.createIndex('idx_gem_gateway').on('gateway_environment_mappings').column('gateway_uuid').execute();
    await db.schema.createIndex('idx_gem_environment').on('gateway_environment_mappings').column('environment_uuid').execute();
  },
};
