// The probe transport against servers that write raw bytes: what node:http would have caught
// (malformed responses, smuggling-shaped framing, huge heads), what keep-alive must not reuse, and
// the egress policy at connect time. The behaviour both transports share (timeouts, size caps,
// TLS, redirects, secrets) is test/unit/http/client.test.ts, which runs on both.
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, it } from 'vitest';

import type { EgressPolicySettings, OutboundHttpSettings } from '../../../src/adapters/adapter.js';
import { createHttpClient } from '../../../src/adapters/http/client.js';
import { createEgressPolicy, EgressBlockedError } from '../../../src/adapters/http/egress-policy.js';
import { createProbeTransport } from '../../../src/adapters/http/probe-exchange.js';
import type { HttpClientOptions } from '../../../src/adapters/http/client.js';
import type { HttpClient, HttpResponse } from '../../../src/adapters/http/types.js';
import { failureOf } from '../../support/rejection.js';

const OPEN: EgressPolicySettings = { allow: [], deny: [], denyLoopback: false, denyPrivate: false };
const SETTINGS: OutboundHttpSettings = {
  defaultTimeoutMs: 5_000,
  healthCheckTimeoutMs: 5_000,
  retryPolicy: { maxAttempts: 3, backoffMultiplier: 2, maxBackoffMs: 1_000 },
  maxResponseBytes: 1024,
};
const silent = { warn: () => {}, info: () => {}, debug: () => {} };

/** A server that answers each request (one per `\r\n\r\n`) with whatever `answer` writes. */
interface RawServer {
  url: string;
  port: number;
  /** Every request's head as received, in order, over all connections. */
  requests: string[];
  connections: () => number;
  open: () => number;
}

type Answer = (socket: net.Socket, request: string, index: number) => void;

const servers: net.Server[] = [];
const clients: HttpClient[] = [];

async function rawServer(answer: Answer): Promise<RawServer> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4);
        requests.push(request);
        answer(socket, request, requests.length - 1);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, requests, connections: () => connections, open: () => sockets.size };
}

function client(options: HttpClientOptions = {}, network: EgressPolicySettings = OPEN): HttpClient {
  const created = createHttpClient(SETTINGS, network, silent, options);
  clients.push(created);
  return created;
}

const probe = (http: HttpClient, url: string, timeoutMs = 2_000): Promise<HttpResponse> => http.request({ method: 'GET', url, timeoutMs, probe: true });

/** Writes `bytes` `size` at a time, a millisecond apart, so the client reads them in pieces. */
function writeInPieces(socket: net.Socket, bytes: string, size: number): void {
  let at = 0;
  const next = (): void => {
    if (at >= bytes.length) return;
    socket.write(bytes.slice(at, at + size));
    at += size;
    setTimeout(next, 1);
  };
  next();
}

const ok = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

afterEach(async () => {
  for (const created of clients.splice(0)) created.close();
  for (const server of servers.splice(0)) {
    server.close();
    server.emit('close');
  }
});

describe('the request', () => {
  it('is one GET with the host, the caller headers and no body', async () => {
    const server = await rawServer((socket) => socket.write(ok('{"status":"healthy"}')));
    const res = await client().request({ method: 'GET', url: `${server.url}/gateways/gw-1/api/admin/v1/health?x=1`, headers: { accept: 'application/json' }, probe: true });
    expect(res).toMatchObject({ status: 200, body: '{"status":"healthy"}' });
    expect(res.headers['content-type']).toBe('application/json');
    const [line, ...fields] = server.requests[0]!.split('\r\n');
    expect(line).toBe('GET /gateways/gw-1/api/admin/v1/health?x=1 HTTP/1.1');
    expect(fields).toContain(`host: 127.0.0.1:${server.port}`);
    expect(fields).toContain('user-agent: agentgw');
    expect(fields).toContain('accept: application/json');
  });

  it('refuses a header value that would smuggle a line, sending nothing', async () => {
    const server = await rawServer((socket) => socket.write(ok('{}')));
    const failure = await failureOf(client().request({ method: 'GET', url: server.url, headers: { authorization: 'Bearer x\r\nx-injected: 1' }, probe: true }));
    expect(failure.kind).toBe('network');
    expect(failure.message).not.toContain('x-injected');
    expect(server.connections()).toBe(0);
  });
});

