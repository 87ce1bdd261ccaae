/**
 * The event log over REST on a real daemon (PostgreSQL, and SQLite for the stream itself): pages
 * and filters, the Server-Sent Events stream with its heartbeat, a status change reaching a
 * stream within the monitor's own deadline, and a resume across a daemon restart that gets every
 * later event exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalClient } from '../../src/client/local.js';
import { startDaemon } from '../../src/daemon/server.js';
import { openRuntime } from '../../src/runtime/runtime.js';
import { createHealthMonitor } from '../../src/services/health-monitor.js';
import { EventService } from '../../src/services/events.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { http, expectProblem } from '../daemon/support.js';
import { testConfig } from '../support/harness.js';
import { createTestSchema } from '../support/postgres.js';
import { openSse } from '../support/sse.js';

const quiet = { warn: () => {}, info: () => {}, debug: () => {} };
const INTERVAL_MS = 200;
const UNHEALTHY_THRESHOLD = 2;

describe.each(['postgres', 'sqlite'] as const)('event stream on %s', (dialect) => {
  let url: string;
  let cleanup: () => Promise<void>;
  let sim: GatewaySimulator;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'steady' }] });
    if (dialect === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'agentgw-stream-'));
      url = `sqlite:${join(dir, 'agentgw.sqlite')}`;
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const schema = createTestSchema('stream');
      url = schema.url;
      cleanup = () => schema.drop();
    }
  });
  afterAll(async () => {
    await sim?.close();
    await cleanup?.();
  });

  const overrides = {
    'events.heartbeat': '100ms',
    'gateway.adapter.onPremise.healthCheck.interval': `${INTERVAL_MS}ms`,
    'gateway.adapter.onPremise.healthCheck.unhealthyThreshold': String(UNHEALTHY_THRESHOLD),
  };

  it('pages and filters the log, and refuses bad filters with a problem', async () => {
    const daemon = await startDaemon({ config: await testConfig(url, overrides), port: 0, logger: false });
    try {
      for (const name of ['p1', 'p2', 'p3']) expect((await http(daemon.url, 'POST', '/api/v1/environments', { body: { name } })).status).toBe(201);
      const first = await http(daemon.url, 'GET', '/api/v1/events?type=environment.created&limit=2');
      expect(first.status).toBe(200);
      expect(first.body.events).toHaveLength(2);
      expect(first.body.events[0]).toMatchObject({ type: 'environment.created', actor: 'anonymous', subject: { kind: 'environment' } });
      const next = await http(daemon.url, 'GET', `/api/v1/events?type=environment.created&limit=2&cursor=${first.body.nextCursor}`);
      expect(next.body.events.map((e: any) => e.subject.name)).toContain('p3');
      expectProblem(await http(daemon.url, 'GET', '/api/v1/events?type=gateway.exploded'), 400, 'AGW_VALIDATION');
      expectProblem(await http(daemon.url, 'GET', '/api/v1/events?gateway=nowhere'), 404, 'AGW_NOT_FOUND');
      // A reference longer than any name is refused before it is looked up, and not repeated back.
      const huge = await http(daemon.url, 'GET', `/api/v1/events?gateway=${'x'.repeat(5000)}`);
      expectProblem(huge, 400, 'AGW_VALIDATION');
      expect(JSON.stringify(huge.body)).not.toContain('x'.repeat(300));
      expectProblem(await http(daemon.url, 'GET', '/api/v1/events?since=soon'), 400, 'AGW_VALIDATION');
      expectProblem(await http(daemon.url, 'GET', '/api/v1/events?limit=0'), 400);
      expectProblem(await http(daemon.url, 'GET', '/api/v1/events/stream', { headers: { 'last-event-id': 'abc' } }), 400, 'AGW_VALIDATION');
      expectProblem(await http(daemon.url, 'GET', '/api/v1/events/stream?type=nope'), 400, 'AGW_VALIDATION');
    } finally {
      await daemon.close();
    }
  });

  it('sends heartbeats, and a dead gateway as gateway.status_changed to INACTIVE within threshold × interval + 1 s', async () => {
    const doomed = await startGatewaySimulator({ gateways: [{ name: 'doomed' }] });
    const config = await testConfig(url, overrides);
    const daemon = await startDaemon({ config, port: 0, logger: false });
    const monitor = createHealthMonitor(daemon.runtime.deps, config);
    try {
      const registered = await http(daemon.url, 'POST', '/api/v1/gateways', {
        body: { name: 'doomed', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: doomed.urlOf('doomed') } },
      });
      expect(registered.status).toBe(201);
      const stream = await openSse(`${daemon.url}/api/v1/events/stream?type=gateway.status_changed&gateway=doomed`);
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      monitor.start();
      await new Promise((resolve) => setTimeout(resolve, 3 * 100));
      expect(stream.comments).toContain('heartbeat');
      await doomed.close();
      const event = await stream.waitFor((e) => e.data.data.to === 'INACTIVE', UNHEALTHY_THRESHOLD * INTERVAL_MS + 1000);
      expect(event.event).toBe('gateway.status_changed');
      expect(event.id).toBe(String(event.data.id));
      expect(event.data).toMatchObject({ subject: { kind: 'gateway', name: 'doomed' }, actor: 'system:health-monitor', data: { from: 'ACTIVE', to: 'INACTIVE', errorClass: 'refused' } });
      stream.close();
    } finally {
      await monitor.stop();
      await daemon.close();
    }
  });

  it('resumes after a daemon restart with Last-Event-ID: every later event exactly once', async () => {
    const config = await testConfig(url, overrides);
    const first = await startDaemon({ config, port: 0, logger: false });
    const stream = await openSse(`${first.url}/api/v1/events/stream?type=environment.created,environment.deleted`);
    for (let i = 0; i < 5; i++) await http(first.url, 'POST', '/api/v1/environments', { body: { name: `before-${i}` } });
    const seen = await stream.waitFor((e) => e.data.subject.name === 'before-4', 5000);
    await first.close();
    await stream.ended;

    // While no daemon runs, a CLI process in local mode goes on changing things.
    const local = await openRuntime({ config, logger: quiet, migrate: false });
    const client = new LocalClient(local);
    for (let i = 0; i < 5; i++) await client.environments.create({ name: `between-${i}` });
    await client.environments.delete('between-0');
    await local.close();

    const second = await startDaemon({ config, port: 0, logger: false });
    try {
      const resumed = await openSse(`${second.url}/api/v1/events/stream?type=environment.created,environment.deleted`, { 'last-event-id': seen.id! });
      // Written concurrently from several requests while the stream catches up.
      await Promise.all(Array.from({ length: 10 }, (_, i) => http(second.url, 'POST', '/api/v1/environments', { body: { name: `after-${i}` } })));
      await resumed.waitFor(() => resumed.events.filter((x) => x.data.subject.name.startsWith('after-')).length === 10, 5000);
      const expected = (
        await new EventService(second.runtime.context()).list({ types: ['environment.created', 'environment.deleted'], afterId: Number(seen.id), limit: 1000 })
      ).events.map((e) => e.id);
      expect(resumed.events.map((e) => Number(e.id))).toEqual(expected);
      expect(expected).toHaveLength(16);
      resumed.close();
    } finally {
      await second.close();
    }
  });
});
