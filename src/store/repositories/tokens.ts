/**
 * API tokens. Writes and listings are scoped to one organization; the lookup by digest is not,
 * because the token is what tells which organization a request belongs to.
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { ConflictError } from '../../domain/errors.js';
import type { Store } from '../database.js';
import type { ApiTokenTable } from '../schema.js';

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface TokenRecord {
  uuid: string;
  organizationId: string;
  name: string;
  digest: string;
  scope: TokenScope;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface NewToken {
  name: string;
  digest: string;
  scope: TokenScope;
  expiresAt: Date | null;
}

const COLUMNS = ['uuid', 'organization_uuid', 'name', 'token_digest', 'scopes', 'expires_at', 'last_used_at', 'created_at', 'revoked_at'] as const;

type Row = Pick<Selectable<ApiTokenTable>, (typeof COLUMNS)[number]>;

export class TokenRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  async insert(input: NewToken, now: Date): Promise<TokenRecord> {
    const uuid = randomUUID();
    const { codec } = this.store;
    try {
      await this.store.db
        .insertInto('api_tokens')
        .values({
          uuid,
          organization_uuid: this.organizationId,
          name: input.name,
          token_digest: input.digest,
          scopes: input.scope,
          expires_at: input.expiresAt === null ? null : codec.time(input.expiresAt),
          last_used_at: null,
          created_at: codec.time(now),
          revoked_at: null,
        })
        .execute();
    } catch (error) {
      if (codec.isUniqueViolation(error)) {
        throw new ConflictError('AGW_TOKEN_EXISTS', `token "${input.name}" already exists`, {
          hint: 'choose another name (revoked tokens keep theirs, so `token list` can still show them)',
        });
      }
      throw error;
    }
    return { uuid, organizationId: this.organizationId, ...input, lastUsedAt: null, createdAt: now, revokedAt: null };
  }

  async findByName(name: string): Promise<TokenRecord | undefined> {
    const row = await this.store.db
      .selectFrom('api_tokens')
      .select(COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toRecord(this.store, row);
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.store.db
      .selectFrom('api_tokens')
      .select(COLUMNS)
      .where('organization_uuid', '=', this.organizationId)
      .orderBy('name')
      .execute();
    return rows.map((row) => toRecord(this.store, row));
  }

  /** Marks a token revoked; false when it was not found or already revoked. */
  async revoke(uuid: string, now: Date): Promise<boolean> {
    const result = await this.store.db
      .updateTable('api_tokens')
      .set({ revoked_at: this.store.codec.time(now) })
      .where('uuid', '=', uuid)
      .where('organization_uuid', '=', this.organizationId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

/** The token with this digest, in whichever organization it belongs to. */
export async function findTokenByDigest(store: Store, digest: string): Promise<TokenRecord | undefined> {
  const row = await store.db.selectFrom('api_tokens').select(COLUMNS).where('token_digest', '=', digest).executeTakeFirst();
  return row && toRecord(store, row);
}

/** Records a use of a token, unless one was recorded after `notBefore` (a write per request would be waste). */
export async function touchToken(store: Store, uuid: string, now: Date, notBefore: Date): Promise<void> {
  const { codec } = store;
  await store.db
    .updateTable('api_tokens')
    .set({ last_used_at: codec.time(now) })
    .where('uuid', '=', uuid)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', codec.time(notBefore))]))
    .execute();
}

function toRecord(store: Store, row: Row): TokenRecord {
  const { codec } = store;
  return {
    uuid: row.uuid,
    organizationId: row.organization_uuid,
    name: row.name,
    digest: row.token_digest,
    scope: row.scopes as TokenScope,
    expiresAt: codec.readTimeOrNull(row.expires_at),
    lastUsedAt: codec.readTimeOrNull(row.last_used_at),
    createdAt: codec.readTime(row.created_at),
    revokedAt: codec.readTimeOrNull(row.revoked_at),
  };
}