describe('framing', () => {
  it('reads a chunked body sent a few bytes at a time, trailers included', async () => {
    const server = await rawServer((socket) => {
      writeInPieces(socket, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: yes\r\n\r\n', 3);
    });
    const http = client();
    expect((await probe(http, server.url)).body).toBe('hello, world');
    // Whole and framed: the connection is kept for the next probe.
    expect((await probe(http, server.url)).body).toBe('hello, world');
    expect(server.connections()).toBe(1);
  });

  it('keeps each connection’s bytes its own while several are read at once, a piece at a time', async () => {
    // Each answer's head and body arrive in pieces, interleaved with the others': the bytes every
    // plain connection reads pass through one shared buffer, and must be copied out of it.
    const server = await rawServer((socket, request) => {
      const name = /GET \/(\w+)/.exec(request)![1]!;
      const body = JSON.stringify({ name, filler: name.repeat(60) });
      writeInPieces(socket, `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`, 40);
    });
    const http = client();
    const names = ['alpha', 'bravo', 'charlie', 'delta'];
    const bodies = await Promise.all(names.map(async (name) => JSON.parse((await probe(http, `${server.url}/${name}`)).body) as { name: string; filler: string }));
    expect(bodies).toEqual(names.map((name) => ({ name, filler: name.repeat(60) })));
    expect(server.connections()).toBe(4);
  });

  it('reads a body delimited by the server closing, and does not keep that connection', async () => {
    const server = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\n{"status":"healthy"}'));
    const http = client();
    expect((await probe(http, server.url)).body).toBe('{"status":"healthy"}');
    expect((await probe(http, server.url)).body).toBe('{"status":"healthy"}');
    expect(server.connections()).toBe(2);
  });

  it('skips interim 1xx answers, and takes 204 and a HEAD as bodiless', async () => {
    const server = await rawServer((socket, request) => {
      if (request.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 999999\r\n\r\n');
      else if (request.includes('/empty')) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      else socket.write(`HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${ok('{}')}`);
    });
    const http = client();
    expect((await probe(http, server.url)).status).toBe(200);
    expect((await probe(http, `${server.url}/empty`)).status).toBe(204);
    expect((await http.request({ method: 'HEAD', url: server.url, probe: true })).status).toBe(200);
    expect(server.connections()).toBe(1);
  });

  it('decodes a gzip body and still counts its decoded size against the cap', async () => {
    const small = gzipSync('{"status":"healthy"}');
    const bomb = gzipSync('x'.repeat(100_000));
    const server = await rawServer((socket, request) => {
      const body = request.includes('/bomb') ? bomb : small;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.write(body);
    });
    const http = client();
    expect((await probe(http, server.url)).body).toBe('{"status":"healthy"}');
    expect((await failureOf(probe(http, `${server.url}/bomb`))).kind).toBe('too_large');
  });

  it('returns a redirect as it is and never asks its target', async () => {
    const target = await rawServer((socket) => socket.write(ok('{}')));
    const server = await rawServer((socket) => socket.write(`HTTP/1.1 302 Found\r\nlocation: ${target.url}/elsewhere\r\ncontent-length: 0\r\n\r\n`));
    const res = await probe(client(), server.url);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${target.url}/elsewhere`);
    expect(target.connections()).toBe(0);
  });
});

describe('hostile and broken servers', () => {
  it.each([
    ['a status line that is not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', /invalid status line/],
    ['both Transfer-Encoding and Content-Length', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n0\r\n\r\n', /both Transfer-Encoding and Content-Length/],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc', /invalid Content-Length/],
    ['a Content-Length that is not a number', 'HTTP/1.1 200 OK\r\ncontent-length: 1e3\r\n\r\n', /invalid Content-Length/],
    ['an obsolete folded header', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\ncontent-length: 0\r\n\r\n', /obsolete header line folding/],
    ['a header without a name', 'HTTP/1.1 200 OK\r\n: nameless\r\ncontent-length: 0\r\n\r\n', /invalid header line/],
    ['a control character in a header', 'HTTP/1.1 200 OK\r\nx-a: a\u0000b\r\ncontent-length: 0\r\n\r\n', /invalid characters in header x-a/],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', /invalid chunk size line/],
    ['a chunk longer than its size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n', /a chunk is longer than its size/],
    ['a switch of protocols nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n', /switched protocols/],
  ])('refuses %s as a malformed response and closes the connection', async (_name, bytes, reason) => {
    const server = await rawServer((socket) => socket.write(bytes));
    const failure = await failureOf(probe(client(), `${server.url}/health`));
    expect(failure.kind).toBe('network');
    expect(failure.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/health: malformed HTTP response \(/);
    expect(failure.message).toMatch(reason);
    await expect.poll(() => server.open()).toBe(0);
  });

  it('refuses a header section over 16 KiB, even one that never ends', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      const line = `x-filler: ${'a'.repeat(1000)}\r\n`;
      for (let i = 0; i < 40; i += 1) socket.write(line);
    });
    const failure = await failureOf(probe(client(), server.url));
    expect(failure.message).toMatch(/malformed HTTP response \(header section over 16384 bytes\)/);
  });

  it('refuses a huge declared body before reading it, and a chunked one that never ends', async () => {
    const server = await rawServer((socket, request) => {
      if (request.includes('/declared')) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n');
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(`100\r\n${'x'.repeat(256)}\r\n`)), 1);
    });
    const http = client();
    const declared = await failureOf(probe(http, `${server.url}/declared`));
    expect(declared.kind).toBe('too_large');
    expect(declared.message).toContain('response of 1073741824 bytes exceeds the 1024-byte limit');
    expect((await failureOf(probe(http, `${server.url}/endless`))).kind).toBe('too_large');
    await expect.poll(() => server.open()).toBe(0);
  });

  it('times out a server that answers slower than the budget, and one that stops mid-body', async () => {
    const server = await rawServer((socket, request) => {
      if (request.includes('/half')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
      else setTimeout(() => socket.writable && socket.write(ok('{}')), 1_000);
    });
    const http = client();
    const slow = await failureOf(probe(http, `${server.url}/slow`, 200));
    expect(slow.kind).toBe('timeout');
    expect(slow.message).toBe(`${server.url}/slow: timed out after 200 ms`);
    expect((await failureOf(probe(http, `${server.url}/half`, 200))).kind).toBe('timeout');
    await expect.poll(() => server.open()).toBe(0);
  });

  it('reports a server that closes mid-body or before answering as a network failure', async () => {
    const server = await rawServer((socket, request) => {
      if (request.includes('/half')) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
      else socket.end();
    });
    const http = client();
    expect(await failureOf(probe(http, `${server.url}/half`))).toMatchObject({ kind: 'network' });
    const closed = await failureOf(probe(http, `${server.url}/none`));
    expect(closed.message).toBe(`${server.url}/none: connection closed before a response`);
  });
});

describe('keep-alive', () => {
  it('does not reuse a connection the server asked to close, or one with bytes past the response', async () => {
    const server = await rawServer((socket, request) => {
      if (request.includes('/close')) socket.write(ok('{}', 'connection: close\r\n'));
      else socket.write(`${ok('{}')}HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n`);
    });
    const http = client();
    await probe(http, `${server.url}/close`);
    await probe(http, `${server.url}/close`);
    expect(server.connections()).toBe(2);
    await probe(http, `${server.url}/extra`);
    await probe(http, `${server.url}/extra`);
    expect(server.connections()).toBe(4);
    await expect.poll(() => server.open()).toBe(0);
  });

  it('drops an idle connection the server writes to unasked, and the next probe opens a new one', async () => {
    let first: net.Socket | undefined;
    const server = await rawServer((socket) => {
      first ??= socket;
      socket.write(ok('{"status":"healthy"}'));
    });
    const http = client();
    await probe(http, server.url);
    first!.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlies');
    await expect.poll(() => server.open()).toBe(0);
    expect((await probe(http, server.url)).body).toBe('{"status":"healthy"}');
    expect(server.connections()).toBe(2);
  });

  it('keeps a connection only as long as the server said it would (Keep-Alive: timeout, less a second)', async () => {
    const server = await rawServer((socket) => socket.write(ok('{}', 'keep-alive: timeout=1\r\n')));
    const http = client();
    await probe(http, server.url);
    // timeout=1 leaves no time at all: the connection is closed at once rather than kept.
    await expect.poll(() => server.open()).toBe(0);
    await probe(http, server.url);
    expect(server.connections()).toBe(2);
  });
});

describe('closing', () => {
  it('fails a probe in flight when the client closes, instead of leaving it to its timeout', async () => {
    const server = await rawServer(() => {});
    const http = client();
    const pending = failureOf(probe(http, server.url, 60_000));
    await expect.poll(() => server.requests.length).toBe(1);
    http.close();
    expect((await pending).message).toBe(`${server.url}/: network error: the HTTP client is closed`);
    await expect.poll(() => server.open()).toBe(0);
  });
});

describe('aborting', () => {
  it('gives exchanges sharing a signal one listener on it, and its abort ends every one still in flight', async () => {
    // The third answers at once; the others never do.
    const server = await rawServer((socket, _request, index) => {
      if (index === 2) socket.write(ok('{}'));
    });
    const http = client();
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    controller.signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>) => {
      listeners += 1;
      add(...args);
    };
    const ask = () => http.request({ method: 'GET', url: server.url, timeoutMs: 60_000, probe: true, signal: controller.signal });
    const hanging = [failureOf(ask()), failureOf(ask())];
    await expect.poll(() => server.requests.length).toBe(2);
    expect((await ask()).status).toBe(200);
    controller.abort();
    for (const failure of await Promise.all(hanging)) expect(failure.kind).toBe('aborted');
    expect(listeners).toBe(1);
    await expect.poll(() => server.open()).toBe(1);
  });
});

describe('the egress policy at connect time', () => {
  const denyLoopback: EgressPolicySettings = { ...OPEN, denyLoopback: true };

  it('never dials a host name that resolves to a refused address', async () => {
    const server = await rawServer((socket) => socket.write(ok('{}')));
    const resolve: HttpClientOptions['resolve'] = async () => [{ address: '127.0.0.1', family: 4 }];
    const failure = await failureOf(probe(client({ resolve }, denyLoopback), `http://gateway.test:${server.port}/health`));
    expect(failure.kind).toBe('blocked');
    expect(failure.message).toContain('gateway.test is blocked');
    expect(server.connections()).toBe(0);
  });

  it('uses only the allowed addresses of a mixed answer', async () => {
    const server = await rawServer((socket) => socket.write(ok('{}')));
    const resolve: HttpClientOptions['resolve'] = async () => [
      { address: '169.254.169.254', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    // 169.254.169.254 (cloud metadata) is refused whatever the settings.
    expect((await probe(client({ resolve }, OPEN), `http://gateway.test:${server.port}/health`)).status).toBe(200);
    expect(server.requests[0]).toContain(`host: gateway.test:${server.port}`);
  });

  it('judges an IP literal itself, not only through the client', async () => {
    const server = await rawServer((socket) => socket.write(ok('{}')));
    const transport = createProbeTransport(createEgressPolicy(denyLoopback));
    const exchange = transport.exchange({ method: 'GET', url: new URL(server.url), headers: {}, totalMs: 1_000, handshakeMs: 1_000, maxResponseBytes: 1024 });
    await expect(exchange).rejects.toBeInstanceOf(EgressBlockedError);
    expect(server.connections()).toBe(0);
    transport.destroy();
  });
});
