/**
 * Why an exchange stopped, from either transport (`exchange.ts` on node:http, `probe-exchange.ts`
 * for health probes): the HTTP client (`client.ts`) turns each into a failure kind and a message.
 * Kept apart from the transports so the client can tell them apart without loading either.
 */

/** Which cap ran out: a new connection's TCP connect, its TLS handshake, or the whole exchange. */
export type TimeoutPhase = 'connect' | 'secureConnect' | 'total';

export class ExchangeTimeoutError extends Error {
  constructor(readonly phase: TimeoutPhase) {
    super(`timed out (${phase})`);
    this.name = 'ExchangeTimeoutError';
  }
}

export class ResponseTooLargeError extends Error {}

export class ExchangeAbortedError extends Error {}

/** The server's bytes are not an HTTP/1.1 response (the probe transport's own parser said so). */
export class MalformedResponseError extends Error {}
