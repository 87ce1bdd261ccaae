/**
 * The cloud adapter's credentials: the client secret goes to the token URL, the access token to
 * the provisioning API's origin, and neither comes back in an error, whatever a hostile or broken
 * provider echoes (the Basic header of client:secret, its base64 alone, the token).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterContext, GatewayTarget } from '../../../src/adapters/adapter.js';
import { CloudAdapter, type CloudAdapterConfig } from '../../../src/adapters/cloud/cloud-adapter.js';
import { CloudApi } from '../../../src/adapters/cloud/cloud-api.js';
import { TokenSource } from '../../../src/adapters/cloud/token-source.js';
import type { HttpClient, HttpRequest } from '../../../src/adapters/http/types.js';
import { AgentgwError } from '../../../src/domain/errors.js';
import { recordingLogger } from '../adapters/support.js';
import { rejection } from '../../support/rejection.js';

const CLIENT_ID = 'agentgw-echo';
const SECRET = 'cs-echo-canary-4e8a1b9c77d2';
const basic = Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64');
const CANARIES = [SECRET, basic, Buffer.from(SECRET).toString('base64'), encodeURIComponent(SECRET)];
const logger = recordingLogger();

const context: AdapterContext = {
  logger,
  http: { defaultTimeoutMs: 3_000, healthCheckTimeoutMs: 2_000, retryPolicy: { maxAttempts: 1, backoffMultiplier: 2, maxBackoffMs: 10 }, maxResponseBytes: 1024 * 1024 },
  network: { allow: [], deny: [], denyLoopback: false, denyPrivate: false },
};

let provider: { url: string; close(): Promise<void> };

beforeAll(async () => {
  // A provider that hands back, in every error, what it was sent.
  const server = http.createServer((req, res) => {
    req.resume();
    const authorization = req.headers.authorization ?? '';
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: 'invalid_client',
        error_description: `client authentication failed for ${authorization} (credentials ${authorization.replace(/^Basic /, '')}; secret ${Buffer.from(SECRET).toString('base64')})`,
        message: `refused ${authorization}`,
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  provider = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
});
afterAll(() => provider.close());

const config = (): CloudAdapterConfig => ({
  provider: 'echo-cloud',
  apiEndpoint: provider.url,
  authentication: { type: 'oauth2', tokenUrl: null, clientId: CLIENT_ID, clientSecret: SECRET },
  defaultRegion: 'us-east-1',
  provisioning: { timeout: 1_000, pollInterval: 100 },
});

const target: GatewayTarget = {
  uuid: 'u',
  name: 'echoed',
  type: 'EGRESS',
  adapterType: 'cloud',
  controlPlaneUrl: null,
  endpoint: null,
  region: 'us-east-1',
  adapterConfig: { region: 'us-east-1', cloudGatewayId: 'gw-1' },
  credentials: {},
  status: 'ACTIVE',
};

function text(error: unknown): string {
  const e = error as AgentgwError;
  return JSON.stringify({ message: e.message, hint: e.hint, details: e.details, errors: e.errors });
}

describe('a provider that echoes the client credentials', () => {
  it('gets none of their forms into errors, health messages or logs', async () => {
    const adapter = new CloudAdapter(config(), context);
    try {
      const registration = await rejection(adapter.registerGateway({ ...target, uuid: undefined, adapterConfig: { region: 'us-east-1' } }));
      expect(registration).toBeInstanceOf(AgentgwError);
      expect(registration.message).toMatch(/rejected client "agentgw-echo" \(HTTP 401 invalid_client: refused Basic \*\*\*\)$/);
      const health = await adapter.checkHealth(target);
      expect(health.healthy).toBe(false);
      const all = `${text(registration)} ${JSON.stringify(health)} ${JSON.stringify(logger.lines)}`;
      for (const canary of CANARIES) expect(all).not.toContain(canary);
    } finally {
      await adapter.close();
    }
  });
});

describe('the access token', () => {
  it('is never sent to another origin than the API endpoint', async () => {
    const sent: HttpRequest[] = [];
    const http: HttpClient = {
      request: async (request) => {
        sent.push(request);
        return { status: 200, headers: {}, body: '{"access_token":"tok-never-elsewhere","token_type":"Bearer"}', elapsedMs: 1 };
      },
      close: () => {},
    };
    const tokens = new TokenSource(http, { tokenUrl: 'http://api.example/oauth2/token', clientId: CLIENT_ID, clientSecret: SECRET }, logger);
    const api = new CloudApi(http, tokens, 'http://api.example', 'echo-cloud', 1_000);
    for (const path of ['@evil.example/gateways', '.evil.example/x', ':8443/x']) {
      const error = await rejection(api.call({ method: 'GET', path, retry: false }));
      expect(error.message).toMatch(/would leave http:\/\/api.example\/; the access token is never sent elsewhere/);
    }
    expect(sent).toEqual([]);
    await api.call({ method: 'GET', path: '/gateways/gw-1', retry: false });
    expect(sent.map((r) => new URL(r.url).origin)).toEqual(['http://api.example', 'http://api.example']);
  });
});
