import { sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * The `production` environment 004_backfill made described itself with the migration's name
 * ("Created by the 004_backfill migration"), which `env list` showed to every newcomer. It reads
 * "Default environment" now, unless someone has described it since.
 */
export const defaultEnvironmentDescription: Migration = {
  name: '012_default_environment_description',
  async up(db, dialect) {
    const now = dialect === 'postgres' ? new Date() : new Date().toISOString();
    await db
      .updateTable('environments')
      .set({ description: 'Default environment', updated_at: now, version: sql`version + 1` })
      .where('description', '=', 'Created by the 004_backfill migration')
      .execute();
  },
};
