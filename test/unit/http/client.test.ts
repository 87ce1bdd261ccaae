import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { AdapterLogger, EgressPolicySettings, OutboundHttpSettings } from '../../../src/adapters/adapter.js';
import { createHttpClient } from '../../../src/adapters/http/client.js';
import type { HttpClientOptions } from '../../../src/adapters/http/client.js';
import { redactUrl } from '../../../src/adapters/http/redact-url.js';
import { backoffCeilingMs, backoffDelayMs, parseRetryAfterMs } from '../../../src/adapters/http/retry.js';
import type { HttpClient, HttpRequest } from '../../../src/adapters/http/types.js';
import { failureOf } from '../../support/rejection.js';

const OPEN: EgressPolicySettings = { allow: [], deny: [], denyLoopback: false, denyPrivate: false };

const SETTINGS: OutboundHttpSettings = {
  defaultTimeoutMs: 5_000,
  healthCheckTimeoutMs: 5_000,
  retryPolicy: { maxAttempts: 3, backoffMultiplier: 2, maxBackoffMs: 1_000 },
  maxResponseBytes: 1024,
};

interface LogLine {
  level: 'warn' | 'info' | 'debug';
  message: string;
  fields: Record<string, unknown> | undefined;
}

function recordingLogger(): AdapterLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
  };
}

interface TestServer {
  url: string;
  port: number;
  requests: () => number;
  connections: () => number;
  /** Connections still open on the server side. */
  open: () => number;
  close: () => Promise<void>;
}

async function listen(server: http.Server | https.Server | net.Server, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function startServer(handler: http.RequestListener, server: http.Server | https.Server = http.createServer()): Promise<TestServer> {
  let requests = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    requests += 1;
    handler(req, res);
  });
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    requests: () => requests,
    connections: () => connections,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const servers: TestServer[] = [];
const clients: HttpClient[] = [];

/** Whether the suite's GETs and HEADs ask for the probe transport (`probe-exchange.ts`): every test runs on both. */
let probeTransport = false;

function client(settings: Partial<OutboundHttpSettings> = {}, logger: AdapterLogger = recordingLogger(), options: HttpClientOptions = {}): HttpClient {
  // Zero jitter: retries happen at once, so counting them costs no time.
  const created = createHttpClient({ ...SETTINGS, ...settings }, OPEN, logger, { random: () => 0, ...options });
  clients.push(created);
  if (!probeTransport) return created;
  return { request: (request) => created.request({ ...request, probe: true }), close: () => created.close() };
}

async function serve(handler: http.RequestListener, server?: http.Server | https.Server): Promise<TestServer> {
  const started = await startServer(handler, server);
  servers.push(started);
  return started;
}

afterEach(async () => {
  for (const created of clients.splice(0)) created.close();
  for (const server of servers.splice(0)) await server.close();
});

