/**
 * The HttpClient every adapter uses. What it guarantees, beyond speaking HTTP:
 *
 * - **Egress policy** on the URL's IP literal before anything happens, and on the address
 *   actually connected to: the keep-alive agents (`guarded-agents.ts`) judge literals and resolve
 *   hostnames through a lookup that drops refused addresses, so `metadata.example` resolving to
 *   169.254.169.254 never gets a SYN.
 * - **No redirects.** A 3xx resolves like any other status, Location header included; following it
 *   is the caller's decision (and its target would go through the policy again).
 * - **Timeouts**: each attempt's TCP and TLS handshakes are capped by `connectTimeoutMs`; the
 *   request's `timeoutMs` bounds everything, retries and the waits between them included.
 * - **Size cap**: a declared Content-Length over `maxResponseBytes`, or a body that grows past it
 *   (after decompression), ends the request with `too_large`.
 * - **Retries** only when asked for and the method is idempotent, on network failures and
 *   429/502/503/504, with capped exponential backoff and full jitter (see `retry.ts`).
 * - **Errors** are HttpFailure with a kind and a message naming the redacted URL and the cause.
 *   They carry no `cause`: the lower layers' errors can hold request options, Authorization
 *   header included, and a logger serialising the chain would print it.
 *
 * The exchange itself (`exchange.ts`, node:http) and the agents load on the first request, so a
 * command that never calls a gateway does not pay for node:http, node:https and TLS.
 *
 * @example
 * const http = createHttpClient(context.http, context.network, context.logger);
 * const res = await http.request({ method: 'GET', url: 'https://gw:9443/health', tls: { caCert } });
 * http.close();
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { AdapterLogger, EgressPolicySettings, OutboundHttpSettings } from '../adapter.js';
import { EgressBlockedError, createEgressPolicy } from './egress-policy.js';
import type { EgressPolicy } from './egress-policy.js';
import type * as ExchangeModule from './exchange.js';
import { ExchangeTimeoutError, MalformedResponseError, ResponseTooLargeError } from './exchange-errors.js';
import type * as AgentsModule from './guarded-agents.js';
import type { Resolver } from './guarded-agents.js';
import type * as ProbeModule from './probe-exchange.js';
import { SecretScrubber } from '../../secrets/scrubber.js';
import { redactUrl } from './redact-url.js';
import { IDEMPOTENT_METHODS, RETRYABLE_STATUSES, backoffDelayMs, parseRetryAfterMs } from './retry.js';
import { HttpFailure } from './types.js';
import type { HttpClient, HttpFailureKind, HttpRequest, HttpResponse, TlsOptions } from './types.js';

export interface HttpClientOptions {
  /** Source of backoff jitter, uniform in [0, 1). Tests pass a constant. */
  random?: () => number;
  /** Cap on each attempt's TCP handshake and, separately, its TLS handshake. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * Resolves a hostname to every address it has; the egress policy then judges each one.
   * Defaults to the system resolver (`dns.lookup`, so /etc/hosts counts).
   */
  resolve?: Resolver;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const USER_AGENT = 'agentgw';

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

const NETWORK_MESSAGES: Record<string, string> = {
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server while sending',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ECONNABORTED: 'connection aborted',
  EADDRNOTAVAIL: 'no local address to connect from',
};

/**
 * The exchange and the agents (node:http, node:https and TLS), and the probe transport for
 * health probes (`probe-exchange.ts`), loaded on the first request.
 */
interface Transport {
  exchange: typeof ExchangeModule;
  agents: ReturnType<typeof AgentsModule.createGuardedAgents>;
  probes: ProbeModule.ProbeTransport;
}

async function loadTransport(policy: EgressPolicy, resolve: Resolver | undefined): Promise<Transport> {
  const [exchange, { createGuardedAgents }, { createProbeTransport }] = await Promise.all([
    import('./exchange.js'),
    import('./guarded-agents.js'),
    import('./probe-exchange.js'),
  ]);
  return { exchange, agents: createGuardedAgents(policy, resolve), probes: createProbeTransport(policy, resolve) };
}

