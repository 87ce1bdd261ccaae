import { sql, type ColumnDataType, type ColumnDefinitionBuilderCallback } from 'kysely';
import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/**
 * Beyond the seed: what running gateways needs. The adapter a gateway was registered with,
 * encrypted credentials, versions for optimistic concurrency (gateways and environments), the health monitor's state
 * (heartbeat, streaks, schedule, lease) and a history of status transitions.
 */
export const gatewayOperations: Migration = {
  name: '006_gateway_operations',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    const add = (name: string, type: ColumnDataType, build: ColumnDefinitionBuilderCallback = (c) => c) =>
      db.schema.alterTable('gateways').addColumn(name, type, build).execute();
    await add('adapter_type', 'varchar(32)', (c) => c.notNull().defaultTo('on-premise'));
    await add('metadata', t.json, (c) => c.notNull().defaultTo(t.emptyJson));
    await add('credentials', 'text');
    await add('version', 'integer', (c) => c.notNull().defaultTo(1));
    // SQLite cannot add a column whose default is not constant: fill it from created_at.
    await add('status_changed_at', t.timestamp);
    await db.updateTable('gateways').set({ status_changed_at: sql`created_at` }).execute();
    await add('last_heartbeat', t.timestamp);
    await add('last_checked_at', t.timestamp);
    await add('response_time_ms', 'integer');
    await add('error_message', 'text');
    await add('error_class', 'varchar(32)');
    await add('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0));
    await add('consecutive_successes', 'integer', (c) => c.notNull().defaultTo(0));
    await add('next_check_at', t.timestamp);
    await add('lease_owner', 'varchar(128)');
    await add('lease_until', t.timestamp);
    await db.updateTable('gateways').set({ adapter_config: dialect === 'postgres' ? sql`'{}'::jsonb` : '{}' }).where('adapter_config', 'is', null).execute();
    await db.schema.alterTable('environments').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    await db.schema.createIndex('idx_gateways_next_check').on('gateways').column('next_check_at').execute();

    await db.schema
      .createTable('gateway_status_events')
      .addColumn('id', t.serial, (c) => c.primaryKey())
      .addColumn('gateway_uuid', t.uuid, (c) => c.notNull().references('gateways.uuid').onDelete('cascade'))
      .addColumn('from_status', 'varchar(32)')
      .addColumn('to_status', 'varchar(32)', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('error_class', 'varchar(32)')
      .addColumn('occurred_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .execute();
    await db.schema.createIndex('idx_gateway_status_events_gateway').on('gateway_status_events').columns(['gateway_uuid', 'occurred_at']).execute();
  },
};
