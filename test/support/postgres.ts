/**
 * Each test file gets its own PostgreSQL schema in the machine's `test` database, dropped when
 * the file is done. The database is real; nothing here is mocked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

export const POSTGRES_BASE_URL = process.env.AGENTGW_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

export function createTestSchema(prefix = 't'): TestSchema {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  return {
    schema,
    url: `${POSTGRES_BASE_URL}?schema=${schema}`,
    async drop() {
      const sql = postgres(POSTGRES_BASE_URL, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      } finally {
        await sql.end();
      }
    },
  };
}

/** An empty database of either kind for a test: a SQLite file in a temporary directory, or a schema of its own. */
export function createTestDatabase(dialect: 'sqlite' | 'postgres', prefix: string): { url: string; drop(): Promise<void> } {
  if (dialect === 'postgres') return createTestSchema(prefix);
  const dir = mkdtempSync(join(tmpdir(), `agentgw-${prefix}-`));
  return { url: `sqlite:${join(dir, 'agentgw.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}
