import { sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * Two more orders of the gateway list, each in one index (009 serves a type, or a type and a
 * status): a status alone, and an environment.
 *
 * A status alone walked the fleet's name index until it had a page of that status (a status of
 * 2% of 100,000 gateways: 8 ms a page, p99 60 ms under 10 connections); (organization, status,
 * name) makes it a range.
 *
 * An environment's gateways by name. The gateway list filtered by an environment
 * was ordered by the gateway's name while the filter was on the mappings, so no index held both:
 * PostgreSQL walked the fleet's name index probing each gateway's mappings (an environment of 1%
 * of 100,000 gateways: 28 ms a page, p99 80 ms), and SQLite read all of a large environment's
 * mappings and sorted them (99% of 100,000: 350 ms a page). Each mapping now carries its gateway's
 * name, and a page of an environment is a range of (environment, name), whatever its size.
 *
 * A trigger writes the name on insert, so every writer of mappings (the repositories, SQL
 * fixtures) keeps it right; another follows a renamed gateway (names are not renamed today).
 */
export const gatewayListIndexes: Migration = {
  name: '016_gateway_list_indexes',
  async up(db, dialect) {
    await db.schema.alterTable('gateway_environment_mappings').addColumn('gateway_name', 'varchar(64)').execute();
    await sql`update gateway_environment_mappings set gateway_name = (select g.name from gateways g where g.uuid = gateway_environment_mappings.gateway_uuid)`.execute(db);
    if (dialect === 'postgres') {
      await sql`alter table gateway_environment_mappings alter column gateway_name set not null`.execute(db);
      await sql
        .raw(
          `create function agentgw_mapping_gateway_name() returns trigger language plpgsql as $$
           begin
             -- A gateway deleted by a concurrent request has no name: '' lets the foreign key
             -- refuse the mapping (23503, "no such gateway") instead of the not-null (a 500).
             new.gateway_name := coalesce((select g.name from gateways g where g.uuid = new.gateway_uuid), '');
             return new;
           end $$;
           create trigger gem_gateway_name before insert or update of gateway_uuid on gateway_environment_mappings
             for each row execute function agentgw_mapping_gateway_name();
           create function agentgw_gateway_renamed() returns trigger language plpgsql as $$
           begin
             update gateway_environment_mappings set gateway_name = new.name where gateway_uuid = new.uuid;
             return null;
           end $$;
           create trigger gateways_renamed after update of name on gateways
             for each row when (old.name is distinct from new.name) execute function agentgw_gateway_renamed();`,
        )
        .execute(db);
    } else {
      await sql
        .raw(
          `create trigger gem_gateway_name after insert on gateway_environment_mappings
           for each row
           begin
             update gateway_environment_mappings set gateway_name = (select g.name from gateways g where g.uuid = new.gateway_uuid) where id = new.id;
           end;`,
        )
        .execute(db);
      await sql
        .raw(
          `create trigger gateways_renamed after update of name on gateways
           for each row when old.name is not new.name
           begin
             update gateway_environment_mappings set gateway_name = new.name where gateway_uuid = new.uuid;
           end;`,
        )
        .execute(db);
    }
    await db.schema.createIndex('idx_gateways_org_status_name').on('gateways').columns(['organization_uuid', 'status', 'name']).execute();
    await db.schema.createIndex('idx_gem_environment_gateway_name').on('gateway_environment_mappings').columns(['environment_uuid', 'gateway_name']).execute();
  },
};
