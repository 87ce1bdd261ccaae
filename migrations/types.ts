/**
 * What a migration is, and the column types that differ between the two dialects. Migrations
 * are listed statically in `index.ts` (no file scanning), so the bundle carries them.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { SecretBox } from '../src/secrets/secret-box.js';
import type { Dialect } from '../src/store/codec.js';

/** What a migration may need besides the database: the key, for data that must be sealed. */
export interface MigrationContext {
  /** The secret box; throws a ConfigError naming the setting when no key is configured. */
  secrets: () => SecretBox;
}

export interface Migration {
  name: string;
  up(db: Kysely<any>, dialect: Dialect, context: MigrationContext): Promise<void>;
}

export function columnTypes(dialect: Dialect) {
  const postgres = dialect === 'postgres';
  return {
    uuid: postgres ? ('uuid' as const) : ('text' as const),
    timestamp: postgres ? ('timestamptz' as const) : ('text' as const),
    json: postgres ? ('jsonb' as const) : ('text' as const),
    /** A timestamp column's "now" default. */
    now: postgres ? sql`now()` : sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
    emptyJson: postgres ? sql`'{}'::jsonb` : sql`'{}'`,
    /** An auto-assigned integer key (SQLite's INTEGER PRIMARY KEY is the rowid). */
    serial: postgres ? ('serial' as const) : ('integer' as const),
  };
}

/** The organization every install starts with; the seed assumes organizations exist. */
export const DEFAULT_ORGANIZATION_UUID = '00000000-0000-4000-8000-000000000001';
