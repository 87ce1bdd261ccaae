/**
 * The one way adapters talk to the outside world. Every request goes through the egress policy
 * (checked on the address actually connected to), has a connect and a total timeout, never
 * follows redirects, stops reading past a size cap, and is retried only when it is idempotent
 * and the caller asked for retries (health checks never do).
 *
 * @example
 * const http = createHttpClient(context.http, context.network, context.logger);
 * const res = await http.request({ method: 'GET', url: 'http://gw:9092/api/admin/v1/health', timeoutMs: 5000, retry: false });
 */

export interface TlsOptions {
  /** PEM text of a CA bundle to trust. */
  caCert?: string;
  /** PEM text of a client certificate and key, for mutual TLS. */
  clientCert?: string;
  clientKey?: string;
  /** Skips certificate verification; logged as a warning once per client and origin. */
  insecureSkipVerify?: boolean;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  /** A body to send as JSON. */
  json?: unknown;
  /** Total time for the whole exchange, including retries' waits. Defaults to defaultTimeoutMs. */
  timeoutMs?: number;
  /** Retry per the retry policy (only honoured for GET, HEAD, PUT, DELETE). */
  retry?: boolean;
  tls?: TlsOptions;
  signal?: AbortSignal;
  /**
   * A health probe: a GET or HEAD without a body, sent on the lean probe transport
   * (`probe-exchange.ts`) rather than node:http, with the same limits. Ignored for other requests.
   */
  probe?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (capped at maxResponseBytes). */
  body: string;
  /** Milliseconds from sending to the last byte of the final attempt. */
  elapsedMs: number;
}

/** Why a request failed before any HTTP status came back. */
export type HttpFailureKind = 'timeout' | 'refused' | 'dns' | 'tls' | 'blocked' | 'too_large' | 'redirect' | 'network' | 'aborted';

/**
 * `message` reads `<url>: <cause>`; `url` is the request URL without userinfo, query string or
 * fragment. Neither ever holds a password, a header value or a body.
 */
export class HttpFailure extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    message: string,
    readonly url: string,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

export interface HttpClient {
  /**
   * Resolves with any HTTP status (4xx/5xx included); rejects with HttpFailure otherwise.
   * A 3xx is such a status: it resolves with its Location header and is never followed.
   */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Destroys the client's sockets; later requests fail with kind `aborted`. */
  close(): void;
}
