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
 * is closed a second before the server said it would close it (`Keep-Alive: timeout=N`; 4 s when
 * it does not say), so it is not reused as the server closes it. A probe is never sent twice, not even on a kept-alive
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
import { ExchangeAbortedError, ExchangeTimeoutError, ResponseTooLargeError, type TimeoutPhase } from './exchange-errors.js';
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
/** However long the server says it keeps a connection, ours is closed after this. */
const MAX_IDLE_MS = 300_000;
/** How often idle connections past their time are closed (a taken one is checked when taken). */
const SWEEP_MS = 1000;

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
  return seconds === undefined ? DEFAULT_IDLE_MS : Math.max(0, Math.min(MAX_IDLE_MS, Number(seconds) * 1000 - IDLE_MARGIN_MS));
}

/** What a connection's events go to while an exchange reads it. */
interface Reader {
  data(chunk: Buffer): void;
  /** The server ended or closed the connection. */
  end(): void;
  error(error: Error): void;
}

/**
 * A socket with its handlers attached once: its events go to the exchange reading it, and while
 * it is idle anything at all (a byte nobody asked for, an end, an error) closes it. Cheaper than
 * attaching and detaching listeners around every exchange.
 */
class Connection {
  reader: Reader | null = null;
  /** While idle: when it must be closed (performance.now() time). */
  idleUntil = 0;
  /** While idle: the pool it is parked in. */
  pool: Connection[] | null = null;

  /** `readsItself`: the socket hands its bytes to {@link received} (`onread`), not as 'data' events. */
  constructor(
    readonly socket: Socket,
    readsItself: boolean,
  ) {
    if (!readsItself) socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => (this.reader === null ? this.close() : this.reader.end()));
    socket.on('close', () => (this.reader === null ? this.close() : this.reader.end()));
    socket.on('error', (error: Error) => (this.reader === null ? this.close() : this.reader.error(error)));
  }

  received(chunk: Buffer): void {
    if (this.reader === null) this.close();
    else this.reader.data(chunk);
  }

  /** Out of its pool, if parked, and closed. */
  close(): void {
    const pool = this.pool;
    if (pool !== null) {
      this.pool = null;
      const at = pool.indexOf(this);
      if (at !== -1) pool.splice(at, 1);
    }
    this.reader = null;
    this.socket.destroy();
  }
}

/**
 * A plain connection's bytes are read into one buffer shared by the transport's connections
 * (`onread`) and copied out of it, each read's bytes at once: the readable stream's machinery
 * ('data' events, its state and buffering) cost a twentieth of a check. TLS sockets keep their
 * 'data' events (they take no `onread`).
 */
const READ_BUFFER_BYTES = 64 * 1024;

function readInto(connection: Connection, size: number, bytes: Uint8Array): boolean {
  // Copied: the next read overwrites the shared buffer, and the parser keeps slices of a chunk.
  connection.received(Buffer.from(bytes.subarray(0, size)));
  return true;
}