type AttemptOutcome =
  | { ok: true; response: HttpResponse }
  | { ok: false; failure: HttpFailure; retryable: boolean };

interface AttemptContext {
  totalMs: number;
  attempts: number;
  /** This attempt's cap on the TCP and on the TLS handshake: connectTimeoutMs, or less when the budget is nearly spent. */
  handshakeMs: number;
}

function codesOf(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== 'object' || error === null || seen.has(error)) return [];
  seen.add(error);
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof record.code === 'string' ? [record.code] : [];
  const nested = Array.isArray(record.errors) ? record.errors.flatMap((inner) => codesOf(inner, seen)) : [];
  return [...own, ...codesOf(record.cause, seen), ...nested];
}

function findInChain<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTlsCode(code: string): boolean {
  return TLS_ERROR_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT');
}

/**
 * What must never appear in a message even if a lower layer echoed it: the URL's password and
 * header values (Authorization, API keys), in whatever encoding (the shared SecretScrubber).
 * Short header values are skipped: scrubbing "gw" or "1" would mangle the message without
 * protecting anything.
 */
function scrubberFor(request: HttpRequest): SecretScrubber {
  const secrets = Object.values(request.headers ?? {}).filter((value) => value.length >= 8);
  try {
    const password = new URL(request.url).password;
    secrets.push(password);
    // Last: a malformed escape throws, and the raw form is already in.
    secrets.push(decodeURIComponent(password));
  } catch {}
  return new SecretScrubber(secrets);
}

/**
 * OpenSSL errors arrive as `<hex>:error:<code>:SSL routines:<function>:<reason>:<file>:<line>`;
 * only the reason means anything to a user, and a few reasons have a likely cause worth naming.
 */
function describeTlsError(message: string): string {
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
  if (/wrong version number|packet length too long|http request/i.test(reason)) return `${reason} (the server may not speak TLS on this port)`;
  if (/certificate required/i.test(reason)) return `${reason} (the server wants a client certificate)`;
  if (/bad certificate|unknown ca|certificate unknown/i.test(reason)) return `${reason} (the server refused the client certificate)`;
  return reason;
}

function failureKindOf(codes: string[]): HttpFailureKind {
  if (codes.includes('ECONNREFUSED')) return 'refused';
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN') || codes.includes('EAI_FAIL') || codes.includes('ENODATA')) return 'dns';
  if (codes.includes('ETIMEDOUT')) return 'timeout';
  if (codes.some(isTlsCode)) return 'tls';
  return 'network';
}

/**
 * Creates a client with its own keep-alive agents; call `close()` when done with it.
 * Throws ConfigError when a CIDR in the network settings cannot be parsed.
 */
