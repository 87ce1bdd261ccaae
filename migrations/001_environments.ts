import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/** Seed migration 001: the environments table. */
export const environments: Migration = {
  name: '001_environments',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('environments')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('organization_uuid', t.uuid, (c) => c.notNull().references('organizations.uuid'))
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(128)', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('environments_org_name_unique', ['organization_uuid', 'name'])
      .execute();
    await db.schema.createIndex('idx_environments_org').on('environments').column('organization_uuid').execute();
  },
};
