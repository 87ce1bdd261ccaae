/**
 * Where the on-premise adapter sends a gateway's secrets, checked where the requests arrive:
 * the Authorization header and the TLS client certificate go to the origin the credentials were
 * given for and nowhere else (not to an adminUrl or metricsUrl on another port, not to a
 * controlPlaneUrl that moved without new credentials); and what a controller echoes back — its
 * credentials, a manifest's API key, in any encoding — never reaches an error.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayCredentials } from '../../../src/adapters/adapter.js';
import { createAdapter, example, EXAMPLE_PER_KIND, recordingLogger, target } from './support.js';
import { rejection } from '../../support/rejection.js';

const USER = 'agw-operator';
const PASSWORD = 'origin-canary-password-51c0';
const API_KEY = 'sk-origin-canary-api-key-7d2e9f';
const CANARIES = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), API_KEY, Buffer.from(`Bearer ${API_KEY}`).toString('base64')];
const logger = recordingLogger();
const adapter = createAdapter(logger);

interface Seen {
  authorization: string | undefined;
  /** Whether the client presented a certificate. */
  clientCertificate: boolean;
  path: string;
}

interface Stub {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

let dir: string;
let ca: string;
let serverKey: string;
let clientCert: string;
let clientKey: string;
const stubs: Stub[] = [];

function selfSigned(name: string, subject: string, san: string): [string, string] {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', subject, '-addext', `subjectAltName=${san}`], {
    stdio: 'ignore',
  });
  return [readFileSync(certPath, 'utf8'), readFileSync(keyPath, 'utf8')];
}

/** A server that records what each request carried and answers like a healthy controller. */
async function stub(tls: boolean, answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = healthy): Promise<Stub> {
  const seen: Seen[] = [];
  const handler: http.RequestListener = (req, res) => {
    const socket = req.socket as TLSSocket;
    const certificate = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : {};
    seen.push({ authorization: req.headers.authorization, clientCertificate: Object.keys(certificate ?? {}).length > 0, path: req.url ?? '' });
    answer(req, res);
  };
  const server = tls ? https.createServer({ cert: ca, key: serverKey, requestCert: true, rejectUnauthorized: false }, handler) : http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const result: Stub = {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  stubs.push(result);
  return result;
}

function healthy(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url?.includes('metrics') ? 'policy_engine_requests_total 1\n' : JSON.stringify({ status: 'healthy', providers: [], count: 0 }));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentgw-origin-'));
  [ca, serverKey] = selfSigned('server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  [clientCert, clientKey] = selfSigned('client', '/CN=agentgw-client', 'DNS:agentgw-client');
});

afterAll(async () => {
  for (const s of stubs) await s.close();
  await adapter.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('credentials stay with their origin', () => {
  it('the admin API and a metrics endpoint on other ports get neither the Authorization header nor the client certificate', async () => {
    const management = await stub(true);
    const admin = await stub(true);
    const metrics = await stub(true);
    const credentials: GatewayCredentials = { username: USER, password: PASSWORD, clientKey };
    const gateway = target('tls', management.url, { apiBasePath: '/api/management/v1', caCert: ca, clientCert, adminUrl: admin.url, metricsUrl: `${metrics.url}/metrics` }, credentials);

    expect((await adapter.checkHealth(gateway)).healthy).toBe(true);
    await adapter.getMetrics(gateway);
    expect(admin.seen.length).toBeGreaterThanOrEqual(1);
    expect(metrics.seen.length).toBeGreaterThanOrEqual(1);
    for (const seen of [...admin.seen, ...metrics.seen]) expect(seen).toMatchObject({ authorization: undefined, clientCertificate: false });
    // The management API does get them: the test would pass vacuously otherwise.
    expect(management.seen.length).toBeGreaterThanOrEqual(1);
    for (const seen of management.seen) expect(seen).toMatchObject({ authorization: expect.stringMatching(/^Basic /), clientCertificate: true });
  });

  it('a controlPlaneUrl on another origin than the credentials were given for gets none of them', async () => {
    const elsewhere = await stub(false);
    const gateway = target('moved', elsewhere.url, { apiBasePath: '/api/management/v1' }, { username: USER, password: PASSWORD, origin: 'http://127.0.0.1:1' });
    await adapter.listResources(gateway, 'LlmProvider').catch(() => undefined);
    await adapter.checkHealth(gateway);
    expect(elsewhere.seen.length).toBe(2);
    for (const seen of elsewhere.seen) expect(seen.authorization).toBeUndefined();
  });

  it('the origin the credentials were given for is compared whole: scheme, host and port', async () => {
    const server = await stub(false);
    const port = Number(new URL(server.url).port);
    for (const origin of [`https://127.0.0.1:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port + 1}`]) {
      await adapter.checkHealth(target('o', server.url, {}, { username: USER, password: PASSWORD, origin }));
    }
    expect(server.seen.map((s) => s.authorization)).toEqual([undefined, undefined, undefined]);
    await adapter.checkHealth(target('o', server.url, {}, { username: USER, password: PASSWORD, origin: server.url }));
    expect(server.seen.at(-1)?.authorization).toMatch(/^Basic /);
  });
});

describe('what a controller echoes back', () => {
  it('never carries the credentials or the API key of the manifest into an error, in any encoding', async () => {
    const echo = await stub(false, (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const authorization = req.headers.authorization ?? '';
        const key = (JSON.parse(body) as { spec: { upstream: { auth: { value: string } } } }).spec.upstream.auth.value;
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            status: 'error',
            message: `rejected ${authorization} with key ${key} (${Buffer.from(key).toString('base64')})`,
            errors: [{ field: 'spec.upstream.auth.value', message: `invalid ${encodeURIComponent(key)} / ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` }],
          }),
        );
      });
    });
    const manifest = example(EXAMPLE_PER_KIND.LlmProvider);
    (manifest.spec.upstream as { auth: { value: string } }).auth.value = `Bearer ${API_KEY}`;
    const error = await rejection(adapter.deployResource(target('echo', echo.url, { apiBasePath: '/api/management/v1' }, { username: USER, password: PASSWORD }), manifest));
    expect(error.message).toContain('***');
    const text = JSON.stringify({ message: error.message, errors: error.errors, details: error.details, logs: logger.lines });
    for (const canary of CANARIES) expect(text).not.toContain(canary);
  });
});
