/**
 * The health probe's transport: a GET (or HEAD) without a body, on keep-alive connections of its
 * own over node:net and node:tls, its response read by `response-parser.ts`. It exists for the
 * health monitor, which makes one such request per gateway per interval: on node:http a check
 * cost ~150 µs of CPU in the client alone (agent, ClientRequest, IncomingMessage, streams); this
 * costs ~40 µs (docs/architecture.md, "The probe transport"). Every other request stays on
 * node:http (`exchange.ts`).
 *
 * It keeps the limits `exchange.ts` keeps, and the client (`client.ts`) above it is the same:
 * - **egress policy at connect time**: an IP literal is judged before the socket is made, a
 *   hostname resolves through the guarded lookup (`guarded-lookup.ts`);
 * - a **handshake cap** on a new connection's TCP connect and, separately, its TLS handshake,
 *   and a **total cap** on the exchange;
 * - a **size cap** on the body, declared or read, and again after decompression;
 * - **no redirects**: a 3xx is an answer like any other;
 * - **TLS per gateway**: the CA, client certificate and verification are part of the key a
 *   connection is pooled under, so a connection made with one gateway's client certificate is
 *   never used for a request that was not given it.
 *
 * A connection is reused only after a response that was whole, framed and followed by nothing;
 * anything unexpected (bytes while idle, a malformed response, a timeout) closes it. An idle one
 * is closed a second before the server said it would close it (`Keep-Alive: timeout=N`), so it
 * is not reused as the server closes it. A probe is never sent twice, not even on a kept-alive
 * connection that failed before any answer: the monitor's thresholds are its retry.
 *
 * @example
 * const probes = createProbeTransport(policy);
 * const res = await probes.exchange({ method: 'GET', url: new URL(healthUrl), headers, totalMs: 5000, handshakeMs: 5000, maxResponseBytes: 1 << 20 });
 * probes.destroy();
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

import { EgressBlockedError } from './egress-policy.js';
import type { EgressPolicy } from './egress-policy.js';
import { ExchangeAbortedError, ExchangeTimeoutError, ResponseTooLargeError } from './exchange-errors.js';
import { createGuardedLookup, type Lookup, type Resolver } from './guarded-lookup.js';
import { ResponseParser, type ParsedResponse } from './response-parser.js';
import type { TlsOptions } from './types.js';

export interface ProbeExchangeOptions {
  method: 'GET' | 'HEAD';
  url: URL;
  headers: Record<string, string>;
  tls?: TlsOptions;
  /** Cap on the whole exchange. */
  totalMs: number;
  /** Cap on a new connection's TCP connect, and separately on its TLS handshake. */
  handshakeMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface ProbeResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

export interface ProbeTransport {
  /** Resolves with any status; rejects with the first thing that went wrong. */
  exchange(options: ProbeExchangeOptions): Promise<ProbeResponse>;
  /** Closes every connection, idle or busy. */
  destroy(): void;
}

/** Idle connections kept per pool key, as the node:http agents keep (`guarded-agents.ts`). */
export const MAX_IDLE_PER_KEY = 256;
/** How long an idle connection is kept when the server does not say (`Keep-Alive: timeout=N`). */
const DEFAULT_IDLE_MS = 4000;
/** Closed this long before the server's own idle timeout, so it is not reused as the server closes it. */
const IDLE_MARGIN_MS = 1000;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_INVALID = /[^\t\x20-\x7e\x80-\xff]/;

