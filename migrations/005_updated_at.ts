import { sql } from 'kysely';
import type { Migration } from './types.js';

/** Columns whose change is a change of configuration (health fields are not). */
const TRACKED = {
  gateways: ['name', 'display_name', 'gateway_type', 'control_plane_url', 'region', 'adapter_config', 'endpoint'],
  environments: ['name', 'display_name', 'description'],
} as const;

/**
 * Seed migration 005: `updated_at` follows configuration changes even when a writer forgets it.
 * The repositories set it too; the trigger only fills in when a statement left it unchanged.
 */
export const updatedAt: Migration = {
  name: '005_updated_at',
  async up(db, dialect) {
    if (dialect === 'postgres') {
      await sql`
        create or replace function agentgw_touch_updated_at() returns trigger as $$
        begin
          if new.updated_at is not distinct from old.updated_at then
            new.updated_at = now();
          end if;
          return new;
        end;
        $$ language plpgsql`.execute(db);
      for (const [table, columns] of Object.entries(TRACKED)) {
        await sql
          .raw(
            `create trigger ${table}_touch_updated_at before update of ${columns.join(', ')} on ${table}
             for each row execute function agentgw_touch_updated_at()`,
          )
          .execute(db);
      }
      return;
    }
    for (const [table, columns] of Object.entries(TRACKED)) {
      await sql
        .raw(
          `create trigger ${table}_touch_updated_at after update of ${columns.join(', ')} on ${table}
           for each row when new.updated_at = old.updated_at
           begin
             update ${table} set updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where uuid = new.uuid;
           end`,
        )
        .execute(db);
    }
  },
};
