import { sql } from 'kysely';
import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/**
 * The event log: one row per change (registry, status, deployment, token, webhook), written in
 * the transaction of the change itself. `id` only grows: AUTOINCREMENT on SQLite, so pruning the
 * newest rows can never hand an id out twice; on PostgreSQL writers take an advisory lock before
 * their insert, so ids also commit in order and a reader resuming after id N misses nothing.
 * Webhooks subscribe to event types; each matching event becomes a durable delivery row.
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

    await db.schema
      .createTable('webhooks')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('organization_uuid', t.uuid, (c) => c.notNull().references('organizations.uuid'))
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      /** A JSON array of event types. */
      .addColumn('event_types', t.json, (c) => c.notNull())
      /** The signing secret, sealed with the secret box. */
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addUniqueConstraint('webhooks_org_name_unique', ['organization_uuid', 'name'])
      .execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('webhook_uuid', t.uuid, (c) => c.notNull().references('webhooks.uuid').onDelete('cascade'))
      .addColumn('event_id', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('lease_owner', 'varchar(128)')
      .addColumn('lease_until', t.timestamp)
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('delivered_at', t.timestamp)
      .addUniqueConstraint('webhook_deliveries_once', ['webhook_uuid', 'event_id'])
      .execute();
    await db.schema.createIndex('idx_webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    // Every event a webhook subscribes to becomes a delivery in the event's own transaction,
    // whichever path wrote it: a delivery is as durable as its event.
    if (dialect === 'postgres') {
      // Once per statement, over the rows it inserted: the monitor writes thousands in one.
      await sql`
        create function agentgw_webhook_fanout() returns trigger language plpgsql as $$
        begin
          insert into webhook_deliveries (uuid, webhook_uuid, event_id)
          select gen_random_uuid(), w.uuid, e.id from new_events e
          join webhooks w on w.organization_uuid = e.organization_uuid and w.event_types ? e.type;
          return null;
        end $$`.execute(db);
      await sql`create trigger events_webhook_fanout after insert on events referencing new table as new_events for each statement execute function agentgw_webhook_fanout()`.execute(db);
    } else {
      await sql`
        create trigger events_webhook_fanout after insert on events begin
          insert into webhook_deliveries (uuid, webhook_uuid, event_id)
          select lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-8' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
                 w.uuid, new.id
          from webhooks w
          where w.organization_uuid = new.organization_uuid and exists (select 1 from json_each(w.event_types) where value = new.type);
        end`.execute(db);
    }
  },
};
