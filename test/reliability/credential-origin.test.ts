/**
 * A write token tries to send a gateway's stored password elsewhere: it re-points the gateway's
 * controlPlaneUrl at another origin (another port, another host name for the same address,
 * another scheme) without giving the credentials again, through the REST API and the CLI in both
 * modes. Every attempt must be refused (400, CLI exit 2) with nothing stored, and a listener on
 * the other origin — which does get the admin API's health checks and a metrics scrape once
 * adminUrl and metricsUrl point at it — must never see an Authorization header.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { CANARY, canaryCredentials, cli, daemonConfig, isProblem, logTrouble, request, Scenario, show, sleep, startServe, type ServeProcess } from './support.js';

const s = new Scenario('credential-origin', 'stored credentials re-pointed at another origin: refused, and never sent there');

interface Listener {
  url: string;
  port: number;
  requests: Array<{ path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

/** The other origin: answers like a healthy controller, so nothing but the rule stops a request. */
async function listener(): Promise<Listener> {
  const requests: Listener['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    if (req.url?.includes('metrics')) res.writeHead(200, { 'content-type': 'text/plain' }).end('policy_engine_requests_total 1\n');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy","count":0,"providers":[]}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let schema: TestSchema;
let sim: GatewaySimulator;
let other: Listener;
let daemon: ServeProcess;
let dir: string;

beforeAll(async () => {
  schema = createTestSchema('battery_origin');
  sim = await startGatewaySimulator({ gateways: ['origin-gw', 'local-origin-gw'].map((name) => ({ name, auth: { username: CANARY.username, password: CANARY.password } })) });
  other = await listener();
  daemon = await startServe(s, 'origin', { config: daemonConfig(schema.url) });
  dir = mkdtempSync(join(tmpdir(), 'agentgw-battery-origin-'));
}, 120_000);

afterAll(async () => {
  if (daemon?.alive()) await daemon.stop();
  s.finish();
  await s.cleanup();
  await other?.close();
  await sim?.close();
  await schema?.drop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('reliability: credentials stay with their origin', () => {
  it('refuses every move of controlPlaneUrl to another origin without credentials; the other origin never gets them', async () => {
    const gateway = '/api/v1/gateways/origin-gw';
    const registered = await request(s, daemon.url, 'POST', '/api/v1/gateways', {
      body: { name: 'origin-gw', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('origin-gw'), ...canaryCredentials() } },
    });
    s.figures.notes.canaryRegistrations = 1;
    s.check(registered.status === 201, `register: ${show(registered)}`);
    const simPort = new URL(sim.baseUrl).port;
    const elsewhere = [
      other.url,
      `${other.url}/gateways/origin-gw`,
      `http://localhost:${simPort}/gateways/origin-gw`,
      `https://127.0.0.1:${simPort}/gateways/origin-gw`,
      `http://127.0.0.1:${other.port}/api/management/v1`,
    ];
    let refused = 0;
    for (const url of elsewhere) {
      s.fault('re-point');
      const answer = await request(s, daemon.url, 'PUT', gateway, { body: { adapterConfig: { controlPlaneUrl: url } } });
      const named = isProblem(answer) && answer.status === 400 && /only ever sent to the origin they were given for/.test(answer.body.detail);
      if (s.check(named, `PUT controlPlaneUrl=${url}: ${show(answer)}`)) refused += 1;
    }
    // The CLI, against the daemon and on a database of its own.
    const remote = await cli(s, ['--server', daemon.url, 'gateway', 'update', 'origin-gw', '--control-plane-url', other.url]);
    s.fault('re-point');
    if (s.check(remote.exitCode === 2 && /given for/.test(remote.stderr), `CLI update (remote): exit ${remote.exitCode}: ${remote.stderr}`)) refused += 1;
    const local = ['--database', `sqlite:${join(dir, 'agentgw.sqlite')}`];
    const register = await cli(s, [...local, 'gateway', 'register', 'local-origin-gw', '--control-plane-url', sim.urlOf('local-origin-gw'), '--username', CANARY.username, '--password-stdin'], { input: CANARY.password });
    s.figures.notes.canaryRegistrations = 2;
    s.check(register.exitCode === 0, `CLI register (local): ${register.stderr}`);
    const moved = await cli(s, [...local, 'gateway', 'update', 'local-origin-gw', '--control-plane-url', other.url]);
    s.fault('re-point');
    if (s.check(moved.exitCode === 2 && /given for/.test(moved.stderr), `CLI update (local): exit ${moved.exitCode}: ${moved.stderr}`)) refused += 1;

    const after = await request(s, daemon.url, 'GET', gateway);
    s.check(after.body?.controlPlaneUrl === registered.body?.controlPlaneUrl && after.body?.version === registered.body?.version, `the gateway changed: ${show(after)}`);

    // adminUrl and metricsUrl may point elsewhere: they get the health checks and a scrape, no credentials.
    for (const adapterConfig of [{ adminUrl: other.url }, { metricsUrl: `${other.url}/metrics` }]) {
      const answer = await request(s, daemon.url, 'PUT', gateway, { body: { adapterConfig } });
      s.check(answer.status === 200, `PUT ${JSON.stringify(adapterConfig)}: ${show(answer)}`);
    }
    await request(s, daemon.url, 'GET', `${gateway}/metrics`);
    for (let waited = 0; waited < 15_000 && other.requests.filter((r) => r.path.includes('health')).length < 3; waited += 250) await sleep(250);

    // What the other origin received is what an attacker holding it would see.
    s.capture('requests the other origin received', other.requests.map((r) => `${r.path} ${r.authorization ?? '-'}`).join('\n'));
    const withCredentials = other.requests.filter((r) => r.authorization !== undefined);
    s.note('otherOriginRequests', other.requests.length);
    s.note('refused', refused);
    s.check(withCredentials.length === 0, `the other origin received credentials ${withCredentials.length} time(s): ${withCredentials.map((r) => r.path).join(', ')}`);
    s.check(other.requests.some((r) => r.path.includes('health')) && other.requests.some((r) => r.path.includes('metrics')), 'the admin and metrics URLs were never called: nothing was shown');
    s.check(refused === elsewhere.length + 2, `${elsewhere.length + 2 - refused} re-pointing(s) not refused`);

    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `the daemon exited ${exitCode} on SIGTERM`);
    for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`daemon log: ${line}`);
    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 180_000);
});
