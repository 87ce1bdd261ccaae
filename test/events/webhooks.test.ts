/**
 * Webhooks on real daemons over PostgreSQL, delivering to a real receiver on loopback: retries
 * keep the delivery id and sign every attempt, the delivery log tells the story, two daemons
 * deliver each event once, and the secret never comes back out.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import { expectProblem, http } from '../daemon/support.js';
import { testConfig } from '../support/harness.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

const SECRET = 'whsec_test_0123456789abcdef';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers each request with the next status of `statuses` (then 200), and keeps what it got. */
async function receiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

function verify(received: Received): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(received.headers['agentgw-signature']));
  if (match === null) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${received.body}`).digest('hex');
  return expected === match[2];
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('webhooks', () => {
  let schema: TestSchema;
  let daemons: Daemon[] = [];

  beforeAll(async () => {
    schema = createTestSchema('webhooks');
    const config = await testConfig(schema.url);
    daemons = [await startDaemon({ config, port: 0, logger: false }), await startDaemon({ config, port: 0, logger: false })];
  });
  afterAll(async () => {
    for (const daemon of daemons) await daemon.close();
    await schema?.drop();
  });

  it('refuses bad webhooks, and never returns the secret', async () => {
    const url = daemons[0]!.url;
    expectProblem(await http(url, 'POST', '/api/v1/webhooks', { body: { name: 'x', url: 'ftp://example.com', events: ['token.created'], secret: SECRET } }), 400, 'AGW_VALIDATION');
    expectProblem(await http(url, 'POST', '/api/v1/webhooks', { body: { name: 'x', url: 'http://example.com', events: ['nope'], secret: SECRET } }), 400, 'AGW_VALIDATION');
    expectProblem(await http(url, 'POST', '/api/v1/webhooks', { body: { name: 'x', url: 'http://example.com', events: ['token.created'], secret: 'short' } }), 400, 'AGW_VALIDATION');
    // The egress policy is asked when the URL is given: the cloud metadata address is refused at once, and nothing is stored.
    const metadata = await http(url, 'POST', '/api/v1/webhooks', { body: { name: 'x', url: 'http://169.254.169.254/latest/meta-data', events: ['token.created'], secret: SECRET } });
    expectProblem(metadata, 400, 'AGW_VALIDATION');
    expect(metadata.text).toMatch(/url: refused by the egress policy/);
    expect((await http(url, 'GET', '/api/v1/webhooks/x')).status).toBe(404);
    const created = await http(url, 'POST', '/api/v1/webhooks', { body: { name: 'quiet', url: 'http://127.0.0.1:9/none', events: ['token.revoked'], secret: SECRET } });
    expect(created.status).toBe(201);
    expectProblem(await http(url, 'POST', '/api/v1/webhooks', { body: { name: 'quiet', url: 'http://127.0.0.1:9/none', events: ['token.revoked'], secret: SECRET } }), 409, 'AGW_WEBHOOK_EXISTS');
    const listed = await http(url, 'GET', '/api/v1/webhooks');
    expect(listed.text).not.toContain(SECRET);
    expect(created.text).not.toContain(SECRET);
    expect(listed.body.webhooks.map((w: any) => w.name)).toEqual(['quiet']);
    expect((await http(url, 'DELETE', '/api/v1/webhooks/quiet')).status).toBe(204);
    expectProblem(await http(url, 'GET', '/api/v1/webhooks/quiet'), 404, 'AGW_NOT_FOUND');
    const events = await http(url, 'GET', '/api/v1/events?type=webhook.created,webhook.deleted');
    expect(events.body.events.map((e: any) => e.type)).toEqual(['webhook.created', 'webhook.deleted']);
  });

  it('retries 500, 500 then 200 with the same delivery id and valid signatures; the log shows it', async () => {
    const hook = await receiver([500, 500]);
    try {
      const url = daemons[0]!.url;
      expect((await http(url, 'POST', '/api/v1/webhooks', { body: { name: 'flaky', url: hook.url, events: ['environment.created'], secret: SECRET } })).status).toBe(201);
      expect((await http(url, 'POST', '/api/v1/environments', { body: { name: 'retried' } })).status).toBe(201);
      await until(() => hook.received.length >= 3, 15_000);
      const ids = hook.received.map((r) => r.headers['agentgw-delivery']);
      expect(new Set(ids).size).toBe(1);
      expect(hook.received.every(verify)).toBe(true);
      expect(JSON.parse(hook.received[0]!.body)).toMatchObject({ type: 'environment.created', subject: { name: 'retried' } });
      let log: any;
      await until(async () => {
        log = await http(url, 'GET', '/api/v1/webhooks/flaky/deliveries');
        return log.body.deliveries[0]?.status === 'delivered';
      }, 5000);
      expect(log.body.deliveries).toEqual([expect.objectContaining({ id: ids[0], eventType: 'environment.created', status: 'delivered', attempts: 3, lastStatus: 200, lastError: null })]);
      await http(url, 'DELETE', '/api/v1/webhooks/flaky');
    } finally {
      hook.server.close();
    }
  });

  it('two daemons on one database deliver each event once', async () => {
    const hook = await receiver();
    try {
      const [a, b] = daemons.map((d) => d.url);
      expect((await http(a!, 'POST', '/api/v1/webhooks', { body: { name: 'once', url: hook.url, events: ['environment.created'], secret: SECRET } })).status).toBe(201);
      const names = Array.from({ length: 40 }, (_, i) => `once-${i}`);
      await Promise.all(names.map((name, i) => http(i % 2 === 0 ? a! : b!, 'POST', '/api/v1/environments', { body: { name } })));
      await until(() => hook.received.length >= names.length, 15_000);
      // Time for a duplicate to arrive, were there one.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const delivered = hook.received.map((r) => JSON.parse(r.body).subject.name).sort();
      expect(delivered).toEqual([...names].sort());
      expect(new Set(hook.received.map((r) => r.headers['agentgw-delivery'])).size).toBe(names.length);
    } finally {
      hook.server.close();
    }
  });
});
