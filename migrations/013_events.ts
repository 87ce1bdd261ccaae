import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/**
 * The event log: one row per change (registry, status, deployment, token, webhook), written in
 * the transaction of the change itself. `id` only grows: AUTOINCREMENT on SQLite, so pruning the
 * newest rows can never hand an id out twice; on PostgreSQL writers take an advisory lock before
 * their insert, so ids also commit in order and a reader resuming after id N misses nothing.
 */
export const events: Migration = {
  name: '013_events',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('events')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('occurred_at', t.timestamp, (c) => c.notNull())
      .addColumn('type', 'varchar(64)', (c) => c.notNull())
      .addColumn('organization_uuid', t.uuid, (c) => c.notNull())
      .addColumn('subject_kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('subject_uuid', t.uuid, (c) => c.notNull())
      .addColumn('subject_name', 'varchar(253)', (c) => c.notNull())
      .addColumn('gateway_uuid', t.uuid)
      .addColumn('actor', 'varchar(128)', (c) => c.notNull())
      .addColumn('data', t.json, (c) => c.notNull().defaultTo(t.emptyJson))
      .execute();
    await db.schema.createIndex('idx_events_organization').on('events').columns(['organization_uuid', 'id']).execute();
    await db.schema.createIndex('idx_events_gateway').on('events').columns(['gateway_uuid', 'id']).execute();
    await db.schema.createIndex('idx_events_occurred').on('events').column('occurred_at').execute();
  },
};
