/**
 * OAuth 2.0 client-credentials tokens for the cloud provider's API (RFC 6749 §4.4). One token is
 * shared by every call and reused until shortly before it expires; callers asking while a token
 * is being fetched wait for that fetch instead of starting their own, so a burst of health checks
 * costs one token request.
 *
 * The client secret and the tokens never leave this file except in the Authorization headers it
 * builds, sent to the token URL (the secret) and, by CloudApi, to the API's origin (the tokens):
 * messages it produces are passed through `redact`, which callers also use on any text that came
 * back from the provider. `redact` is the shared SecretScrubber, so the secret is cut in the
 * encodings it travels in too (the Basic header's base64, form encoding).
 *
 * @example
 * const tokens = new TokenSource(http, { tokenUrl, clientId, clientSecret }, logger);
 * const token = await tokens.get({ timeoutMs: 5000 });
 * // ... on a 401 answer to a call made with `token`:
 * tokens.invalidate(token);
 */
import { GatewayError } from '../../domain/errors.js';
import { SecretScrubber } from '../../secrets/scrubber.js';
import type { AdapterLogger } from '../adapter.js';
import { redactUrl } from '../http/redact-url.js';
import { HttpFailure } from '../http/types.js';
import type { HttpClient } from '../http/types.js';
import { parseJsonObject } from './json-object.js';

export interface TokenSourceSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

interface CachedToken {
  token: string;
  /** When to stop using it (ms since the epoch): before the provider's expiry, not at it. */
  refreshAt: number;
}

/** Reuse stops this long before expiry: a tenth of the lifetime, never more than a minute. */
const MAX_EARLY_REFRESH_MS = 60_000;
const MAX_PROVIDER_TEXT = 300;

export class TokenSource {
  readonly #http: HttpClient;
  readonly #settings: TokenSourceSettings;
  readonly #logger: AdapterLogger;
  readonly #now: () => number;
  readonly #shownUrl: string;
  #cached: CachedToken | null = null;
  #pending: Promise<string> | null = null;
  /** Every token handed out, so `redact` can remove one that has been replaced. Bounded: only the last few matter. */
  readonly #issued: string[] = [];

  constructor(http: HttpClient, settings: TokenSourceSettings, logger: AdapterLogger, now: () => number = Date.now) {
    this.#http = http;
    this.#settings = settings;
    this.#logger = logger;
    this.#now = now;
    this.#shownUrl = redactUrl(settings.tokenUrl);
  }

  /** A valid token, fetched when none is cached or the cached one is about to expire. */
  get(options: { timeoutMs?: number } = {}): Promise<string> {
    const cached = this.#cached;
    if (cached !== null && this.#now() < cached.refreshAt) return Promise.resolve(cached.token);
    this.#pending ??= this.fetch(options.timeoutMs).finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /**
   * Forgets `token` after the provider refused it. A token that was already replaced (another
   * call saw the 401 first) is left alone, so concurrent 401s cause one refresh, not one each.
   */
  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = null;
  }

  /** `text` with the client secret and every token, in any encoding, replaced by `***`. */
  redact(text: string): string {
    return new SecretScrubber([this.#settings.clientSecret, this.basicCredentials(), ...this.#issued]).scrub(text);
  }

  /** `client_id:client_secret`, form-encoded each (RFC 6749 §2.3.1), before base64. */
  private basicCredentials(): string {
    return `${formEncode(this.#settings.clientId)}:${formEncode(this.#settings.clientSecret)}`;
  }

  private async fetch(timeoutMs: number | undefined): Promise<string> {
    const { tokenUrl } = this.#settings;
    const basic = Buffer.from(this.basicCredentials()).toString('base64');
    let response;
    try {
      response = await this.#http.request({
        method: 'POST',
        url: tokenUrl,
        headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
        // RFC 6749 asks for a form-encoded body; the HTTP client sends JSON bodies only, and the
        // provisioning API accepts the same fields as JSON (docs/cloud-provisioning-openapi.yaml).
        json: { grant_type: 'client_credentials' },
        retry: false,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    } catch (error) {
      if (error instanceof HttpFailure) {
        throw new HttpFailure(error.kind, this.redact(`cannot get a cloud access token from the token endpoint: ${error.message}`), error.url);
      }
      throw error;
    }

    const body = parseJsonObject(response.body);
    if (response.status !== 200) throw this.refusal(response.status, body);
    const token = body?.access_token;
    const tokenType = body?.token_type;
    const expiresIn = body?.expires_in;
    if (typeof token !== 'string' || token === '' || (tokenType !== undefined && String(tokenType).toLowerCase() !== 'bearer')) {
      throw new GatewayError('AGW_CLOUD_BAD_RESPONSE', `the cloud token endpoint ${this.#shownUrl} did not return a bearer access_token`, {
        hint: 'check gateway.adapter.cloud.authentication.tokenUrl: it must be the provider\'s OAuth2 token endpoint',
      });
    }
    this.remember(token);
    const lifetimeMs = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : null;
    // Without a lifetime the token is used until the API refuses it; the 401 path refreshes it.
    const refreshAt = lifetimeMs === null ? Number.POSITIVE_INFINITY : this.#now() + lifetimeMs - Math.min(MAX_EARLY_REFRESH_MS, lifetimeMs / 10);
    this.#cached = { token, refreshAt };
    this.#logger.debug('obtained a cloud access token', { tokenUrl: this.#shownUrl, expiresInSeconds: lifetimeMs === null ? null : expiresIn });
    return token;
  }

  private refusal(status: number, body: Record<string, unknown> | undefined): GatewayError {
    const code = typeof body?.error === 'string' ? ` ${body.error.slice(0, 64)}` : '';
    const description = body?.message ?? body?.error_description;
    const detail = typeof description === 'string' ? `: ${description.slice(0, MAX_PROVIDER_TEXT)}` : '';
    const rejected = status === 400 || status === 401 || status === 403;
    const message = rejected
      ? `the cloud token endpoint ${this.#shownUrl} rejected client "${this.#settings.clientId}" (HTTP ${status}${code}${detail})`
      : `the cloud token endpoint ${this.#shownUrl} answered HTTP ${status}${code}${detail}`;
    return new GatewayError(rejected ? 'AGW_CLOUD_AUTH' : 'AGW_CLOUD_FAILED', this.redact(message), {
      hint: rejected
        ? 'check gateway.adapter.cloud.authentication.clientId and clientSecret (and tokenUrl, if set)'
        : 'the cloud provider may be having trouble; try again later',
      details: { tokenUrl: this.#shownUrl, status },
    });
  }

  private remember(token: string): void {
    this.#issued.push(token);
    if (this.#issued.length > 8) this.#issued.shift();
  }
}

/** `application/x-www-form-urlencoded` encoding, which RFC 6749 §2.3.1 applies before Basic. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