/** The request's bytes; a header that could smuggle a line break is refused, as node:http refuses it. */
function requestHead(options: ProbeExchangeOptions): string {
  const { url } = options;
  let head = `${options.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const name in options.headers) {
    const value = options.headers[name]!;
    if (!HEADER_NAME.test(name)) throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name}"]`), { code: 'ERR_INVALID_HTTP_TOKEN' });
    if (HEADER_VALUE_INVALID.test(value)) throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: 'ERR_INVALID_CHAR' });
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/** Connections are shared only between requests to the same origin with the same TLS settings. */
function poolKey(url: URL, options: TlsOptions | undefined): string {
  if (url.protocol !== 'https:' || options === undefined) return url.origin;
  return `${url.origin}\n${options.insecureSkipVerify === true ? 'insecure' : 'verify'}\n${options.caCert ?? ''}\n${options.clientCert ?? ''}\n${options.clientKey ?? ''}`;
}

/** The body as sent, decoded when the server compressed it, never past the cap. */
function decodedBody(response: ParsedResponse, maxBytes: number): Buffer {
  const encoding = response.headers['content-encoding'];
  const decode = typeof encoding === 'string' ? DECODERS[encoding.trim().toLowerCase()] : undefined;
  if (decode === undefined || response.body.length === 0) return response.body;
  try {
    return decode(response.body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new ResponseTooLargeError(`response exceeds the ${maxBytes}-byte limit`);
    throw error;
  }
}

const DECODERS: Record<string, ((body: Buffer, options: { maxOutputLength: number }) => Buffer) | undefined> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/** How long the server keeps an idle connection, less a margin; 0: do not keep it. */
function idleMsOf(headers: Record<string, string | string[]>): number {
  const hint = headers['keep-alive'];
  const seconds = typeof hint === 'string' ? /(?:^|[,\s])timeout=(\d+)/i.exec(hint)?.[1] : undefined;
  return seconds === undefined ? DEFAULT_IDLE_MS : Math.max(0, Math.min(DEFAULT_IDLE_MS, Number(seconds) * 1000 - IDLE_MARGIN_MS));
}

interface Parked {
  socket: Socket;
  /** Takes it out of the pool and closes it. */
  drop: () => void;
}

export function createProbeTransport(policy: EgressPolicy, resolve?: Resolver): ProbeTransport {
  const lookup: Lookup = createGuardedLookup(policy, resolve);
  const idle = new Map<string, Parked[]>();
  const sockets = new Set<Socket>();
  let destroyed = false;

  /** Keeps a connection for the next request, closing it on anything it does while idle. */
  function park(key: string, socket: Socket, idleMs: number): void {
    const parked = idle.get(key) ?? [];
    if (destroyed || idleMs === 0 || parked.length >= MAX_IDLE_PER_KEY) {
      socket.destroy();
      return;
    }
    const entry: Parked = {
      socket,
      drop: () => {
        const at = parked.indexOf(entry);
        if (at !== -1) parked.splice(at, 1);
        if (parked.length === 0 && idle.get(key) === parked) idle.delete(key);
        socket.destroy();
      },
    };
    // Nothing was asked, so any byte is unexpected; an end, an error or the idle time closes it too.
    socket.on('data', entry.drop).on('end', entry.drop).on('close', entry.drop).on('error', entry.drop).on('timeout', entry.drop);
    socket.setTimeout(idleMs);
    socket.unref();
    parked.push(entry);
    idle.set(key, parked);
  }

  /** The most recently parked connection (the others idle out), detached from its idle handlers. */
  function take(key: string): Socket | undefined {
    const parked = idle.get(key);
    const entry = parked?.pop();
    if (entry === undefined) return undefined;
    if (parked!.length === 0) idle.delete(key);
    const { socket, drop } = entry;
    socket.off('data', drop).off('end', drop).off('close', drop).off('error', drop).off('timeout', drop);
    socket.setTimeout(0);
    socket.ref();
    return socket;
  }

  /** A new connection, or an error when the policy refuses its IP literal. */
  function connect(url: URL, options: TlsOptions | undefined): Socket | Error {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = net.isIP(host) !== 0;
    if (literal) {
      const verdict = policy.checkAddress(host);
      if (!verdict.allowed) return new EgressBlockedError(verdict.reason);
    }
    const secure = url.protocol === 'https:';
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    const socket = secure
      ? tls.connect({
          host,
          port,
          lookup,
          ...(literal ? {} : { servername: host }),
          ca: options?.caCert,
          cert: options?.clientCert,
          key: options?.clientKey,
          rejectUnauthorized: options?.insecureSkipVerify !== true,
          ALPNProtocols: ['http/1.1'],
        })
      : net.connect({ host, port, lookup });
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  }

  function exchange(options: ProbeExchangeOptions): Promise<ProbeResponse> {
    return new Promise((resolvePromise, reject) => {
      const { signal } = options;
      const secure = options.url.protocol === 'https:';
      const key = poolKey(options.url, options.tls);
      let socket: Socket | undefined;
      let parser: ResponseParser;
      let handshake: NodeJS.Timeout | undefined;
      let settled = false;

      const detach = (): void => {
        if (socket === undefined) return;
        socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError).off('connect', onConnect).off('secureConnect', onSecure);
      };
      const settle = (): void => {
        settled = true;
        clearTimeout(total);
        clearTimeout(handshake);
        signal?.removeEventListener('abort', onAbort);
        detach();
      };
      const fail = (error: unknown): void => {
        if (settled) return;
        settle();
        socket?.destroy();
        reject(error);
      };
      const complete = (response: ParsedResponse): void => {
        settle();
        let body: Buffer;
        try {
          body = decodedBody(response, options.maxResponseBytes);
        } catch (error) {
          socket!.destroy();
          reject(error);
          return;
        }
        if (response.reusable && !response.trailing) park(key, socket!, idleMsOf(response.headers));
        else socket!.destroy();
        resolvePromise({ status: response.status, headers: response.headers, body: body.toString('utf8') });
      };
      function onData(chunk: Buffer): void {
        let response: ParsedResponse | undefined;
        try {
          response = parser.push(chunk);
        } catch (error) {
          fail(error);
          return;
        }
        if (response !== undefined) complete(response);
      }
      function onEnd(): void {
        if (settled) return;
        let response: ParsedResponse;
        try {
          response = parser.end();
        } catch (error) {
          fail(error);
          return;
        }
        complete(response);
      }
      function onError(error: Error): void {
        fail(error);
      }
      function onConnect(): void {
        clearTimeout(handshake);
        handshake = secure ? setTimeout(() => fail(new ExchangeTimeoutError('secureConnect')), options.handshakeMs) : undefined;
      }
      function onSecure(): void {
        clearTimeout(handshake);
      }
      function onAbort(): void {
        fail(new ExchangeAbortedError('aborted by the caller'));
      }
      function send(connection: Socket, wasReused: boolean, request: string): void {
        socket = connection;
        parser = new ResponseParser(options.maxResponseBytes, options.method === 'HEAD');
        connection.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError);
        if (!wasReused) {
          connection.once('connect', onConnect).once('secureConnect', onSecure);
          handshake = setTimeout(() => fail(new ExchangeTimeoutError('connect')), options.handshakeMs);
        }
        connection.write(request, 'latin1');
      }
      function start(): void {
        if (destroyed) return fail(new ExchangeAbortedError('the transport is closed'));
        let request: string;
        try {
          request = requestHead(options);
        } catch (error) {
          return fail(error);
        }
        const kept = take(key);
        if (kept !== undefined) return send(kept, true, request);
        const fresh = connect(options.url, options.tls);
        if (fresh instanceof Error) return fail(fresh);
        send(fresh, false, request);
      }

      const total = setTimeout(() => fail(new ExchangeTimeoutError('total')), options.totalMs);
      if (signal?.aborted === true) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      start();
    });
  }

  return {
    exchange,
    destroy(): void {
      destroyed = true;
      idle.clear();
      // Parked connections are among these: their drop handlers find them already gone.
      for (const socket of sockets) socket.destroy();
    },
  };
}
