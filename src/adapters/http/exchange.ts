/**
 * One HTTP exchange on node:http(s), over the guarded keep-alive agents: send, then read the
 * response into memory under a size cap. The HTTP client (`client.ts`) decides what a failure
 * means and whether to try again; this module only makes the exchange obey its limits:
 *
 * - a **handshake cap** on a new connection's TCP connect and, separately, its TLS handshake
 *   (a reused keep-alive socket has neither);
 * - a **total cap** on the exchange, body included;
 * - a **size cap** on the body: a declared Content-Length over it ends the exchange before a
 *   byte is read, and so does a body (gzip, deflate or br decoded) that grows past it;
 * - the caller's **AbortSignal**.
 *
 * Redirects are never followed: node:http does not, and nothing here does.
 *
 * Plain node:http rather than got: a health check through got cost 2–3× the CPU of the same
 * exchange on node:http (measured in `npm run bench -- health-checks`), and a monitor sweeping
 * thousands of gateways is CPU-bound on exactly that.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { urlToHttpOptions } from 'node:url';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

import type { TlsOptions } from './types.js';
import { ExchangeAbortedError, ExchangeTimeoutError, ResponseTooLargeError, type TimeoutPhase } from './exchange-errors.js';

export { ExchangeAbortedError, ExchangeTimeoutError, ResponseTooLargeError, type TimeoutPhase } from './exchange-errors.js';

export interface ExchangeOptions {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  agents: { http: http.Agent; https: https.Agent };
  tls?: TlsOptions;
  /** Cap on the whole exchange. */
  totalMs: number;
  /** Cap on a new connection's TCP connect, and separately on its TLS handshake. */
  handshakeMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The body as sent, decoded when the server compressed it. */
function decodedBody(response: http.IncomingMessage): Readable {
  switch (response.headers['content-encoding']?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return response.pipe(createGunzip());
    case 'deflate':
      return response.pipe(createInflate());
    case 'br':
      return response.pipe(createBrotliDecompress());
    default:
      return response;
  }
}

function tlsOptionsOf(tls: TlsOptions | undefined): https.RequestOptions {
  return {
    ca: tls?.caCert,
    cert: tls?.clientCert,
    key: tls?.clientKey,
    rejectUnauthorized: tls?.insecureSkipVerify !== true,
  };
}

/** Resolves with any status; rejects with the first thing that went wrong. */
export function exchange(options: ExchangeOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const { url, signal, maxResponseBytes } = options;
    const secure = url.protocol === 'https:';
    const timers = new Set<NodeJS.Timeout>();
    let settled = false;

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    // Our own reasons to stop settle first, so the error the caller sees is ours and not the
    // "socket hang up" that destroying the request produces next.
    const stop = (error: Error): void => {
      finish(() => reject(error));
      request.destroy(error);
    };
    const arm = (ms: number, phase: TimeoutPhase): NodeJS.Timeout => {
      const timer = setTimeout(() => stop(new ExchangeTimeoutError(phase)), ms);
      timers.add(timer);
      return timer;
    };
    const disarm = (timer: NodeJS.Timeout): void => {
      clearTimeout(timer);
      timers.delete(timer);
    };
    const onAbort = (): void => stop(new ExchangeAbortedError('aborted by the caller'));

    const request = (secure ? https : http).request({
      ...urlToHttpOptions(url),
      method: options.method,
      headers: options.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
      agent: secure ? options.agents.https : options.agents.http,
      ...(secure ? tlsOptionsOf(options.tls) : {}),
    });
    request.on('error', (error) => finish(() => reject(error)));
    arm(options.totalMs, 'total');
    signal?.addEventListener('abort', onAbort, { once: true });

    request.on('socket', (socket: Socket) => {
      if (!socket.connecting) return; // a keep-alive socket, already connected
      const connect = arm(options.handshakeMs, 'connect');
      socket.once('connect', () => {
        disarm(connect);
        if (!secure) return;
        const handshake = arm(options.handshakeMs, 'secureConnect');
        socket.once('secureConnect', () => disarm(handshake));
      });
    });

    request.on('response', (response) => {
      const declared = Number(response.headers['content-length']);
      if (options.method !== 'HEAD' && Number.isFinite(declared) && declared > maxResponseBytes) {
        stop(new ResponseTooLargeError(`response of ${declared} bytes exceeds the ${maxResponseBytes}-byte limit`));
        return;
      }
      const body = decodedBody(response);
      const chunks: Buffer[] = [];
      let size = 0;
      body.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) {
          stop(new ResponseTooLargeError(`response exceeds the ${maxResponseBytes}-byte limit`));
          body.destroy();
          return;
        }
        chunks.push(chunk);
      });
      body.on('end', () =>
        finish(() => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') })),
      );
      const broken = (error: Error) => finish(() => reject(error));
      body.on('error', broken);
      if (body !== response) response.on('error', broken);
      // Closed before its end, without an error of its own: the server went away mid-body.
      response.on('close', () => {
        if (!response.complete) broken(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      });
    });

    request.end(options.body);
  });
}
