import type { Migration } from './types.js';
import { columnTypes, DEFAULT_ORGANIZATION_UUID } from './types.js';

/** The state the seed starts from: organizations, and a gateways table that predates it. */
export const base: Migration = {
  name: '000_base',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('organizations')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .execute();
    await db
      .insertInto('organizations')
      .values({ uuid: DEFAULT_ORGANIZATION_UUID, name: 'default', created_at: dialect === 'postgres' ? new Date() : new Date().toISOString() })
      .execute();
    await db.schema
      .createTable('gateways')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('organization_uuid', t.uuid, (c) => c.notNull().references('organizations.uuid'))
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(128)', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addUniqueConstraint('gateways_org_name_unique', ['organization_uuid', 'name'])
      .execute();
  },
};
