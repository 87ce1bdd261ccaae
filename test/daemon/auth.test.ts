/**
 * Authentication and organization scoping, over real HTTP: bearer tokens (shown once, stored as
 * digests), scopes, expiry, revocation, last use, a second organization that sees nothing of the
 * first, the refusal to listen beyond loopback without auth, and the token CLI.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { startDaemon } from '../../src/daemon/server.js';
import { assertSafeBind, isLoopback } from '../../src/daemon/auth.js';
import { TokenService, TokenVerifier } from '../../src/services/tokens.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { cliEnvironment } from '../support/cli.js';
import { testConfig } from '../support/harness.js';
import { expectProblem, http, startTestDaemon, type TestDaemon } from './support.js';

const DAY = 86_400_000;

describe('bearer tokens on a daemon with auth required', () => {
  let t: TestDaemon;
  let sim: GatewaySimulator;
  const tokens: Record<string, string> = {};
  const ORG_B = randomUUID();

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'gw-a' }] });
    t = await startTestDaemon({ prefix: 'auth', overrides: { 'server.auth.required': true } });
    const service = new TokenService(t.runtime.context());
    for (const scope of ['read', 'write', 'admin'] as const) tokens[scope] = (await service.create({ name: `t-${scope}`, scope })).token;
    const past = new TokenService({ ...t.runtime.context(), clock: () => new Date(Date.now() - 2 * DAY) });
    tokens.expired = (await past.create({ name: 't-expired', scope: 'admin', expiresInMs: DAY })).token;
    tokens.revoked = (await service.create({ name: 't-revoked', scope: 'admin' })).token;
    await service.revoke('t-revoked');
    // A second organization, written directly: the product has no API for organizations.
    await t.runtime.store.db.insertInto('organizations').values({ uuid: ORG_B, name: 'org-b', created_at: new Date() }).execute();
    tokens.orgB = (await new TokenService(t.runtime.context(ORG_B)).create({ name: 't-b', scope: 'write' })).token;
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('issues agw_ tokens of 43 base62 characters and stores only their SHA-256 digest', async () => {
    expect(tokens.read).toMatch(/^agw_[0-9A-Za-z]{43}$/);
    const rows = await t.runtime.store.db.selectFrom('api_tokens').selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const token of Object.values(tokens)) {
      expect(dump).not.toContain(token);
      expect(dump).toContain(createHash('sha256').update(token).digest('hex'));
    }
  });

  it('refuses a request without a token, with a bad token, and with a malformed header: 401', async () => {
    const missing = await http(t.url, 'GET', '/api/v1/gateways');
    expectProblem(missing, 401, 'AGW_UNAUTHENTICATED');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(missing.body.exitCode).toBe(4);
    expectProblem(await http(t.url, 'GET', '/api/v1/gateways', { token: 'agw_nottherightoneatallnottherightoneatall123' }), 401);
    expectProblem(await http(t.url, 'GET', '/api/v1/gateways', { headers: { authorization: `Basic ${tokens.read}` } }), 401);
    expectProblem(await http(t.url, 'GET', '/api/v1/gateways', { token: '' }), 401);
  });

  it('refuses expired and revoked tokens: 401', async () => {
    expectProblem(await http(t.url, 'GET', '/api/v1/environments', { token: tokens.expired }), 401, 'AGW_UNAUTHENTICATED');
    expectProblem(await http(t.url, 'GET', '/api/v1/environments', { token: tokens.revoked }), 401, 'AGW_UNAUTHENTICATED');
  });

  it('lets read do GETs only; write and admin change things (403 when the scope is too low)', async () => {
    expect((await http(t.url, 'GET', '/api/v1/environments', { token: tokens.read })).status).toBe(200);
    const denied = await http(t.url, 'POST', '/api/v1/environments', { token: tokens.read, body: { name: 'qa' } });
    expectProblem(denied, 403, 'AGW_FORBIDDEN');
    expect(denied.body.detail).toContain('needs write');
    expect((await http(t.url, 'GET', '/api/v1/environments/qa', { token: tokens.read })).status).toBe(404);
    expect((await http(t.url, 'POST', '/api/v1/environments', { token: tokens.write, body: { name: 'qa' } })).status).toBe(201);
    expect((await http(t.url, 'DELETE', '/api/v1/environments/qa', { token: tokens.admin })).status).toBe(204);
  });

  it('keeps the probes open and puts /metrics and /openapi.json behind read', async () => {
    expect((await http(t.url, 'GET', '/healthz')).status).toBe(200);
    expect((await http(t.url, 'GET', '/readyz')).status).toBe(200);
    expectProblem(await http(t.url, 'GET', '/metrics'), 401);
    expectProblem(await http(t.url, 'GET', '/openapi.json'), 401);
    expect((await http(t.url, 'GET', '/metrics', { token: tokens.read })).status).toBe(200);
    const openapi = await http(t.url, 'GET', '/openapi.json', { token: tokens.read });
    expect(openapi.body.security).toEqual([{ bearer: [] }]);
  });

  it('records the last use, at most once a minute', async () => {
    const before = (await new TokenService(t.runtime.context()).list()).find((x) => x.name === 't-read')!;
    expect(before.lastUsedAt).not.toBeNull();
    await http(t.url, 'GET', '/api/v1/environments', { token: tokens.read });
    const after = (await new TokenService(t.runtime.context()).list()).find((x) => x.name === 't-read')!;
    expect(after.lastUsedAt).toBe(before.lastUsedAt);
    // A minute later the next use is recorded.
    const later = new TokenVerifier(t.runtime.store, () => new Date(Date.now() + 61_000));
    await later.verify(tokens.read!);
    const touched = (await new TokenService(t.runtime.context()).list()).find((x) => x.name === 't-read')!;
    expect(new Date(touched.lastUsedAt!).getTime()).toBeGreaterThan(new Date(before.lastUsedAt!).getTime());
    expect(touched.status).toBe('active');
    expect((await new TokenService(t.runtime.context()).list()).find((x) => x.name === 't-expired')!.status).toBe('expired');
  });

  it('scopes every request to the token’s organization: org B sees nothing of org A (404), and the reverse', async () => {
    const a = tokens.write!;
    const b = tokens.orgB!;
    const gw = await http(t.url, 'POST', '/api/v1/gateways', {
      token: a,
      body: { name: 'gw-of-a', gatewayType: 'EGRESS', environmentIds: ['production'], adapterConfig: { controlPlaneUrl: sim.urlOf('gw-a') } },
    });
    expect(gw.status, gw.text).toBe(201);
    const envB = await http(t.url, 'POST', '/api/v1/environments', { token: b, body: { name: 'only-in-b' } });
    expect(envB.status).toBe(201);
    expect(envB.body.organizationId).toBe(ORG_B);

    for (const path of [`/api/v1/gateways/${gw.body.uuid}`, '/api/v1/gateways/gw-of-a', '/api/v1/gateways/gw-of-a/health', '/api/v1/gateways/gw-of-a/environments', '/api/v1/environments/production']) {
      expectProblem(await http(t.url, 'GET', path, { token: b }), 404, 'AGW_NOT_FOUND');
    }
    expectProblem(await http(t.url, 'PUT', '/api/v1/gateways/gw-of-a', { token: b, body: { displayName: 'hijacked' } }), 404);
    expectProblem(await http(t.url, 'DELETE', `/api/v1/gateways/${gw.body.uuid}`, { token: b }), 404);
    expectProblem(await http(t.url, 'POST', `/api/v1/gateways/gw-of-a/environments/only-in-b`, { token: b }), 404);
    expectProblem(await http(t.url, 'POST', `/api/v1/gateways/gw-of-a/environments/only-in-b`, { token: a }), 404, 'AGW_NOT_FOUND');
    expect((await http(t.url, 'GET', '/api/v1/gateways', { token: b })).body.gateways).toEqual([]);
    expect((await http(t.url, 'GET', '/api/v1/environments', { token: b })).body.environments.map((e: { name: string }) => e.name)).toEqual(['only-in-b']);
    expectProblem(await http(t.url, 'GET', `/api/v1/environments/${envB.body.uuid}`, { token: a }), 404);
    expect((await http(t.url, 'GET', '/api/v1/environments', { token: a })).body.environments.map((e: { name: string }) => e.name)).not.toContain('only-in-b');
    // The same name may exist once per organization.
    expect((await http(t.url, 'POST', '/api/v1/environments', { token: a, body: { name: 'only-in-b' } })).status).toBe(201);
    expectProblem(await http(t.url, 'GET', `/api/v1/environments?organizationId=${ORG_B}`, { token: a }), 403);
    expect((await http(t.url, 'GET', '/metrics', { token: b })).text).toMatch(/agentgw_gateways\{status="ACTIVE",type="EGRESS"\} 0/);
    expect((await http(t.url, 'GET', '/metrics', { token: a })).text).toMatch(/agentgw_gateways\{status="ACTIVE",type="EGRESS"\} 1/);
    // Org A's gateway is untouched by B's attempts.
    expect((await http(t.url, 'GET', '/api/v1/gateways/gw-of-a', { token: a })).body.displayName).toBe('gw-of-a');
  });

  it('works from the CLI: token create/list/revoke on the database, --token against the daemon', async () => {
    const cli = cliEnvironment();
    const db = ['--database', t.schema.url];
    const created = await cli.run(['token', 'create', 'cli-token', '--scope', 'write', '--expires', '30d', ...db]);
    expect(created.exitCode, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^agw_[0-9A-Za-z]{43}$/);
    expect(created.stderr).toContain('shown only now');

    const listed = await cli.run(['token', 'list', '-o', 'json', ...db]);
    expect(listed.exitCode).toBe(0);
    const entry = JSON.parse(listed.stdout).tokens.find((x: { name: string }) => x.name === 'cli-token');
    expect(entry).toMatchObject({ scope: 'write', status: 'active', lastUsedAt: null });
    expect(new Date(entry.expiresAt).getTime() - Date.now()).toBeGreaterThan(29 * DAY);
    expect(listed.stdout).not.toContain(token);

    const remote = ['--server', t.url];
    expect((await cli.run(['env', 'create', 'from-cli', ...remote, '--token', token])).exitCode).toBe(0);
    const viaEnv = await cli.run(['env', 'get', 'from-cli', '-o', 'name', ...remote], { env: { AGENTGW_TOKEN: token } });
    expect(viaEnv.stdout.trim()).toBe('from-cli');
    const anonymous = await cli.run(['env', 'list', ...remote]);
    expect(anonymous.exitCode).toBe(4);
    expect(anonymous.stderr).toContain('authentication required');

    expect((await cli.run(['token', 'revoke', 'cli-token', ...db])).exitCode).toBe(2);
    const revoked = await cli.run(['token', 'revoke', 'cli-token', '--yes', ...db]);
    expect(revoked.exitCode, revoked.stderr).toBe(0);
    const after = await cli.run(['env', 'list', ...remote, '--token', token]);
    expect(after.exitCode).toBe(4);
    expect(after.stderr).toContain('invalid, expired or revoked');
    // Over the daemon, token commands need a token of the admin scope.
    expect((await cli.run(['token', 'list', ...remote])).exitCode).toBe(4);
    expect((await cli.run(['token', 'create', 'x', '--scope', 'root', ...db])).exitCode).toBe(2);
    expect((await cli.run(['token', 'create', 'y', '--expires', 'soon', ...db])).exitCode).toBe(2);
    expect((await cli.run(['token', 'create', 'cli-token', ...db])).exitCode).toBe(5);
    expect((await cli.run(['token', 'revoke', 'nope', '--yes', ...db])).exitCode).toBe(1);
    // Sixteen CLI processes, one after another: generous on a busy machine.
  }, 120_000);

  it('manages tokens over REST, for the admin scope only, in the caller’s organization', async () => {
    for (const scope of ['read', 'write'] as const) {
      for (const [method, path, body] of [['GET', '/api/v1/tokens'], ['POST', '/api/v1/tokens', { name: 'nope' }], ['DELETE', '/api/v1/tokens/t-read']] as const) {
        const refused = await http(t.url, method, path, { token: tokens[scope], ...(body === undefined ? {} : { body }) });
        expectProblem(refused, 403, 'AGW_FORBIDDEN');
        expect(refused.body.detail).toContain('needs admin');
      }
    }
    expect((await new TokenService(t.runtime.context()).list()).map((x) => x.name)).not.toContain('nope');

    const created = await http(t.url, 'POST', '/api/v1/tokens', { token: tokens.admin, body: { name: 'rest-made', scope: 'write', expiresInSeconds: 3600 } });
    expect(created.status, created.text).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toMatchObject({ name: 'rest-made', scope: 'write', status: 'active', token: expect.stringMatching(/^agw_/) });
    expect(new Date(created.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(3500_000);
    expect((await http(t.url, 'POST', '/api/v1/environments', { token: created.body.token, body: { name: 'by-rest-token' } })).status).toBe(201);

    const listed = await http(t.url, 'GET', '/api/v1/tokens', { token: tokens.admin });
    expect(listed.status).toBe(200);
    expect(listed.body.tokens.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['rest-made', 't-admin']));
    expect(listed.text).not.toContain(created.body.token);
    expect(listed.body.tokens.map((x: { name: string }) => x.name)).not.toContain('t-b');

    expectProblem(await http(t.url, 'POST', '/api/v1/tokens', { token: tokens.admin, body: { name: 'rest-made' } }), 409, 'AGW_TOKEN_EXISTS');
    expectProblem(await http(t.url, 'POST', '/api/v1/tokens', { token: tokens.admin, body: { name: 'x', scope: 'root' } }), 400);
    expectProblem(await http(t.url, 'DELETE', '/api/v1/tokens/no-such-token', { token: tokens.admin }), 404, 'AGW_NOT_FOUND');
    const revoked = await http(t.url, 'DELETE', '/api/v1/tokens/rest-made', { token: tokens.admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ name: 'rest-made', status: 'revoked' });
    expectProblem(await http(t.url, 'GET', '/api/v1/environments', { token: created.body.token }), 401);

    // The CLI, through the daemon, with an admin token.
    const cli = cliEnvironment();
    const remote = ['--server', t.url, '--token', tokens.admin!];
    const made = await cli.run(['token', 'create', 'cli-remote', '--scope', 'read', ...remote]);
    expect(made.exitCode, made.stderr).toBe(0);
    expect(made.stdout.trim()).toMatch(/^agw_[0-9A-Za-z]{43}$/);
    const list = await cli.run(['token', 'list', '-o', 'json', ...remote]);
    expect(JSON.parse(list.stdout).tokens.find((x: { name: string }) => x.name === 'cli-remote')).toMatchObject({ scope: 'read', status: 'active' });
    expect((await cli.run(['token', 'revoke', 'cli-remote', '--yes', ...remote])).exitCode).toBe(0);
    expect((await cli.run(['token', 'list', '--server', t.url, '--token', tokens.write!])).exitCode).toBe(4);
  }, 60_000);
});

describe('tokens over REST on a daemon without authentication', () => {
  it('are refused: anyone who can reach it could mint tokens', async () => {
    const open = await startTestDaemon({ prefix: 'noauth' });
    try {
      for (const [method, path, body] of [['GET', '/api/v1/tokens'], ['POST', '/api/v1/tokens', { name: 'minted' }], ['DELETE', '/api/v1/tokens/x']] as const) {
        const refused = await http(open.url, method, path, body === undefined ? {} : { body });
        expectProblem(refused, 403, 'AGW_FORBIDDEN');
        expect(refused.body.hint).toContain('--database');
      }
      expect(await new TokenService(open.runtime.context()).list()).toEqual([]);
    } finally {
      await open.close();
    }
  });
});

describe('binding beyond loopback', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', '::ffff:10.0.0.1', 'example.com']) expect(isLoopback(host), host).toBe(false);
    expect(() => assertSafeBind('0.0.0.0', true)).not.toThrow();
  });

  it('refuses 0.0.0.0 without auth, before touching the database', async () => {
    const config = await testConfig('postgres://nobody@127.0.0.1:1/none');
    const refused = startDaemon({ config, host: '0.0.0.0', port: 0, logger: false });
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('refusing to listen on 0.0.0.0 without authentication') });
  });

  it('the serve command exits 2 with the reason', async () => {
    const cli = cliEnvironment();
    const result = await cli.run(['serve', '--host', '0.0.0.0', '--port', '0', '--database', 'postgres://nobody@127.0.0.1:1/none']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0 without authentication');
    expect(result.stderr).toContain('server.auth.required');
  });
});
