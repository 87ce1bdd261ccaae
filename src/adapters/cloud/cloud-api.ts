/**
 * The cloud provider's provisioning API (docs/cloud-provisioning-openapi.yaml), one call at a
 * time: bearer token attached, a 401 answered by one token refresh and one repeat, answers
 * parsed into typed values, unexpected answers turned into GatewayErrors that carry the
 * provider's `message` but never its raw body.
 *
 * Transport failures stay HttpFailures, so a health check can classify them (timeout, refused,
 * TLS…); the adapter turns them into GatewayErrors everywhere else.
 *
 * @example
 * const api = new CloudApi(http, tokens, 'https://api.wso2.cloud/v1', 'wso2-cloud', 30_000);
 * const response = await api.call({ method: 'GET', path: `/gateways/${id}`, retry: true });
 * const gateway = api.parseGateway(response);
 */
import { ConflictError, GatewayError, ValidationError } from '../../domain/errors.js';
import { isHttpUrl } from '../../domain/http-url.js';
import type { CallOptions } from '../adapter.js';
import { redactUrl } from '../http/redact-url.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../http/types.js';
import type { AutoScaling } from './gateway-config.js';
import type { TokenSource } from './token-source.js';
import { parseJsonObject } from './json-object.js';

export const CLOUD_STATUSES = ['PROVISIONING', 'ACTIVE', 'ERROR', 'DELETING'] as const;
export type CloudStatus = (typeof CLOUD_STATUSES)[number];

/** A gateway as the provider describes it. */
export interface CloudGateway {
  id: string;
  name: string;
  status: CloudStatus;
  region: string;
  tier: string;
  autoScaling: AutoScaling | null;
  endpoint: string | null;
  managementUrl: string | null;
  message: string | null;
}

export interface CloudMetrics {
  requestRate: number | null;
  errorRate: number | null;
  averageLatencyMs: number | null;
}

export interface ApiCall extends CallOptions {
  method: HttpRequest['method'];
  /** Below apiEndpoint, starting with `/`. */
  path: string;
  json?: unknown;
  /** Retry transport failures and 5xx per the retry policy (honoured for idempotent methods only). */
  retry: boolean;
}

const MAX_PROVIDER_TEXT = 300;

