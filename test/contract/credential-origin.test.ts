/**
 * A gateway's stored credentials stay with the origin (scheme, host, port) they were given for,
 * on every backend: moving its controlPlaneUrl to another origin is refused (400, nothing stored,
 * nothing sent) unless the same request carries the credentials again; a move within the origin,
 * or an adminUrl elsewhere, needs none and hands none over.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/domain/errors.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { createHarness, snapshot, type BackendMode, type Harness } from '../support/harness.js';
import { rejection } from '../support/rejection.js';

const MODES: BackendMode[] = ['local-sqlite', 'local-pg', 'remote'];
const AUTH = { username: 'admin', password: 'origin-contract-password-1f' };
const NEW_AUTH = { username: 'admin', password: 'origin-contract-password-2e' };

describe.each(MODES)('credentials and origins: %s', (mode) => {
  let h: Harness;
  /** Another origin: a second simulator, with other credentials. */
  let other: GatewaySimulator;
  /** A listener that records every Authorization header it is sent. */
  let listener: { url: string; headers: Array<string | undefined>; close(): Promise<void> };

  beforeAll(async () => {
    h = await createHarness(mode);
    other = await startGatewaySimulator({ gateways: [{ name: 'moved', auth: NEW_AUTH }] });
    const headers: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
      headers.push(req.headers.authorization);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    listener = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      headers,
      close: () => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
    for (const name of ['origin-a', 'origin-b']) h.sim.addGateway({ name, auth: AUTH });
    await h.client.gateways.register({ name: 'gw-origin', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: h.sim.urlOf('origin-a'), ...AUTH } });
  }, 60_000);
  afterAll(async () => {
    await listener?.close();
    await other?.close();
    await h?.close();
  });

  it('refuses to move the controlPlaneUrl to another origin without the credentials, naming the rule; nothing stored or sent', async () => {
    const before = await snapshot(h.runtime);
    const error = await rejection(h.client.gateways.update('gw-origin', { adapterConfig: { controlPlaneUrl: listener.url } }));
    expect(error.status).toBe(400);
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toMatch(/another origin .* needs its credentials in the same request: stored credentials are only ever sent to the origin they were given for/);
    expect(error.errors?.map((e) => e.path)).toEqual(['adapterConfig.controlPlaneUrl', 'adapterConfig.password']);
    expect(await snapshot(h.runtime)).toBe(before);
    expect(listener.headers).toEqual([]);
  });

  it('moves within the origin without new credentials', async () => {
    const updated = await h.client.gateways.update('gw-origin', { adapterConfig: { controlPlaneUrl: h.sim.urlOf('origin-b') } });
    expect(updated.adapterConfig.controlPlaneUrl).toBe(h.sim.urlOf('origin-b'));
    expect((await h.client.gateways.health('gw-origin')).status).toBe('ACTIVE');
  });

  it('takes an adminUrl on another origin, which gets no credentials', async () => {
    await h.client.gateways.update('gw-origin', { adapterConfig: { adminUrl: listener.url } });
    await h.client.gateways.health('gw-origin');
    expect(listener.headers.length).toBeGreaterThanOrEqual(1);
    expect(listener.headers.every((header) => header === undefined)).toBe(true);
    await h.client.gateways.update('gw-origin', { adapterConfig: { adminUrl: null } });
  });

  it('moves to another origin with the credentials given again, which are then for that origin', async () => {
    const updated = await h.client.gateways.update('gw-origin', { adapterConfig: { controlPlaneUrl: other.urlOf('moved'), password: NEW_AUTH.password } });
    expect(updated.adapterConfig).toMatchObject({ controlPlaneUrl: other.urlOf('moved'), password: { set: true } });
    expect((await h.client.gateways.health('gw-origin')).status).toBe('ACTIVE');
    // And back: the new password is not sent to the first origin either.
    const back = await rejection(h.client.gateways.update('gw-origin', { adapterConfig: { controlPlaneUrl: h.sim.urlOf('origin-a') } }));
    expect(back.code).toBe('AGW_VALIDATION');
  });

  it('drops the credentials when asked (null) while moving', async () => {
    const updated = await h.client.gateways.update('gw-origin', { adapterConfig: { controlPlaneUrl: listener.url, password: null, username: null } });
    expect(updated.adapterConfig).not.toHaveProperty('password');
    expect(listener.headers.every((header) => header === undefined)).toBe(true);
  });
});