function transportSuite(): void {
  describe('requests and responses', () => {
    it('returns status, headers and body, sends JSON, and names itself', async () => {
      const server = await serve((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          res.writeHead(201, { 'content-type': 'application/json', 'x-seen': `${req.method} ${req.headers['user-agent']} ${req.headers['content-type']}` });
          res.end(body);
        });
      });
      const res = await client().request({ method: 'POST', url: `${server.url}/things`, json: { name: 'gw-1' } });
      expect(res.status).toBe(201);
      expect(res.body).toBe('{"name":"gw-1"}');
      expect(res.headers['x-seen']).toBe('POST agentgw application/json');
      expect(res.elapsedMs).toBeGreaterThanOrEqual(0);
    });

    it.each(['PUT', 'DELETE', 'HEAD'] as const)('completes a %s without a body', async (method) => {
      const server = await serve((req, res) => res.end(req.method === 'HEAD' ? undefined : req.method));
      const res = await client().request({ method, url: server.url });
      expect(res.status).toBe(200);
      expect(res.body).toBe(method === 'HEAD' ? '' : method);
    });

    it('resolves 4xx and 5xx instead of throwing', async () => {
      const server = await serve((req, res) => {
        res.statusCode = req.url === '/missing' ? 404 : 500;
        res.end('nope');
      });
      const http1 = client();
      expect((await http1.request({ method: 'GET', url: `${server.url}/missing` })).status).toBe(404);
      expect((await http1.request({ method: 'GET', url: `${server.url}/broken` })).status).toBe(500);
    });

    it('returns a redirect as it is, without following it', async () => {
      const target = await serve((_req, res) => res.end('followed'));
      const server = await serve((_req, res) => {
        res.writeHead(301, { location: `${target.url}/elsewhere` });
        res.end();
      });
      const res = await client().request({ method: 'GET', url: server.url, retry: true });
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(`${target.url}/elsewhere`);
      expect(target.connections()).toBe(0);
    });
  });

  describe('failures', () => {
    it('times out on a server that never answers, naming the URL and the budget', async () => {
      const server = await serve(() => {});
      const failure = await failureOf(client().request({ method: 'GET', url: `${server.url}/health`, timeoutMs: 300 }));
      expect(failure.kind).toBe('timeout');
      expect(failure.message).toBe(`${server.url}/health: timed out after 300 ms`);
      expect(failure.url).toBe(`${server.url}/health`);
    });

    it('times out on a body that stops half way', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
      });
      const failure = await failureOf(client().request({ method: 'GET', url: server.url, timeoutMs: 300 }));
      expect(failure.kind).toBe('timeout');
    });

    it('times out a TLS handshake that never completes on the connect timeout', async () => {
      const silent = net.createServer(() => {});
      const port = await listen(silent);
      const failure = await failureOf(
        client({}, recordingLogger(), { connectTimeoutMs: 200 }).request({ method: 'GET', url: `https://127.0.0.1:${port}/`, timeoutMs: 3_000 }),
      );
      expect(failure.kind).toBe('timeout');
      expect(failure.message).toBe(`https://127.0.0.1:${port}/: TLS handshake timed out after 200 ms`);
      silent.close();
    });

    it('reports a refused connection plainly', async () => {
      const probe = net.createServer();
      const port = await listen(probe);
      probe.close();
      await once(probe, 'close');
      const failure = await failureOf(client().request({ method: 'GET', url: `http://127.0.0.1:${port}/health` }));
      expect(failure.kind).toBe('refused');
      expect(failure.message).toBe(`http://127.0.0.1:${port}/health: connection refused`);
    });

    it('reports a name that does not resolve as a DNS failure', async () => {
      const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
      const failure = await failureOf(
        client({}, recordingLogger(), { resolve: () => Promise.reject(notFound) }).request({ method: 'GET', url: 'http://nowhere.invalid:9090/health' }),
      );
      expect(failure.kind).toBe('dns');
      expect(failure.message).toBe('http://nowhere.invalid:9090/health: cannot resolve host nowhere.invalid');
    });

    it('says when a port speaks something other than what the URL expects', async () => {
      const plain = await serve((_req, res) => res.end('plain'));
      const tlsFailure = await failureOf(client().request({ method: 'GET', url: `https://127.0.0.1:${plain.port}/` }));
      expect(tlsFailure.kind).toBe('tls');
      expect(tlsFailure.message).toBe(`https://127.0.0.1:${plain.port}/: TLS error: wrong version number (the server may not speak TLS on this port)`);

      const garbage = net.createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
      const port = await listen(garbage);
      const httpFailure = await failureOf(client().request({ method: 'GET', url: `http://127.0.0.1:${port}/` }));
      expect(httpFailure.kind).toBe('network');
      expect(httpFailure.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/: malformed HTTP response/);
      garbage.close();
    });

    it('reports a connection the server drops as a network failure', async () => {
      const server = await serve((req) => req.socket.destroy());
      const failure = await failureOf(client().request({ method: 'GET', url: server.url }));
      expect(failure.kind).toBe('network');
      expect(failure.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/: (connection reset by the server|connection closed before a response)$/);
    });

    it('aborts on the caller signal, before and during the exchange', async () => {
      const server = await serve(() => {});
      const http1 = client();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const during = await failureOf(http1.request({ method: 'GET', url: server.url, signal: controller.signal }));
      expect(during.kind).toBe('aborted');
      const before = await failureOf(http1.request({ method: 'GET', url: server.url, signal: AbortSignal.abort() }));
      expect(before.kind).toBe('aborted');
    });
  });

  describe('response size cap', () => {
    it('refuses a declared Content-Length over the cap without reading it', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-length': '2048' });
        res.end('x'.repeat(2048));
      });
      const failure = await failureOf(client().request({ method: 'GET', url: server.url }));
      expect(failure.kind).toBe('too_large');
      expect(failure.message).toBe(`${server.url}/: response of 2048 bytes exceeds the 1024-byte limit`);
    });

    it('stops a chunked body that grows past the cap, even one that never ends', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200);
        const timer = setInterval(() => res.write('y'.repeat(256)), 5);
        res.on('close', () => clearInterval(timer));
      });
      const failure = await failureOf(client().request({ method: 'GET', url: server.url, timeoutMs: 5_000 }));
      expect(failure.kind).toBe('too_large');
      expect(failure.message).toBe(`${server.url}/: response exceeds the 1024-byte limit`);
    });

    it('counts the decompressed size, so a small gzip bomb is refused', async () => {
      const bomb = gzipSync(Buffer.alloc(1024 * 1024));
      expect(bomb.length).toBeLessThan(1024 * 2);
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(bomb);
      });
      const failure = await failureOf(client({ maxResponseBytes: 4096 }).request({ method: 'GET', url: server.url }));
      expect(failure.kind).toBe('too_large');
    });

    it('accepts a body of exactly the cap, and a HEAD that only declares a large one', async () => {
      const server = await serve((req, res) => {
        res.writeHead(200, { 'content-length': req.method === 'HEAD' ? '1000000000' : '1024' });
        res.end(req.method === 'HEAD' ? undefined : 'z'.repeat(1024));
      });
      const http1 = client();
      expect((await http1.request({ method: 'GET', url: server.url })).body).toHaveLength(1024);
      expect((await http1.request({ method: 'HEAD', url: server.url })).status).toBe(200);
    });
  });

  describe('retries', () => {
    function failingServer(status: number, headers: Record<string, string> = {}): Promise<TestServer> {
      return serve((_req, res) => {
        res.writeHead(status, headers);
        res.end();
      });
    }

    it('retries an idempotent request on 503 up to maxAttempts, then returns the last answer', async () => {
      for (const method of ['GET', 'HEAD', 'PUT', 'DELETE'] as const) {
        const server = await failingServer(503);
        const res = await client().request({ method, url: server.url, retry: true });
        expect(res.status).toBe(503);
        expect(server.requests(), method).toBe(3);
      }
    });

    it('never retries a POST, nor a request that did not ask', async () => {
      const server = await failingServer(503);
      const http1 = client();
      await http1.request({ method: 'POST', url: server.url, retry: true, json: { a: 1 } });
      expect(server.requests()).toBe(1);
      await http1.request({ method: 'GET', url: server.url });
      expect(server.requests()).toBe(2);
    });

    it('does not retry statuses that retrying cannot fix', async () => {
      for (const status of [400, 401, 404, 500]) {
        const server = await failingServer(status);
        await client().request({ method: 'GET', url: server.url, retry: true });
        expect(server.requests(), String(status)).toBe(1);
      }
    });

    it('stops retrying at the first good answer', async () => {
      let seen = 0;
      const server = await serve((_req, res) => {
        seen += 1;
        res.statusCode = seen < 3 ? 502 : 200;
        res.end(String(seen));
      });
      const res = await client({ retryPolicy: { maxAttempts: 5, backoffMultiplier: 2, maxBackoffMs: 1_000 } }).request({ method: 'GET', url: server.url, retry: true });
      expect(res.status).toBe(200);
      expect(res.body).toBe('3');
    });

    it('retries network failures on idempotent requests only', async () => {
      const server = await serve((req) => req.socket.destroy());
      const get = await failureOf(client().request({ method: 'GET', url: server.url, retry: true }));
      expect(get.kind).toBe('network');
      expect(server.requests()).toBe(3);
      await failureOf(client().request({ method: 'POST', url: server.url, retry: true }));
      expect(server.requests()).toBe(4);
    });

    it('honours Retry-After on 429 up to the cap, and gives up when it asks for longer', async () => {
      const soon = await failingServer(429, { 'retry-after': '0' });
      expect((await client().request({ method: 'GET', url: soon.url, retry: true })).status).toBe(429);
      expect(soon.requests()).toBe(3);

      const later = await failingServer(429, { 'retry-after': '3600' });
      expect((await client().request({ method: 'GET', url: later.url, retry: true })).status).toBe(429);
      expect(later.requests()).toBe(1);
    });

    it('keeps the waits inside the total timeout', async () => {
      const server = await failingServer(503);
      const http1 = client({ retryPolicy: { maxAttempts: 100, backoffMultiplier: 2, maxBackoffMs: 200 } }, recordingLogger(), { random: () => 0.99 });
      // The budget, not maxAttempts, ends the retries, and the caller gets the server's answer.
      const res = await http1.request({ method: 'GET', url: server.url, retry: true, timeoutMs: 600 });
      expect(res.status).toBe(503);
      expect(server.requests()).toBeGreaterThan(1);
      expect(server.requests()).toBeLessThan(100);
    });

    it('gives back the last answer when a retry runs out of the total budget', async () => {
      let answered = 0;
      // The first request is answered 503; the retries are never answered.
      const server = await serve((_req, res) => {
        if (answered++ === 0) res.writeHead(503).end();
      });
      const http1 = client({ retryPolicy: { maxAttempts: 5, backoffMultiplier: 2, maxBackoffMs: 20 } }, recordingLogger(), { random: () => 0.5 });
      const res = await http1.request({ method: 'GET', url: server.url, retry: true, timeoutMs: 400 });
      expect(res.status).toBe(503);
      expect(server.requests()).toBe(2);
      // Its time is the whole request's: the budget, used up.
      expect(res.elapsedMs).toBeGreaterThanOrEqual(400);
    });

    it('stops waiting when the caller aborts during a backoff', async () => {
      const server = await failingServer(503);
      const http1 = client({ retryPolicy: { maxAttempts: 3, backoffMultiplier: 2, maxBackoffMs: 10_000 } }, recordingLogger(), { random: () => 0.99 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const failure = await failureOf(http1.request({ method: 'GET', url: server.url, retry: true, timeoutMs: 20_000, signal: controller.signal }));
      expect(failure.kind).toBe('aborted');
      expect(server.requests()).toBe(1);
    });
  });

  describe('TLS', () => {
    let dir: string;
    let cert: string;
    let key: string;
    let clientCert: string;
    let clientKey: string;

    function selfSigned(name: string, subject: string, san: string): [string, string] {
      const certPath = join(dir, `${name}.crt`);
      const keyPath = join(dir, `${name}.key`);
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', subject, '-addext', `subjectAltName=${san}`,
      ], { stdio: 'ignore' });
      return [readFileSync(certPath, 'utf8'), readFileSync(keyPath, 'utf8')];
    }

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'agentgw-tls-'));
      [cert, key] = selfSigned('server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
      [clientCert, clientKey] = selfSigned('client', '/CN=agentgw-client', 'DNS:agentgw-client');
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const hello: http.RequestListener = (_req, res) => res.end('hello over tls');

    it('refuses a self-signed certificate it was not told to trust', async () => {
      const server = await serve(hello, https.createServer({ cert, key }));
      const failure = await failureOf(client().request({ method: 'GET', url: `${server.url}/health` }));
      expect(failure.kind).toBe('tls');
      expect(failure.message).toBe(`${server.url}/health: TLS error: self-signed certificate`);
    });

    it('trusts the certificate given as caCert', async () => {
      const server = await serve(hello, https.createServer({ cert, key }));
      const res = await client().request({ method: 'GET', url: server.url, tls: { caCert: cert } });
      expect(res.body).toBe('hello over tls');
    });

    it('refuses a trusted certificate issued for another name', async () => {
      const server = await serve(hello, https.createServer({ cert, key }));
      const resolve: HttpClientOptions['resolve'] = async () => [{ address: '127.0.0.1', family: 4 }];
      const failure = await failureOf(
        client({}, recordingLogger(), { resolve }).request({ method: 'GET', url: `https://gateway.test:${server.port}/`, tls: { caCert: cert } }),
      );
      expect(failure.kind).toBe('tls');
      expect(failure.message).toContain("https://gateway.test:");
      expect(failure.message).toContain("does not match certificate's altnames");
    });

    it('skips verification when asked, warning once per origin', async () => {
      const server = await serve(hello, https.createServer({ cert, key }));
      const logger = recordingLogger();
      const http1 = client({}, logger);
      const insecure: HttpRequest = { method: 'GET', url: `${server.url}/a`, tls: { insecureSkipVerify: true } };
      expect((await http1.request(insecure)).body).toBe('hello over tls');
      await http1.request({ ...insecure, url: `${server.url}/b` });
      await http1.request({ ...insecure, url: `https://localhost:${server.port}/c` });
      const warnings = logger.lines.filter((line) => line.level === 'warn');
      expect(warnings.map((line) => line.fields?.origin)).toEqual([server.url, `https://localhost:${server.port}`]);
      expect(warnings[0]?.message).toContain(server.url);
      // Verification is per request: the next one without the flag is checked again.
      expect((await failureOf(http1.request({ method: 'GET', url: server.url }))).kind).toBe('tls');
    });

    it('presents a client certificate for mutual TLS', async () => {
      const server = await serve(hello, https.createServer({ cert, key, ca: clientCert, requestCert: true, rejectUnauthorized: true }));
      const http1 = client();
      const res = await http1.request({ method: 'GET', url: server.url, tls: { caCert: cert, clientCert, clientKey } });
      expect(res.body).toBe('hello over tls');
      const anonymous = await failureOf(http1.request({ method: 'GET', url: `${server.url}/anonymous`, tls: { caCert: cert } }));
      // TLS 1.3 sends the refusal after the handshake: the alert usually wins, a reset sometimes.
      expect(['tls', 'network']).toContain(anonymous.kind);
      if (anonymous.kind === 'tls') expect(anonymous.message).toBe(`${server.url}/anonymous: TLS error: tlsv13 alert certificate required (the server wants a client certificate)`);
    });
  });

  describe('secrets', () => {
    const password = 'hunter2-Sup3rSecret';
    const token = 'Bearer tok-0123456789-SECRET';
    const apiKey = 'qk-APIKEY-987654321';

    function expectClean(text: string): void {
      expect(text).not.toContain(password);
      expect(text).not.toContain(encodeURIComponent(password));
      expect(text).not.toContain('tok-0123456789');
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain('admin:');
    }

    it('keeps userinfo, query strings and headers out of every failure and log line', async () => {
      const logger = recordingLogger();
      const http1 = client({}, logger, { connectTimeoutMs: 200 });
      const headers = { authorization: token };
      const withSecrets = (base: string) => {
        const url = new URL(base);
        url.username = 'admin';
        url.password = password;
        url.search = `?api_key=${apiKey}`;
        return url.toString();
      };

      const probe = net.createServer();
      const closedPort = await listen(probe);
      probe.close();
      const hanging = await serve(() => {});
      const unavailable = await serve((_req, res) => {
        res.statusCode = 503;
        res.end();
      });
      const huge = await serve((_req, res) => res.end('x'.repeat(4096)));
      const tlsDir = mkdtempSync(join(tmpdir(), 'agentgw-tls-'));
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(tlsDir, 'k'), '-out', join(tlsDir, 'c'),
        '-days', '1', '-subj', '/CN=localhost',
      ], { stdio: 'ignore' });
      const secure = await serve((_req, res) => res.end(), https.createServer({ cert: readFileSync(join(tlsDir, 'c')), key: readFileSync(join(tlsDir, 'k')) }));
      rmSync(tlsDir, { recursive: true, force: true });

      const failures = [
        await failureOf(http1.request({ method: 'GET', url: withSecrets(`http://127.0.0.1:${closedPort}/health`), headers })),
        await failureOf(http1.request({ method: 'GET', url: withSecrets(`${hanging.url}/health`), headers, timeoutMs: 200 })),
        await failureOf(http1.request({ method: 'GET', url: withSecrets(`${huge.url}/`), headers })),
        await failureOf(http1.request({ method: 'GET', url: withSecrets(`${secure.url}/`), headers })),
        await failureOf(http1.request({ method: 'GET', url: withSecrets('http://169.254.169.254/'), headers })),
        await failureOf(http1.request({ method: 'GET', url: `http://admin:${password}@[::1:/`, headers })),
      ];
      expect(failures.map((failure) => failure.kind)).toEqual(['refused', 'timeout', 'too_large', 'tls', 'blocked', 'blocked']);
      expect(failures[0]?.message).toBe(`http://127.0.0.1:${closedPort}/health: connection refused`);
      for (const failure of failures) {
        expectClean(failure.message);
        expectClean(failure.url);
        expectClean(JSON.stringify(failure));
      }

      // Retries and the insecure warning are the two things that log.
      await http1.request({ method: 'GET', url: withSecrets(unavailable.url), headers, retry: true });
      await http1.request({ method: 'GET', url: withSecrets(secure.url), headers, tls: { insecureSkipVerify: true } });
      expect(logger.lines.some((line) => line.level === 'debug')).toBe(true);
      expect(logger.lines.some((line) => line.level === 'warn')).toBe(true);
      expectClean(JSON.stringify(logger.lines));
    });
  });

  describe('connections', () => {
    it('reuses keep-alive connections', async () => {
      const server = await serve((_req, res) => res.end('ok'));
      const http1 = client();
      for (let i = 0; i < 20; i += 1) await http1.request({ method: 'GET', url: server.url });
      expect(server.connections()).toBe(1);
    });

    it('opens 100 connections to one origin at once rather than queueing behind a socket limit', async () => {
      // The server answers nobody until 100 requests are in: any per-origin cap below 100 deadlocks.
      const waiting: http.ServerResponse[] = [];
      const server = await serve((_req, res) => {
        waiting.push(res);
        if (waiting.length === 100) for (const held of waiting) held.end('ok');
      });
      const http1 = client();
      const results = await Promise.all(Array.from({ length: 100 }, () => http1.request({ method: 'GET', url: server.url, timeoutMs: 10_000 })));
      expect(results.every((res) => res.status === 200)).toBe(true);
      expect(server.connections()).toBe(100);
    });

    it('closes its sockets on close() and refuses requests afterwards', async () => {
      const server = await serve((_req, res) => res.end('ok'));
      const http1 = client();
      await http1.request({ method: 'GET', url: server.url });
      expect(server.open()).toBe(1);
      http1.close();
      await expect.poll(() => server.open()).toBe(0);
      const failure = await failureOf(http1.request({ method: 'GET', url: server.url }));
      expect(failure.kind).toBe('aborted');
      expect(failure.message).toBe(`${server.url}/: the HTTP client is closed`);
    });
  });
}

