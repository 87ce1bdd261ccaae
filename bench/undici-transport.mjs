// The HTTP client's transport on undici's Agent instead of node:http, for measuring the two
// against each other (`node --expose-gc bench/http-clients.mjs`, docs/architecture.md). Bundled in
// place of src/adapters/http/exchange.ts and guarded-agents.ts, so everything above them (egress
// check of the URL, retries, failure kinds, redaction) is the client agentgw ships.
//
// undici is not a dependency of agentgw: `npm install --no-save undici` first.
//
// What it does as the node:http transport does: the egress policy at connect time (IP literals
// in the connector, hostnames through a lookup that drops refused addresses), a size cap
// (maxResponseSize), a handshake cap (connect.timeout), a total cap (headers and body timeouts,
// and an abort at the total). What it leaves out: decoding gzip/br bodies (health answers are
// small and sent plain; it does not ask for compression) and per-request TLS options (undici
// takes them per Agent, so agentgw would need one Agent per distinct CA or client certificate).
import { promises as dns } from 'node:dns';
import net from 'node:net';
import { Agent, buildConnector } from 'undici';
import { EgressBlockedError } from '../src/adapters/http/egress-policy.js';

import { ExchangeAbortedError, ExchangeTimeoutError, ResponseTooLargeError } from '../src/adapters/http/exchange-errors.js';

// The client tells failures apart by these classes: the transport throws the same ones.
export { ExchangeAbortedError, ExchangeTimeoutError, ResponseTooLargeError };

export const MAX_SOCKETS_PER_ORIGIN = 1024;

function guardedLookup(policy, resolve) {
  return (hostname, options, callback) => {
    const answer = resolve === undefined ? dns.lookup(hostname, { ...options, all: true }) : resolve(hostname);
    answer.then(
      (addresses) => {
        let refusal;
        const allowed = addresses.filter((entry) => {
          const verdict = policy.checkAddress(entry.address);
          if (!verdict.allowed) refusal ??= verdict.reason;
          return verdict.allowed;
        });
        if (allowed.length === 0) callback(new EgressBlockedError(`${hostname} is blocked: it resolves to ${refusal ?? 'nothing'}`), '');
        else if (options.all === true) callback(null, allowed);
        else callback(null, allowed[0].address, allowed[0].family);
      },
      (error) => callback(error, ''),
    );
  };
}

/**
 * undici Agents (one serves both schemes), with the egress policy in their connector: one per
 * response size cap, which undici takes per dispatcher (maxResponseSize), not per request.
 */
export function createGuardedAgents(policy, resolve, { connectTimeoutMs = 10_000 } = {}) {
  const lookup = guardedLookup(policy, resolve);
  const connector = buildConnector({ timeout: connectTimeoutMs, lookup });
  const connect = (options, callback) => {
    if (net.isIP(options.hostname) !== 0) {
      const verdict = policy.checkAddress(options.hostname);
      if (!verdict.allowed) {
        process.nextTick(() => callback(new EgressBlockedError(verdict.reason), null));
        return;
      }
    }
    connector(options, callback);
  };
  const byLimit = new Map();
  const agents = {
    limitedTo(maxResponseBytes) {
      let agent = byLimit.get(maxResponseBytes);
      if (agent === undefined) {
        agent = new Agent({ connect, connections: MAX_SOCKETS_PER_ORIGIN, maxResponseSize: maxResponseBytes, keepAliveTimeout: 4_000 });
        byLimit.set(maxResponseBytes, agent);
      }
      return agent;
    },
    destroy: () => Promise.all([...byLimit.values()].map((agent) => agent.destroy())),
  };
  return { http: agents, https: { destroy: () => {} } };
}

/** Resolves with any status; rejects with the first thing that went wrong (as exchange.ts does). */
export async function exchange(options) {
  const { url, agents, signal } = options;
  const total = new AbortController();
  const timer = setTimeout(() => total.abort(new ExchangeTimeoutError('total')), options.totalMs);
  const onAbort = () => total.abort(new ExchangeAbortedError('aborted by the caller'));
  signal?.addEventListener('abort', onAbort, { once: true });
  const { 'accept-encoding': _, ...headers } = options.headers;
  try {
    const response = await agents.http.limitedTo(options.maxResponseBytes).request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: options.method,
      headers,
      body: options.body,
      signal: total.signal,
      headersTimeout: options.totalMs,
      bodyTimeout: options.totalMs,
    });
    const body = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body };
  } catch (error) {
    if (total.signal.aborted) throw total.signal.reason;
    if (error?.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') throw new ResponseTooLargeError(`response exceeds the size limit`);
    if (error?.code === 'UND_ERR_CONNECT_TIMEOUT') throw new ExchangeTimeoutError('connect');
    if (error?.code === 'UND_ERR_HEADERS_TIMEOUT' || error?.code === 'UND_ERR_BODY_TIMEOUT') throw new ExchangeTimeoutError('total');
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