export function createHttpClient(
  settings: OutboundHttpSettings,
  network: EgressPolicySettings,
  logger: AdapterLogger,
  options: HttpClientOptions = {},
): HttpClient {
  const policy = createEgressPolicy(network);
  const random = options.random ?? Math.random;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let transport: Promise<Transport> | undefined;
  /** The transport once loaded: a request then starts without waiting a turn for the promise. */
  let loaded: Transport | undefined;
  const warnedInsecureOrigins = new Set<string>();
  let closed = false;

  function warnIfInsecure(url: URL, tls: TlsOptions | undefined): void {
    if (tls?.insecureSkipVerify !== true || url.protocol !== 'https:' || warnedInsecureOrigins.has(url.origin)) return;
    warnedInsecureOrigins.add(url.origin);
    logger.warn(`TLS certificate verification is disabled for ${url.origin} (insecureSkipVerify): the connection can be intercepted`, {
      origin: url.origin,
    });
  }

  function toFailure(error: unknown, request: HttpRequest, context: AttemptContext): { failure: HttpFailure; retryable: boolean } {
    const shown = redactUrl(request.url);
    const fail = (kind: HttpFailureKind, cause: string, retryable: boolean) => ({
      failure: new HttpFailure(kind, scrubberFor(request).scrub(`${shown}: ${cause}`), shown),
      retryable,
    });
    if (request.signal?.aborted === true) return fail('aborted', 'aborted by the caller', false);
    const blocked = findInChain(error, EgressBlockedError);
    if (blocked !== undefined) return fail('blocked', `blocked by the egress policy: ${blocked.message}`, false);
    if (error instanceof ResponseTooLargeError) return fail('too_large', error.message, false);
    const attempts = context.attempts > 1 ? ` (${context.attempts} attempts)` : '';
    if (error instanceof ExchangeTimeoutError) {
      // A handshake cut short by what was left of the total budget is the total timeout.
      const fullHandshake = context.handshakeMs >= connectTimeoutMs;
      if (error.phase === 'connect' && fullHandshake) return fail('timeout', `connection timed out after ${connectTimeoutMs} ms${attempts}`, true);
      if (error.phase === 'secureConnect' && fullHandshake) return fail('timeout', `TLS handshake timed out after ${connectTimeoutMs} ms${attempts}`, true);
      return fail('timeout', `timed out after ${context.totalMs} ms${attempts}`, false);
    }
    if (error instanceof MalformedResponseError) return fail('network', `malformed HTTP response (${error.message})`, true);
    const codes = codesOf(error);
    const message = error instanceof Error ? error.message : String(error);
    const kind = failureKindOf(codes);
    switch (kind) {
      case 'refused':
        return fail('refused', 'connection refused', true);
      case 'dns': {
        const host = new URL(request.url).hostname;
        const temporary = codes.includes('EAI_AGAIN');
        return fail('dns', temporary ? `temporary failure resolving ${host}` : `cannot resolve host ${host}`, temporary);
      }
      case 'timeout':
        return fail('timeout', 'connection timed out', true);
      case 'tls':
        return fail('tls', `TLS error: ${describeTlsError(message)}`, false);
      default: {
        const known = codes.map((code) => NETWORK_MESSAGES[code]).find((text) => text !== undefined);
        const malformed = codes.some((code) => code.startsWith('HPE_')) ? `malformed HTTP response (${message})` : undefined;
        const closed = /socket hang up/i.test(message) ? 'connection closed before a response' : undefined;
        const cause = known ?? malformed ?? closed ?? `network error: ${message}`;
        return fail('network', cause, true);
      }
    }
  }

  async function attempt(request: HttpRequest, url: URL, remainingMs: number, totalMs: number, attempts: number): Promise<AttemptOutcome> {
    const { exchange, agents, probes } = loaded ?? (loaded = await (transport ??= loadTransport(policy, options.resolve)));
    // After the load: elapsedMs is the exchange's, not the first request's module loading.
    const started = performance.now();
    const context: AttemptContext = { totalMs, attempts, handshakeMs: Math.max(1, Math.min(connectTimeoutMs, remainingMs)) };
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    try {
      if (request.probe === true && (request.method === 'GET' || request.method === 'HEAD') && body === undefined) {
        const response = await probes.exchange({
          method: request.method,
          url,
          headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'gzip, deflate, br', ...request.headers },
          tls: request.tls,
          totalMs: Math.max(1, remainingMs),
          handshakeMs: context.handshakeMs,
          maxResponseBytes: settings.maxResponseBytes,
          signal: request.signal,
        });
        // The probe transport's headers are a fresh object already: no copy.
        return { ok: true, response: { ...response, elapsedMs: Math.round(performance.now() - started) } };
      }
      const response = await exchange.exchange({
        method: request.method,
        url,
        headers: {
          'user-agent': USER_AGENT,
          'accept-encoding': 'gzip, deflate, br',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...request.headers,
        },
        body,
        agents,
        tls: request.tls,
        totalMs: Math.max(1, remainingMs),
        handshakeMs: context.handshakeMs,
        maxResponseBytes: settings.maxResponseBytes,
        signal: request.signal,
      });
      return { ok: true, response: { ...response, headers: { ...response.headers }, elapsedMs: Math.round(performance.now() - started) } };
    } catch (error) {
      return { ok: false, ...toFailure(error, request, context) };
    }
  }

  function settle(outcome: AttemptOutcome): HttpResponse {
    if (outcome.ok) return outcome.response;
    throw outcome.failure;
  }

  async function request(request: HttpRequest): Promise<HttpResponse> {
    const refuse = (cause: string): never => {
      const shown = redactUrl(request.url);
      throw new HttpFailure('aborted', `${shown}: ${cause}`, shown);
    };
    if (closed) refuse('the HTTP client is closed');
    const url = policy.checkUrl(request.url);
    if (request.signal?.aborted === true) refuse('aborted by the caller');
    warnIfInsecure(url, request.tls);

    const totalMs = request.timeoutMs ?? settings.defaultTimeoutMs;
    const deadline = performance.now() + totalMs;
    const retryPolicy = settings.retryPolicy;
    const maxAttempts = request.retry === true && IDEMPOTENT_METHODS.has(request.method) ? Math.max(1, retryPolicy.maxAttempts) : 1;

    // The server's last answer: a retry that runs out of the total budget gives it back rather
    // than a timeout of the caller's own making.
    let lastAnswer: Extract<AttemptOutcome, { ok: true }> | undefined;
    for (let attempts = 1; ; attempts += 1) {
      const outcome = await attempt(request, url, deadline - performance.now(), totalMs, attempts);
      // A timeout that retries cannot help is the total budget's (toFailure): asked by the clock,
      // a timer can fire before performance.now() reaches the deadline (libuv starts it from
      // the loop's cached time, milliseconds behind under load).
      if (!outcome.ok && outcome.failure.kind === 'timeout' && !outcome.retryable && lastAnswer !== undefined) {
        // The answer is the server's; the time is the whole request's, budget used up (a check
        // that reported the first attempt's 20 ms would make a gateway that now hangs look fast).
        return { ...lastAnswer.response, elapsedMs: Math.round(performance.now() - deadline + totalMs) };
      }
      if (outcome.ok) lastAnswer = outcome;
      const retryable = outcome.ok ? RETRYABLE_STATUSES.has(outcome.response.status) : outcome.retryable;
      if (!retryable || attempts >= maxAttempts) return settle(outcome);

      let waitMs = backoffDelayMs(attempts, retryPolicy, random);
      if (outcome.ok && (outcome.response.status === 429 || outcome.response.status === 503)) {
        const retryAfterMs = parseRetryAfterMs(outcome.response.headers['retry-after'], Date.now());
        // Coming back before the server said so is pointless; waiting longer than the cap is
        // not ours to do. Either way the caller gets the server's answer.
        if (retryAfterMs !== undefined && retryAfterMs > retryPolicy.maxBackoffMs) return settle(outcome);
        if (retryAfterMs !== undefined) waitMs = retryAfterMs;
      }
      // A wait that would use up the whole budget only turns the last answer into a timeout.
      if (performance.now() + waitMs >= deadline) return settle(outcome);

      logger.debug(`retrying ${request.method} ${redactUrl(request.url)}`, {
        attempt: attempts + 1,
        waitMs,
        reason: outcome.ok ? `status ${outcome.response.status}` : outcome.failure.kind,
      });
      try {
        await sleep(waitMs, undefined, request.signal === undefined ? undefined : { signal: request.signal });
      } catch {
        refuse('aborted by the caller');
      }
    }
  }

  return {
    request,
    close(): void {
      closed = true;
      // A transport still loading is closed as soon as it is there.
      void transport?.then(
        ({ agents, probes }) => {
          agents.http.destroy();
          agents.https.destroy();
          probes.destroy();
        },
        () => {},
      );
    },
  };
}
