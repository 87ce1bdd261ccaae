/**
 * Requests to a gateway-controller's endpoints (management API, admin health, Prometheus), and
 * the errors made of their failures. The one place that decides what a request carries: the
 * gateway's TLS settings always, its credentials only for the origin they were given for.
 *
 * @example
 * const client = new ControllerClient(context);
 * const response = await client.request(target, { method: 'GET', url, retry: true });
 * if (response.status !== 200) throw unexpectedAnswer(target, 'list LLM providers', response);
 */
import { GatewayError } from '../../domain/errors.js';
import { transportCode } from '../../domain/error-codes.js';
import { SecretScrubber } from '../../secrets/scrubber.js';
import type { AdapterContext, CallOptions, GatewayTarget } from '../adapter.js';
import { createHttpClient } from '../http/client.js';
import { HttpFailure, type HttpClient, type HttpRequest, type HttpResponse } from '../http/types.js';
import { originOf, readSettings, type OnPremiseSettings } from './settings.js';

export class ControllerClient {
  readonly #http: HttpClient;

  constructor(context: AdapterContext) {
    this.#http = createHttpClient(context.http, context.network, context.logger);
  }

  /** A request whose transport failures become GatewayErrors naming the gateway. */
  request(target: GatewayTarget, request: HttpRequest): Promise<HttpResponse> {
    return this.send(target, request).catch((error: unknown) => {
      throw toGatewayError(target, error);
    });
  }

  /**
   * A request with the gateway's TLS settings, and its credentials (Authorization header, client
   * certificate and key) only when it goes to the origin they were given for: a metricsUrl or
   * adminUrl elsewhere (a Prometheus endpoint, the admin port, which needs no auth) and a
   * controlPlaneUrl moved to another host without new credentials are never handed them.
   * Transport failures are HttpFailures, for callers that tell their kinds apart. `settings`: the
   * target's, when the caller has just read them.
   */
  send(target: GatewayTarget, request: HttpRequest, settings: OnPremiseSettings = readSettings(target)): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    const own = settings.credentialsOrigin !== null && originOf(request.url) === settings.credentialsOrigin;
    const authorization = authorizationOf(target);
    if (authorization !== undefined && own) headers.authorization = authorization;
    const tls = own ? settings.clientTls : settings.tls;
    return this.#http.request({ ...request, headers, ...(tls === undefined ? {} : { tls }) });
  }

  close(): void {
    this.#http.close();
  }
}

/**
 * An error for an unexpected answer: the status and the controller's own message, never the
 * raw body. A controller may echo what it was sent, so the gateway's credentials and `sent`
 * (the secret values of a manifest) are cut out.
 */
export function unexpectedAnswer(target: GatewayTarget, action: string, response: HttpResponse, sent: readonly string[] = []): GatewayError {
  const body = parseJson(response.body) as { message?: unknown; errors?: unknown } | undefined;
  const scrubber = credentialScrubber(target).with(sent);
  const clean = (text: unknown): string => scrubber.scrub(String(text ?? '').slice(0, 300));
  const message = typeof body?.message === 'string' ? `: ${clean(body.message)}` : '';
  const fieldErrors = Array.isArray(body?.errors)
    ? body.errors
        .slice(0, 10)
        .map((e: { field?: unknown; message?: unknown } | null) => ({ path: clean(e?.field), message: clean(e?.message) }))
        .filter((e) => e.path !== '' || e.message !== '')
    : [];
  const code = response.status === 401 || response.status === 403 ? 'AGW_GATEWAY_AUTH' : response.status === 409 ? 'AGW_GATEWAY_CONFLICT' : response.status < 500 ? 'AGW_GATEWAY_REJECTED' : 'AGW_GATEWAY_FAILED';
  return new GatewayError(code, `${target.name}: ${action} failed with HTTP ${response.status}${message}`, {
    ...(fieldErrors.length > 0 ? { errors: fieldErrors } : {}),
    details: { gateway: target.name, status: response.status },
  });
}

/** A transport failure as a GatewayError naming the gateway; any other error as it was. */
export function toGatewayError(target: GatewayTarget, error: unknown): Error {
  if (error instanceof HttpFailure) {
    return new GatewayError(transportCode('GATEWAY', error.kind), `${target.name}: ${error.message}`, {
      details: { gateway: target.name, kind: error.kind },
    });
  }
  return error as Error;
}

/** The caller's timeout and abort signal, as request fields (absent ones left out, not undefined). */
export function timeout(options: CallOptions): { timeoutMs?: number; signal?: AbortSignal } {
  return { ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...signal(options) };
}

/** The caller's abort signal alone, for requests that set their own time budget. */
export function signal(options: CallOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

/** A controller's answer as JSON, or undefined when it is not JSON (an error page, a proxy's HTML). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function authorizationOf(target: GatewayTarget): string | undefined {
  const { username, password, token } = target.credentials;
  if (token !== undefined) return `Bearer ${token}`;
  if (username !== undefined && password !== undefined) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return undefined;
}

/** Cuts the gateway's password, token and TLS key, in every encoding, out of text a controller wrote. */
function credentialScrubber(target: GatewayTarget): SecretScrubber {
  const { username, password, token, clientKey } = target.credentials;
  return new SecretScrubber([password, token, clientKey, password === undefined ? undefined : `${username ?? ''}:${password}`]);
}
