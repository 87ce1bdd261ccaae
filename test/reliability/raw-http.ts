/**
 * HTTP/1.1 as a hostile client writes it, on a TCP socket of its own, for the hardening
 * scenarios: any Host header or none (fetch sets its own), any bytes as the body, and whether the
 * daemon closed the connection after answering (the request asks to keep it). Counted and
 * captured like support.ts's `request`.
 */
import net from 'node:net';
import type { Answer, Scenario } from './support.js';

export interface RawAnswer extends Answer {
  /** The daemon closed the connection within `closeWithinMs` of its answer. */
  closedByServer: boolean;
}

export interface RawRequestOptions {
  headers?: Record<string, string>;
  /** Sent as is when a string or Buffer; JSON otherwise. */
  body?: unknown;
  /** The Host header; null sends none. Default: the base URL's host. */
  host?: string | null;
  timeoutMs?: number;
  /** How long to wait, after the answer, for the daemon to close the connection. */
  closeWithinMs?: number;
}

export async function rawRequest(s: Scenario, base: string, method: string, path: string, options: RawRequestOptions = {}): Promise<RawAnswer> {
  const url = new URL(base);
  const headers: Record<string, string> = { connection: 'keep-alive', ...options.headers };
  let payload: Buffer = Buffer.alloc(0);
  if (options.body !== undefined) {
    payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    headers['content-type'] ??= 'application/json';
  }
  if (options.body !== undefined || method === 'POST' || method === 'PUT') headers['content-length'] = String(payload.length);
  const host = options.host === undefined ? url.host : options.host;
  const head = [`${method} ${path} HTTP/1.1`, ...(host === null ? [] : [`Host: ${host}`]), ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  const started = performance.now();

  const answer = await new Promise<RawAnswer>((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let response: Omit<RawAnswer, 'closedByServer'> | null = null;
    let closeWait: NodeJS.Timeout | undefined;
    const done = (closedByServer: boolean, error?: string) => {
      clearTimeout(timer);
      clearTimeout(closeWait);
      socket.destroy();
      resolve(
        response === null
          ? { status: 0, headers: {}, text: '', body: undefined, error: error ?? 'no answer', ms: performance.now() - started, closedByServer }
          : { ...response, closedByServer },
      );
    };
    const timer = setTimeout(() => done(false, 'timed out'), options.timeoutMs ?? 20_000);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), payload])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (response !== null) return;
      response = parseResponse(received, performance.now() - started);
      if (response !== null) closeWait = setTimeout(() => done(false), options.closeWithinMs ?? 1000);
    });
    socket.on('end', () => done(true, 'closed without an answer'));
    socket.on('close', () => done(true, 'closed without an answer'));
    socket.on('error', (error) => done(true, error.message));
  });

  if (answer.status === 0) s.figures.unanswered += 1;
  else {
    s.figures.requests += 1;
    s.figures.statusCounts[answer.status] = (s.figures.statusCounts[answer.status] ?? 0) + 1;
    s.latencies.push(answer.ms);
    s.capture(`HTTP ${method} ${path} (Host ${host ?? 'none'}) → ${answer.status}`, answer.text);
  }
  s.timeline.push([Math.round(started - s.startedAt), Math.round(answer.ms), answer.status, `${method} ${path}`]);
  return answer;
}

/** A complete response (status line, headers, a Content-Length body) in `bytes`, or null while it is not all there. */
function parseResponse(bytes: Buffer, ms: number): Omit<RawAnswer, 'closedByServer'> | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (bytes.length < end + 4 + length) return null;
  const text = bytes.subarray(end + 4, end + 4 + length).toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, text, body, ms };
}
