import { sql } from 'kysely';
import type { Migration } from './types.js';

/** Every jsonb column written through the codec before 015, whose value is always an object or array. */
const JSON_COLUMNS = {
  gateways: ['adapter_config', 'metadata'],
  resources: ['metadata', 'spec'],
  resource_revisions: ['metadata', 'spec'],
  rollouts: ['plan', 'progress'],
} as const;

/**
 * Until 015 the PostgreSQL codec stored JSON as a jsonb *string* holding the JSON text (postgres.js
 * encoded the already-encoded text once more), so `metadata->>'team'` found nothing and an
 * operator's query saw quoted text. agentgw read both shapes alike; this turns every such string
 * back into the object it spells. `updated_at` must not move (nothing was configured), so the
 * trigger of 011 is held off while the gateways are rewritten. SQLite stores JSON as text: no change.
 */
export const jsonObjects: Migration = {
  name: '015_json_objects',
  async up(db, dialect) {
    if (dialect !== 'postgres') return;
    await sql`alter table gateways disable trigger gateways_touch_updated_at`.execute(db);
    for (const [table, columns] of Object.entries(JSON_COLUMNS)) {
      for (const column of columns) {
        const value = sql.ref(column);
        await sql`update ${sql.table(table)} set ${value} = cast(${value} #>> '{}' as jsonb)
                  where jsonb_typeof(${value}) = 'string' and left(${value} #>> '{}', 1) in ('{', '[')`.execute(db);
      }
    }
    await sql`alter table gateways enable trigger gateways_touch_updated_at`.execute(db);
  },
};