export class CloudApi {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenSource,
    private readonly apiEndpoint: string,
    private readonly provider: string,
    private readonly defaultTimeoutMs: number,
  ) {}

  /**
   * Sends a call and resolves with any answer but a second 401. The token fetch and both
   * attempts share the call's time budget.
   *
   * Repeating after a 401 is safe even for POST: the provider refuses before it acts.
   */
  async call(call: ApiCall): Promise<HttpResponse> {
    const url = `${this.apiEndpoint}${call.path}`;
    // The access token is for the provisioning API's origin: a path that would lead elsewhere
    // (`@host`, `//host`) is refused before a token is even fetched.
    if (!sameOrigin(url, this.apiEndpoint)) {
      throw new GatewayError('AGW_CLOUD_BAD_REQUEST', `cloud provider ${this.provider}: ${call.method} ${call.path} would leave ${redactUrl(this.apiEndpoint)}; the access token is never sent elsewhere`);
    }
    const deadline = performance.now() + (call.timeoutMs ?? this.defaultTimeoutMs);
    const remaining = (): number => Math.max(1, Math.round(deadline - performance.now()));
    const send = async (): Promise<{ token: string; response: HttpResponse }> => {
      const token = await this.tokens.get({ timeoutMs: remaining() });
      const response = await this.http.request({
        method: call.method,
        url,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        ...(call.json === undefined ? {} : { json: call.json }),
        retry: call.retry,
        timeoutMs: remaining(),
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      });
      return { token, response };
    };

    const first = await send();
    if (first.response.status !== 401) return first.response;
    this.tokens.invalidate(first.token);
    const second = await send();
    if (second.response.status !== 401) return second.response;
    throw new GatewayError(
      'AGW_CLOUD_AUTH',
      this.tokens.redact(`cloud provider ${this.provider} refused a freshly issued access token for ${call.method} ${call.path} (HTTP 401${this.providerText(second.response)})`),
      { hint: 'the OAuth client may lack access to the provisioning API; check its permissions at the provider', details: { status: 401 } },
    );
  }

  /** An error for an answer the caller did not expect, with the provider's own words. */
  failure(action: string, response: HttpResponse): GatewayError {
    const { status } = response;
    const code =
      status === 401 || status === 403
        ? 'AGW_CLOUD_AUTH'
        : status === 404
          ? 'AGW_CLOUD_NOT_FOUND'
          : status === 409
            ? 'AGW_CLOUD_CONFLICT'
            : status < 500
              ? 'AGW_CLOUD_REJECTED'
              : 'AGW_CLOUD_FAILED';
    return new GatewayError(code, this.tokens.redact(`cloud provider ${this.provider}: ${action} failed with HTTP ${status}${this.providerText(response)}`), {
      details: { provider: this.provider, status },
    });
  }

  /** A 400 or 409 to a create: the user's input, not the provider, is at fault. */
  createFailure(name: string, response: HttpResponse): Error {
    const text = this.tokens.redact(this.providerMessage(response) ?? `HTTP ${response.status}`);
    if (response.status === 400 || response.status === 422) {
      return new ValidationError(`cloud provider ${this.provider} refused gateway "${name}": ${text}`, [{ path: 'adapterConfig', message: text }]);
    }
    if (response.status === 409) {
      return new ConflictError('AGW_CLOUD_GATEWAY_EXISTS', `cloud provider ${this.provider} already has a gateway named "${name}": ${text}`, {
        hint: 'pick another name, or delete the gateway at the provider first',
      });
    }
    return this.failure(`create gateway "${name}"`, response);
  }

  parseGateway(response: HttpResponse): CloudGateway {
    const body = parseJsonObject(response.body);
    const status = body?.status;
    if (
      body === undefined ||
      typeof body.id !== 'string' ||
      body.id === '' ||
      typeof body.name !== 'string' ||
      typeof status !== 'string' ||
      !(CLOUD_STATUSES as readonly string[]).includes(status)
    ) {
      throw this.badResponse('a gateway with id, name and a known status');
    }
    const endpoint = optionalUrl(body.endpoint);
    const managementUrl = optionalUrl(body.managementUrl);
    if (endpoint === undefined || managementUrl === undefined) throw this.badResponse('http(s) URLs in endpoint and managementUrl');
    return {
      id: body.id,
      name: body.name,
      status: status as CloudStatus,
      region: typeof body.region === 'string' ? body.region : '',
      tier: typeof body.tier === 'string' ? body.tier : '',
      autoScaling: parseAutoScaling(body.autoScaling),
      endpoint,
      managementUrl,
      message: typeof body.message === 'string' && body.message !== '' ? this.tokens.redact(body.message.slice(0, MAX_PROVIDER_TEXT)) : null,
    };
  }

  /** The `status` of a health answer, or null when the body has none. */
  parseHealth(response: HttpResponse): string | null {
    const status = parseJsonObject(response.body)?.status;
    return typeof status === 'string' ? status : null;
  }

  parseMetrics(response: HttpResponse): CloudMetrics {
    const body = parseJsonObject(response.body);
    if (body === undefined) throw this.badResponse('a metrics object');
    const rate = (key: keyof CloudMetrics): number | null => {
      const value = body[key];
      if (value === null || value === undefined) return null;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw this.badResponse(`a non-negative number or null in ${key}`);
      return value;
    };
    return { requestRate: rate('requestRate'), errorRate: rate('errorRate'), averageLatencyMs: rate('averageLatencyMs') };
  }

  /** The provider's `message` (or `error` code), bounded and scrubbed, when its body has one. */
  providerMessage(response: HttpResponse): string | null {
    const body = parseJsonObject(response.body);
    const text = body?.message ?? body?.error_description ?? body?.error;
    return typeof text === 'string' && text !== '' ? this.tokens.redact(text.slice(0, MAX_PROVIDER_TEXT)) : null;
  }

  private providerText(response: HttpResponse): string {
    const message = this.providerMessage(response);
    return message === null ? '' : `: ${message}`;
  }

  private badResponse(expected: string): GatewayError {
    return new GatewayError('AGW_CLOUD_BAD_RESPONSE', `cloud provider ${this.provider} answered without ${expected}`, {
      hint: 'check that gateway.adapter.cloud.apiEndpoint points at the provisioning API (docs/cloud-provisioning-openapi.yaml)',
      details: { provider: this.provider },
    });
  }
}

function sameOrigin(url: string, base: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.origin === new URL(base).origin && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

/** null when absent, undefined when present but not an http(s) URL. */
function optionalUrl(value: unknown): string | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  return isHttpUrl(value) ? value.replace(/\/+$/, '') : undefined;
}

function parseAutoScaling(value: unknown): AutoScaling | null {
  if (value === null || typeof value !== 'object') return null;
  const { minInstances, maxInstances } = value as Record<string, unknown>;
  return Number.isInteger(minInstances) && Number.isInteger(maxInstances)
    ? { minInstances: minInstances as number, maxInstances: maxInstances as number }
    : null;
}
