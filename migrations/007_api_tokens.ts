import type { Migration } from './types.js';
import { columnTypes } from './types.js';

/**
 * Bearer API tokens for the daemon. Only a SHA-256 digest of each token is stored: the token is
 * shown once, at creation, and a stolen database does not hand out working tokens. A revoked
 * token keeps its row (and its name) so `token list` can still say who had access.
 */
export const apiTokens: Migration = {
  name: '007_api_tokens',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('api_tokens')
      .addColumn('uuid', t.uuid, (c) => c.primaryKey())
      .addColumn('organization_uuid', t.uuid, (c) => c.notNull().references('organizations.uuid'))
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('token_digest', 'varchar(64)', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('expires_at', t.timestamp)
      .addColumn('last_used_at', t.timestamp)
      .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('revoked_at', t.timestamp)
      .addUniqueConstraint('api_tokens_org_name_unique', ['organization_uuid', 'name'])
      .addUniqueConstraint('api_tokens_digest_unique', ['token_digest'])
      .execute();
  },
};