export function createProbeTransport(policy: EgressPolicy, resolve?: Resolver): ProbeTransport {
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const lookup: Lookup = createGuardedLookup(policy, resolve);
  /** Idle connections by pool key, the most recently parked last. */
  const idle = new Map<string, Connection[]>();
  const connections = new Set<Connection>();
  let sweeper: NodeJS.Timeout | undefined;
  let destroyed = false;

  function sweep(): void {
    const now = performance.now();
    for (const [key, pool] of idle) {
      for (const connection of [...pool]) if (connection.idleUntil <= now) connection.close();
      if (pool.length === 0) idle.delete(key);
    }
    if (idle.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  /** Keeps a connection for the next request to the same key, or closes it. */
  function park(key: string, connection: Connection, idleMs: number): void {
    connection.reader = null;
    let pool = idle.get(key);
    if (destroyed || idleMs === 0 || (pool !== undefined && pool.length >= MAX_IDLE_PER_KEY)) {
      connection.close();
      return;
    }
    if (pool === undefined) idle.set(key, (pool = []));
    connection.pool = pool;
    connection.idleUntil = performance.now() + idleMs;
    connection.socket.unref();
    pool.push(connection);
    if (sweeper === undefined) {
      sweeper = setInterval(sweep, SWEEP_MS);
      sweeper.unref();
    }
  }

  /** The most recently parked connection still within its time (the others idle out). */
  function take(key: string): Connection | undefined {
    const pool = idle.get(key);
    if (pool === undefined) return undefined;
    const now = performance.now();
    for (let connection = pool.pop(); connection !== undefined; connection = pool.pop()) {
      connection.pool = null;
      if (connection.idleUntil <= now || connection.socket.destroyed) {
        connection.close();
        continue;
      }
      connection.socket.ref();
      return connection;
    }
    return undefined;
  }

  /** A new connection, or an error when the policy refuses its IP literal. */
  function connect(url: URL, options: TlsOptions | undefined): Connection | Error {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = net.isIP(host) !== 0;
    if (literal) {
      const verdict = policy.checkAddress(host);
      if (!verdict.allowed) return new EgressBlockedError(verdict.reason);
    }
    const secure = url.protocol === 'https:';
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    const socket: Socket = secure
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
      : net.connect({
          host,
          port,
          lookup,
          onread: { buffer: readBuffer, callback: (size: number, bytes: Uint8Array): boolean => readInto(connection, size, bytes) },
        });
    socket.setNoDelay(true);
    const connection: Connection = new Connection(socket, !secure);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
    return connection;
  }

  function exchange(options: ProbeExchangeOptions): Promise<ProbeResponse> {
    return new Promise((resolvePromise, reject) => {
      if (destroyed) return reject(new ExchangeAbortedError('the transport is closed'));
      let request: string;
      try {
        request = requestHead(options);
      } catch (error) {
        return reject(error);
      }
      if (options.signal?.aborted === true) return reject(new ExchangeAbortedError('aborted by the caller'));
      const key = poolKey(options.url, options.tls);
      const kept = take(key);
      let connection: Connection;
      if (kept === undefined) {
        const fresh = connect(options.url, options.tls);
        if (fresh instanceof Error) return reject(fresh);
        connection = fresh;
      } else {
        connection = kept;
      }
      new ProbeExchange(options, key, connection, kept === undefined, park, resolvePromise, reject).send(request);
    });
  }

  return {
    exchange,
    destroy(): void {
      destroyed = true;
      clearInterval(sweeper);
      idle.clear();
      // An exchange in flight fails now rather than at its timeout.
      for (const connection of connections) {
        if (connection.reader === null) connection.close();
        else connection.reader.error(new ExchangeAbortedError('the HTTP client is closed'));
      }
    },
  };
}

/**
 * The exchanges in flight that each abort signal would end. Exchanges sharing a signal (the health
 * monitor gives the checks that start together one: `health-safety-nets.ts`) share one listener
 * on it: EventTarget walks a signal's whole listener list to refuse duplicates, so a listener per
 * exchange cost more with every exchange in flight (the most expensive function of a check).
 */
const abortable = new WeakMap<AbortSignal, Set<ProbeExchange>>();

function watchAbort(signal: AbortSignal, exchange: ProbeExchange): void {
  let exchanges = abortable.get(signal);
  if (exchanges === undefined) {
    const watched = (exchanges = new Set());
    abortable.set(signal, watched);
    signal.addEventListener(
      'abort',
      () => {
        for (const aborted of [...watched]) aborted.fail(new ExchangeAbortedError('aborted by the caller'));
        watched.clear();
      },
      { once: true },
    );
  }
  exchanges.add(exchange);
}

/** One request and its answer on one connection, under the exchange's caps. */
class ProbeExchange implements Reader {
  readonly #parser: ResponseParser;
  readonly #total: NodeJS.Timeout;
  #handshake: NodeJS.Timeout | undefined;
  #settled = false;

  constructor(
    private readonly options: ProbeExchangeOptions,
    private readonly key: string,
    private readonly connection: Connection,
    fresh: boolean,
    private readonly park: (key: string, connection: Connection, idleMs: number) => void,
    private readonly resolve: (response: ProbeResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.#parser = new ResponseParser(options.maxResponseBytes, options.method === 'HEAD');
    connection.reader = this;
    this.#total = setTimeout(timeOut, options.totalMs, this, 'total');
    if (options.signal !== undefined) watchAbort(options.signal, this);
    if (fresh) {
      // The TCP connect, then (https) the TLS handshake, each under the handshake cap.
      this.#handshake = setTimeout(timeOut, options.handshakeMs, this, 'connect');
      const socket = connection.socket;
      socket.once('connect', () => {
        clearTimeout(this.#handshake);
        if (options.url.protocol === 'https:' && !this.#settled) this.#handshake = setTimeout(timeOut, options.handshakeMs, this, 'secureConnect');
      });
      socket.once('secureConnect', () => clearTimeout(this.#handshake));
    }
  }

  send(request: string): void {
    this.connection.socket.write(request, 'latin1');
  }

  data(chunk: Buffer): void {
    let response: ParsedResponse | undefined;
    try {
      response = this.#parser.push(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (response !== undefined) this.#complete(response);
  }

  end(): void {
    if (this.#settled) return;
    let response: ParsedResponse;
    try {
      response = this.#parser.end();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.#complete(response);
  }

  error(error: Error): void {
    this.fail(error);
  }

  /** Ends the exchange with `error` and closes the connection: nothing on it can be trusted now. */
  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.connection.close();
    this.reject(error);
  }

  #settle(): void {
    this.#settled = true;
    clearTimeout(this.#total);
    clearTimeout(this.#handshake);
    if (this.options.signal !== undefined) abortable.get(this.options.signal)?.delete(this);
  }

  #complete(response: ParsedResponse): void {
    this.#settle();
    let body: Buffer;
    try {
      body = decodedBody(response, this.options.maxResponseBytes);
    } catch (error) {
      this.connection.close();
      this.reject(error);
      return;
    }
    if (response.reusable && !response.trailing) this.park(this.key, this.connection, idleMsOf(response.headers));
    else this.connection.close();
    this.resolve({ status: response.status, headers: response.headers, body: body.toString('utf8') });
  }
}

function timeOut(exchange: ProbeExchange, phase: TimeoutPhase): void {
  exchange.fail(new ExchangeTimeoutError(phase));
}
