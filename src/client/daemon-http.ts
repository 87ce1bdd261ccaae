/**
 * One request to the daemon on node:http(s). The global `fetch` would do, but loading undici
 * costs a CLI command about a tenth of a second before its first byte goes out, and its pooled
 * sockets kept finished commands alive until they timed out. Free keep-alive sockets here are
 * unref'd by Node's agent, so a command exits as soon as its work is done, and a dashboard
 * polling every few seconds reuses one connection.
 */
import http from 'node:http';
import https from 'node:https';

export interface DaemonResponse {
  status: number;
  etag: string | null;
  text: string;
}

export interface DaemonRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Raised when no answer came within `timeoutMs`. */
export class DaemonTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'DaemonTimeoutError';
  }
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export function requestDaemon(request: DaemonRequest): Promise<DaemonResponse> {
  return new Promise((resolve, reject) => {
    const secure = request.url.protocol === 'https:';
    const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
    const outgoing = (secure ? https : http).request(request.url, { method: request.method, headers, agent: secure ? agents.https : agents.http });
    const timer = setTimeout(() => outgoing.destroy(new DaemonTimeoutError(request.timeoutMs)), request.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    outgoing.on('error', fail);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        const etag = response.headers.etag;
        resolve({ status: response.statusCode ?? 0, etag: etag ?? null, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    outgoing.end(request.body);
  });
}
