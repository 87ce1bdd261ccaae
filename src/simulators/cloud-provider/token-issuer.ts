/**
 * The simulator's OAuth 2.0 token endpoint (client-credentials grant, RFC 6749 §4.4): one
 * client, opaque random tokens with a lifetime, and a switch that invalidates all of them so
 * tests can watch a client recover from an expired token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenAnswer =
  | { ok: true; body: { access_token: string; token_type: 'Bearer'; expires_in: number } }
  | { ok: false; status: 400 | 401; error: string; message: string };

export interface TokenRequestInput {
  authorization: string | undefined;
  /** The body's fields, whether it came form-encoded or as JSON. */
  fields: Record<string, unknown>;
}

export class TokenIssuer {
  readonly #tokens = new Map<string, number>();

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly ttlSeconds: number,
    private readonly clock: () => number,
  ) {}

  issue(input: TokenRequestInput): TokenAnswer {
    const { fields } = input;
    if (fields.grant_type !== 'client_credentials') {
      return fields.grant_type === undefined
        ? { ok: false, status: 400, error: 'invalid_request', message: 'grant_type is required' }
        : { ok: false, status: 400, error: 'unsupported_grant_type', message: 'only the client_credentials grant is supported' };
    }
    const client = this.clientOf(input);
    if (client === 'conflict') {
      return { ok: false, status: 400, error: 'invalid_request', message: 'the client authenticated in both the Authorization header and the body' };
    }
    if (client === null || !sameText(client.id, this.clientId) || !sameText(client.secret, this.clientSecret)) {
      return { ok: false, status: 401, error: 'invalid_client', message: 'client authentication failed' };
    }
    this.prune();
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, this.clock() + this.ttlSeconds * 1000);
    return { ok: true, body: { access_token: token, token_type: 'Bearer', expires_in: this.ttlSeconds } };
  }

  /** Whether an `Authorization: Bearer …` header carries a live token. */
  accepts(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const expiresAt = match === null ? undefined : this.#tokens.get(match[1]!);
    return expiresAt !== undefined && this.clock() < expiresAt;
  }

  expireAll(): void {
    this.#tokens.clear();
  }

  /** client_secret_basic or client_secret_post (RFC 6749 §2.3.1); null when neither is there. */
  private clientOf(input: TokenRequestInput): { id: string; secret: string } | null | 'conflict' {
    const basic = /^Basic\s+(\S+)$/i.exec(input.authorization ?? '');
    const inBody = typeof input.fields.client_id === 'string' || typeof input.fields.client_secret === 'string';
    if (basic !== null) {
      if (inBody) return 'conflict';
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return null;
      try {
        return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
      } catch {
        return null;
      }
    }
    const { client_id: id, client_secret: secret } = input.fields;
    return typeof id === 'string' && typeof secret === 'string' ? { id, secret } : null;
  }

  private prune(): void {
    const now = this.clock();
    for (const [token, expiresAt] of this.#tokens) if (expiresAt <= now) this.#tokens.delete(token);
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** Constant-time comparison, so the simulator does not teach clients a timing leak is fine. */
function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}
