import { randomUUID } from 'node:crypto';
import type { Migration } from './types.js';

/**
 * Seed migration 004: gateways that predate environments become INGRESS gateways of a default
 * `production` environment, one per organization.
 */
export const backfill: Migration = {
  name: '004_backfill',
  async up(db, dialect) {
    const now = dialect === 'postgres' ? new Date() : new Date().toISOString();
    await db.updateTable('gateways').set({ gateway_type: 'INGRESS' }).execute();
    const organizations: Array<{ uuid: string }> = await db.selectFrom('organizations').select('uuid').execute();
    for (const organization of organizations) {
      const existing = await db
        .selectFrom('environments')
        .select('uuid')
        .where('organization_uuid', '=', organization.uuid)
        .where('name', '=', 'production')
        .executeTakeFirst();
      const environmentUuid: string = existing?.uuid ?? randomUUID();
      if (!existing) {
        await db
          .insertInto('environments')
          .values({
            uuid: environmentUuid,
            organization_uuid: organization.uuid,
            name: 'production',
            display_name: 'Production',
            description: 'Created by the 004_backfill migration',
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      const gateways: Array<{ uuid: string }> = await db
        .selectFrom('gateways')
        .select('uuid')
        .where('organization_uuid', '=', organization.uuid)
        .execute();
      for (const gateway of gateways) {
        await db
          .insertInto('gateway_environment_mappings')
          .values({ gateway_uuid: gateway.uuid, environment_uuid: environmentUuid, created_at: now })
          .execute();
      }
    }
  },
};