describe.each([
  { transport: 'node:http', probe: false },
  { transport: 'the probe transport', probe: true },
])('on $transport', ({ probe }) => {
  beforeAll(() => {
    probeTransport = probe;
  });
  afterAll(() => {
    probeTransport = false;
  });
  transportSuite();
});

describe('backoff', () => {
  const policy = { maxAttempts: 10, backoffMultiplier: 2, maxBackoffMs: 1_000 };

  it('grows by the multiplier from 200 ms and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffCeilingMs(retry, policy))).toEqual([200, 400, 800, 1_000, 1_000, 1_000]);
    expect(backoffCeilingMs(3, { ...policy, backoffMultiplier: 1.5 })).toBe(450);
  });

  it('draws the wait uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelayMs(3, policy, () => 0.999_999)).toBe(799);
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfterMs('5', now)).toBe(5_000);
    expect(parseRetryAfterMs('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Mon, 31 Dec 2029 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});


describe('redactUrl', () => {
  it.each([
    ['http://admin:s3cret@10.0.0.5:9090/health?token=abc#frag', 'http://10.0.0.5:9090/health'],
    ['https://gw.example/api/v1/', 'https://gw.example/api/v1/'],
    ['http://admin:pa/ss@wo@rd@[::1:/x?k=v', 'http://[::1:/x'],
    ['not a url?secret=1', 'not a url'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

