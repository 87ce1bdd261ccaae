import { sql } from 'kysely';
import type { Migration } from './types.js';

/** Columns whose change is a change of configuration (health fields are not). The same as 005's. */
const TRACKED = {
  gateways: ['name', 'display_name', 'gateway_type', 'control_plane_url', 'region', 'adapter_config', 'endpoint'],
  environments: ['name', 'display_name', 'description'],
} as const;

/**
 * 005's triggers fired when a statement merely named a tracked column: "UPDATE OF" means "in the
 * SET list", not "changed". The health monitor's batch write on PostgreSQL names `endpoint` for
 * every gateway (a provisioning cloud gateway's endpoint arrives with its health), so every
 * health check moved `updated_at`. They now fire only when a tracked column's value changed.
 */
export const updatedAtOnChange: Migration = {
  name: '011_updated_at_on_change',
  async up(db, dialect) {
    for (const [table, columns] of Object.entries(TRACKED)) {
      const changed = columns.map((column) => (dialect === 'postgres' ? `old.${column} is distinct from new.${column}` : `old.${column} is not new.${column}`)).join(' or ');
      await sql.raw(dialect === 'postgres' ? `drop trigger ${table}_touch_updated_at on ${table}` : `drop trigger ${table}_touch_updated_at`).execute(db);
      if (dialect === 'postgres') {
        await sql
          .raw(
            `create trigger ${table}_touch_updated_at before update of ${columns.join(', ')} on ${table}
             for each row when (${changed}) execute function agentgw_touch_updated_at()`,
          )
          .execute(db);
        continue;
      }
      await sql
        .raw(
          `create trigger ${table}_touch_updated_at after update of ${columns.join(', ')} on ${table}
           for each row when new.updated_at = old.updated_at and (${changed})
           begin
             update ${table} set updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') where uuid = new.uuid;
           end`,
        )
        .execute(db);
    }
  },
};
