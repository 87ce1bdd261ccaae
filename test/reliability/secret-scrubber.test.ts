/**
 * Endpoints that echo what they were sent, the way a broken or hostile one does: a cloud
 * provider whose token endpoint hands back the client's Basic header (and its base64 alone) in
 * every error, and a gateway-controller that hands back its Authorization header and the
 * manifest it refused, provider key included, in every 400. Registrations, health checks,
 * metrics, deploys and the reads after them go through two daemons and the CLI; the canary (the
 * client secret, the gateway password, the provider key, in every form) must not come back in
 * any answer, CLI output or log line.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { CANARY, canaryCredentials, cli, daemonConfig, isProblem, logTrouble, request, Scenario, show, startServe, type ServeProcess } from './support.js';

const s = new Scenario('secret-scrubber', 'endpoints that echo the credentials and the manifest they were sent');
const REGISTRATIONS = 12;

interface Echo {
  url: string;
  answered: () => number;
  close(): Promise<void>;
}

/** A server whose answers repeat what it was sent; `route` picks the status and wraps the echo. */
async function echoServer(route: (req: http.IncomingMessage, body: string, echoed: string) => { status: number; body: unknown }): Promise<Echo> {
  let answered = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const authorization = req.headers.authorization ?? '';
      const credentials = authorization.replace(/^\S+ /, '');
      const echoed = `${authorization} | ${credentials} | ${Buffer.from(Buffer.from(credentials, 'base64').toString('utf8').split(':').slice(1).join(':')).toString('base64')} | ${body}`;
      const answer = route(req, body, echoed);
      answered += 1;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered: () => answered,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let provider: Echo;
let controller: Echo;
let cloudSchema: TestSchema;
let premSchema: TestSchema;
let cloud: ServeProcess;
let prem: ServeProcess;
let dir: string;

beforeAll(async () => {
  provider = await echoServer((_req, _body, echoed) => ({ status: 401, body: { error: 'invalid_client', error_description: `bad client ${echoed}`, message: `refused ${echoed}` } }));
  controller = await echoServer((req, _body, echoed) => {
    // Healthy and listable, so registration passes; every write is refused with the echo.
    if (req.method === 'GET') return { status: 200, body: { status: 'healthy', count: 0, providers: [], secrets: [] } };
    return { status: 400, body: { status: 'error', message: `Configuration validation failed: ${echoed}`, errors: [{ field: `spec ${echoed}`, message: `invalid ${echoed}` }] } };
  });
  cloudSchema = createTestSchema('battery_scrub');
  premSchema = createTestSchema('battery_scrub');
  const base = daemonConfig(cloudSchema.url) as { gateway: { adapter: Record<string, unknown> } };
  const cloudConfig = {
    ...base,
    gateway: {
      adapter: {
        ...base.gateway.adapter,
        type: 'cloud',
        cloud: {
          provider: 'battery-cloud',
          apiEndpoint: provider.url,
          authentication: { type: 'oauth2', clientId: CANARY.clientId, clientSecret: CANARY.clientSecret },
          defaultRegion: 'us-east-1',
        },
      },
    },
  };
  [cloud, prem] = await Promise.all([startServe(s, 'cloud', { config: cloudConfig }), startServe(s, 'on-premise', { config: daemonConfig(premSchema.url) })]);
  dir = mkdtempSync(join(tmpdir(), 'agentgw-battery-scrub-'));
  writeFileSync(join(dir, 'cloud.yaml'), stringify(cloudConfig));
}, 120_000);

afterAll(async () => {
  for (const daemon of [cloud, prem]) if (daemon?.alive()) await daemon.stop();
  s.finish();
  await s.cleanup();
  await provider?.close();
  await controller?.close();
  await cloudSchema?.drop();
  await premSchema?.drop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('reliability: one scrubber for every adapter', () => {
  it('keeps echoed credentials and keys out of every answer, output and log', async () => {
    // The cloud provider echoes the token request's Basic header into each refusal.
    for (let i = 0; i < REGISTRATIONS; i++) {
      s.fault('echoed token refusal');
      const answer = await request(s, cloud.url, 'POST', '/api/v1/gateways', { body: { name: `cloud-${i}`, gatewayType: 'EGRESS', adapterConfig: { region: 'us-east-1' } } });
      s.check(isProblem(answer) && answer.status >= 400 && /rejected client "battery-client"/.test(answer.body.detail), `cloud registration ${i}: ${show(answer)}`);
    }
    for (const args of [['--server', cloud.url], ['--config', join(dir, 'cloud.yaml'), '--database', `sqlite:${join(dir, 'cloud.sqlite')}`]]) {
      s.fault('echoed token refusal');
      const run = await cli(s, [...args, 'gateway', 'register', 'cloud-cli', '--type', 'EGRESS', '--region', 'us-east-1']);
      s.check(run.exitCode !== 0 && /rejected client "battery-client"/.test(run.stderr), `CLI cloud registration: exit ${run.exitCode}: ${run.stderr}`);
    }

    // The gateway-controller echoes the Authorization header and the refused manifest.
    const registered = await request(s, prem.url, 'POST', '/api/v1/gateways', { body: { name: 'echo-gw', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: controller.url, ...canaryCredentials() } } });
    s.figures.notes.canaryRegistrations = 1;
    s.check(registered.status === 201, `register echo-gw: ${show(registered)}`);
    const manifest = {
      apiVersion: 'gateway.api-platform.wso2.com/v1',
      kind: 'LlmProvider',
      metadata: { name: 'echoed-provider' },
      spec: { displayName: 'Echoed', version: 'v1.0', template: 'openai', upstream: { url: 'https://api.openai.com/v1', auth: { type: 'api-key', value: `Bearer ${CANARY.providerKey}` } }, accessControl: { mode: 'allow_all' } },
    };
    s.check((await request(s, prem.url, 'POST', '/api/v1/resources', { body: manifest })).status < 300, 'apply echoed-provider');
    for (let i = 0; i < 3; i++) {
      s.fault('echoed manifest refusal');
      const deploy = await request(s, prem.url, 'POST', '/api/v1/deployments', { body: { resource: 'LlmProvider/echoed-provider', gateway: 'echo-gw' } });
      s.check(deploy.status === 200 && deploy.body?.results?.[0]?.ok === false && /\*\*\*/.test(deploy.body?.results?.[0]?.error ?? ''), `deploy to the echoing gateway: ${show(deploy)}`);
    }
    await request(s, prem.url, 'GET', '/api/v1/deployments?gateway=echo-gw');
    await request(s, prem.url, 'GET', '/api/v1/gateways/echo-gw/metrics');
    const run = await cli(s, ['--server', prem.url, 'deployments', '--gateway', 'echo-gw', '-o', 'wide']);
    s.check(run.exitCode === 0, `CLI deployments: ${run.stderr}`);
    s.note('echoesAnswered', { provider: provider.answered(), controller: controller.answered() });
    s.check(provider.answered() >= REGISTRATIONS && controller.answered() >= 3, 'the echoing endpoints were not reached: nothing was shown');

    for (const daemon of [cloud, prem]) {
      const exitCode = await daemon.stop();
      s.check(exitCode === 0, `${daemon.label} exited ${exitCode} on SIGTERM`);
      for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`${daemon.label} log: ${line}`);
    }
    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 180_000);
});
