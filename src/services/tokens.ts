/**
 * API tokens for the daemon: created (and shown) once, stored as SHA-256 digests, scoped to one
 * organization, with a scope (read < write < admin), an optional expiry and a last-use time.
 *
 * @example
 * const { token } = await new TokenService(runtime.context()).create({ name: 'ci', scope: 'write' });
 * const verified = await new TokenVerifier(runtime.store, () => new Date()).verify(token);
 */
import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { checkName, FieldErrors } from '../domain/validation.js';
import type { Store } from '../store/database.js';
import { findTokenByDigest, TOKEN_SCOPES, TokenRepository, touchToken, type TokenRecord, type TokenScope } from '../store/repositories/tokens.js';
import { appendEvent, inTransaction } from '../store/repositories/events.js';
import type { ServiceContext } from './context.js';
import { eventOf } from './event-of.js';

export { TOKEN_SCOPES, type TokenScope };

export const TOKEN_PREFIX = 'agw_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 256 bits. */
const TOKEN_LENGTH = 43;
/** last_used_at is written at most this often per token. */
const TOUCH_INTERVAL_MS = 60_000;

export type TokenStatus = 'active' | 'expired' | 'revoked';

/** A token as `token list` shows it: never the token itself. */
export interface ApiToken {
  uuid: string;
  organizationId: string;
  name: string;
  scope: TokenScope;
  status: TokenStatus;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What `create` returns: the only time the token can be seen. */
export interface CreatedToken extends ApiToken {
  token: string;
}

export interface CreateTokenInput {
  name: string;
  scope?: TokenScope;
  /** How long the token lives; absent: until revoked. */
  expiresInMs?: number;
}

export interface VerifiedToken {
  tokenId: string;
  name: string;
  organizationId: string;
  /** The granted scope and every scope it includes. */
  scopes: TokenScope[];
}

/** True when a token granted `granted` may do what needs `needed`. */
export function scopeAllows(granted: TokenScope, needed: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(granted) >= TOKEN_SCOPES.indexOf(needed);
}

export function digestToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `agw_` and 43 unbiased base62 characters (rejection sampling, so every character is equally likely). */
export function generateToken(): string {
  let out = TOKEN_PREFIX;
  while (out.length < TOKEN_PREFIX.length + TOKEN_LENGTH) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && out.length < TOKEN_PREFIX.length + TOKEN_LENGTH) out += BASE62[byte % 62];
    }
  }
  return out;
}

export class TokenService {
  private readonly tokens: TokenRepository;

  constructor(private readonly context: Pick<ServiceContext, 'store' | 'clock' | 'organizationId' | 'actor'>) {
    this.tokens = new TokenRepository(context.store, context.organizationId);
  }

  async create(input: CreateTokenInput): Promise<CreatedToken> {
    const errors = new FieldErrors();
    checkName(errors, 'name', input.name);
    const scope = input.scope ?? 'read';
    if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) errors.add('scope', `must be one of ${TOKEN_SCOPES.join(', ')}`);
    if (input.expiresInMs !== undefined && (!Number.isFinite(input.expiresInMs) || input.expiresInMs <= 0)) {
      errors.add('expires', 'must be a positive duration');
    }
    errors.throwIfAny('token');
    const now = this.context.clock();
    const token = generateToken();
    const record = await inTransaction(this.context.store, async (tx) => {
      const inserted = await new TokenRepository(tx, this.context.organizationId).insert(
        {
          name: input.name,
          digest: digestToken(token),
          scope,
          expiresAt: input.expiresInMs === undefined ? null : new Date(now.getTime() + input.expiresInMs),
        },
        now,
      );
      await appendEvent(tx.db, tx.codec, eventOf(this.context, 'token.created', subjectOf(inserted), { scope, expiresAt: inserted.expiresAt?.toISOString() ?? null }));
      return inserted;
    });
    return { ...present(record, now), token };
  }

  async list(): Promise<ApiToken[]> {
    const now = this.context.clock();
    return (await this.tokens.list()).map((record) => present(record, now));
  }

  /** Revokes a token by name; revoking it again is not an error. */
  async revoke(name: string): Promise<ApiToken> {
    const record = await this.tokens.findByName(name);
    if (!record) throw new NotFoundError('token', name, { hint: 'list tokens with: agentgw token list' });
    const now = this.context.clock();
    if (record.revokedAt === null) {
      await inTransaction(this.context.store, async (tx) => {
        if (await new TokenRepository(tx, this.context.organizationId).revoke(record.uuid, now)) {
          await appendEvent(tx.db, tx.codec, eventOf(this.context, 'token.revoked', subjectOf(record)));
        }
      });
    }
    return present({ ...record, revokedAt: record.revokedAt ?? now }, now);
  }
}

/** Checks bearer tokens for the daemon. Not scoped: the token says which organization it is. */
export class TokenVerifier {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Date,
  ) {}

  /** The token's organization and scopes, or null when it is unknown, revoked or expired. */
  async verify(token: string): Promise<VerifiedToken | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 256) return null;
    const record = await findTokenByDigest(this.store, digestToken(token));
    const now = this.clock();
    if (!record || status(record, now) !== 'active') return null;
    const notBefore = new Date(now.getTime() - TOUCH_INTERVAL_MS);
    if (record.lastUsedAt === null || record.lastUsedAt < notBefore) await touchToken(this.store, record.uuid, now, notBefore);
    return {
      tokenId: record.uuid,
      name: record.name,
      organizationId: record.organizationId,
      scopes: TOKEN_SCOPES.filter((scope) => scopeAllows(record.scope, scope)),
    };
  }
}

export function parseTokenScope(value: string, path = 'scope'): TokenScope {
  if ((TOKEN_SCOPES as readonly string[]).includes(value)) return value as TokenScope;
  throw ValidationError.field(path, `"${value}" is not a scope; use one of ${TOKEN_SCOPES.join(', ')}`);
}

function status(record: TokenRecord, now: Date): TokenStatus {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  return 'active';
}

function present(record: TokenRecord, now: Date): ApiToken {
  return {
    uuid: record.uuid,
    organizationId: record.organizationId,
    name: record.name,
    scope: record.scope,
    status: status(record, now),
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
  };
}

function subjectOf(record: TokenRecord) {
  return { kind: 'token' as const, uuid: record.uuid, name: record.name };
}
