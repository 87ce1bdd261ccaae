/**
 * The daemon's defences against hostile clients, over real HTTP with short configured timeouts:
 * the request and headers timeouts cut slow clients (408), 401, 403 and 413 close the
 * connection, a foreign Host or a cross-site Origin is refused while authentication is off
 * (server.allowedHosts lets a proxy's name in), the body parser refuses deep nesting and bytes
 * that are not UTF-8 before parsing, and /readyz names no database. The reliability battery
 * runs the same defences at their defaults and under load.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/services/tokens.js';
import { expectProblem, http, rawHttp, startTestDaemon, type TestDaemon } from './support.js';

/** Writes `head` on a fresh connection; resolves with what came back and when the daemon closed it. */
function slowRequest(url: string, head: string, drip: string | null, dripMs = 300): Promise<{ response: string; closedAfterMs: number }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(Number(port), '127.0.0.1');
    let response = '';
    const timer = drip === null ? undefined : setInterval(() => socket.write(drip), dripMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response, closedAfterMs: performance.now() - started });
    });
  });
}

/** Sends one request that asks to keep the connection; whether the daemon closed it after answering. */
function closesAfter(url: string, request: string): Promise<{ status: number; closed: boolean }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let response = '';
    let timer: NodeJS.Timeout | undefined;
    const status = () => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
    socket.on('connect', () => socket.write(request));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString();
      timer ??= setTimeout(() => {
        socket.destroy();
        resolve({ status: status(), closed: false });
      }, 500);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: status(), closed: true });
    });
  });
}

describe('a daemon with authentication on and short timeouts', () => {
  let t: TestDaemon;
  let write: string;
  let read: string;

  beforeAll(async () => {
    t = await startTestDaemon({
      prefix: 'harden',
      overrides: { 'server.auth.required': true, 'server.requestTimeout': '2s', 'server.headersTimeout': '1s', 'server.keepAliveTimeout': '1s', 'server.bodyLimit': 4096 },
    });
    const tokens = new TokenService(t.runtime.context());
    write = (await tokens.create({ name: 'w', scope: 'write' })).token;
    read = (await tokens.create({ name: 'r', scope: 'read' })).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 408 and closes a request whose body trickles past server.requestTimeout', async () => {
    const head = `POST /api/v1/environments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${write}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`;
    const { response, closedAfterMs } = await slowRequest(t.url, head, ' ');
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response).toContain('"the request took too long to arrive"');
    expect(closedAfterMs).toBeGreaterThan(1900);
    expect(closedAfterMs).toBeLessThan(4000);
  });

  it('closes a connection whose headers trickle, or that says nothing, at server.headersTimeout', async () => {
    const trickling = await slowRequest(t.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n');
    const silent = await slowRequest(t.url, '', null);
    for (const { response, closedAfterMs } of [trickling, silent]) {
      expect(response).toMatch(/^HTTP\/1\.1 408 /);
      expect(closedAfterMs).toBeGreaterThan(900);
      expect(closedAfterMs).toBeLessThan(3000);
    }
  });

  it('closes the connection after a 401, a 403 and a 413, and keeps it after a 200', async () => {
    const body = '{"name":"x"}';
    const post = (headers: string, content = body) =>
      `POST /api/v1/environments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n${headers}Content-Type: application/json\r\nContent-Length: ${content.length}\r\n\r\n${content}`;
    expect(await closesAfter(t.url, post(''))).toEqual({ status: 401, closed: true });
    expect(await closesAfter(t.url, post(`Authorization: Bearer ${read}\r\n`))).toEqual({ status: 403, closed: true });
    expect(await closesAfter(t.url, post(`Authorization: Bearer ${write}\r\n`, `{"name":"big","description":"${'x'.repeat(5000)}"}`))).toEqual({ status: 413, closed: true });
    expect(await closesAfter(t.url, `GET /api/v1/environments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${read}\r\n\r\n`)).toEqual({ status: 200, closed: false });
  });

  it('does not check the Host header: a bearer token is never sent by a browser on its own', async () => {
    const result = await rawHttp(t.url, 'GET', '/api/v1/environments', { host: 'agentgw.example.com', authorization: `Bearer ${read}` });
    expect(result.status).toBe(200);
  });
});

describe('a daemon with authentication off', () => {
  let t: TestDaemon;

  beforeAll(async () => {
    t = await startTestDaemon({ prefix: 'harden', overrides: { 'server.allowedHosts': ['agentgw.internal'] } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a foreign Host with 403 and stores nothing; loopback names, the bound address and server.allowedHosts pass', async () => {
    const port = new URL(t.url).port;
    for (const host of ['attacker.example', `attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, `10.1.2.3:${port}`, 'a@127.0.0.1']) {
      const result = await rawHttp(t.url, 'POST', '/api/v1/environments', { host, 'content-type': 'application/json' }, '{"name":"rebound"}');
      expectProblem(result, 403, 'AGW_HOST_NOT_ALLOWED');
      expect(result.headers.connection).toBe('close');
    }
    expect((await http(t.url, 'GET', '/api/v1/environments/rebound')).status).toBe(404);
    for (const [k, host] of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `[::ffff:7f00:1]:${port}`, `127.9.9.9`, 'AGENTGW.internal', 'agentgw.internal.'].entries()) {
      const result = await rawHttp(t.url, 'POST', '/api/v1/environments', { host, 'content-type': 'application/json' }, `{"name":"ok-${k}"}`);
      expect(result.status, `${host}: ${result.text}`).toBe(201);
    }
  });

  it('refuses a request from another site’s page, and serves one from its own', async () => {
    const port = new URL(t.url).port;
    for (const origin of ['http://attacker.example', 'null', `http://localhost:${port}`, 'file://']) {
      const result = await rawHttp(t.url, 'GET', '/api/v1/environments', { host: `127.0.0.1:${port}`, origin });
      expectProblem(result, 403, 'AGW_HOST_NOT_ALLOWED');
      expect(result.body.detail).toContain('another site');
    }
    const own = await rawHttp(t.url, 'GET', '/api/v1/environments', { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` });
    expect(own.status).toBe(200);
  });

  it('refuses bodies nested past the parser’s cap and bytes that are not UTF-8, before parsing them', async () => {
    const deep = await http(t.url, 'POST', '/api/v1/environments', { raw: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, headers: { 'content-type': 'application/json' } });
    expectProblem(deep, 400, 'AGW_VALIDATION');
    expect(deep.body.detail).toBe('the request body nests arrays and objects deeper than 64 levels');
    const cesu = Buffer.concat([Buffer.from('{"name":"cesu","description":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    const invalid = await http(t.url, 'POST', '/api/v1/environments', { raw: cesu, headers: { 'content-type': 'application/json' } });
    expectProblem(invalid, 400, 'AGW_VALIDATION');
    expect(invalid.body.detail).toBe('the request body is not valid UTF-8');
    const bom = await http(t.url, 'POST', '/api/v1/environments', { raw: Buffer.from('\ufeff{"name":"with-bom"}'), headers: { 'content-type': 'application/json' } });
    expect(bom.status, bom.text).toBe(201);
    expect((await http(t.url, 'GET', '/api/v1/environments/cesu')).status).toBe(404);
  });

  it('says it is ready without saying where its database is', async () => {
    const ready = await http(t.url, 'GET', '/readyz');
    expect(ready.body).toEqual({ status: 'ready' });
    expect(ready.text).not.toContain(t.schema.schema);
  });
});
