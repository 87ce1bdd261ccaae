/**
 * The event log on both databases: every registry and token change writes its event, with the
 * actor, in the transaction of the change. Both halves of "no change without its event, no
 * event without its change" are forced with a trigger: the event's insert fails (the change must
 * not stay), and the change fails after the event was inserted (the event must not stay).
 */
import { userInfo } from 'node:os';
import { sql } from 'kysely';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalClient } from '../../src/client/local.js';
import { openRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { startEventRetention } from '../../src/services/event-retention.js';
import { EventService } from '../../src/services/events.js';
import { HealthMonitor } from '../../src/services/health-monitor.js';
import { WebhookService } from '../../src/services/webhooks.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { testConfig } from '../support/harness.js';
import { ManualClock } from '../support/manual-clock.js';
import { createTestDatabase, POSTGRES_BASE_URL } from '../support/postgres.js';

const quiet = { warn: () => {}, info: () => {}, debug: () => {} };

describe.each(['sqlite', 'postgres'] as const)('event log on %s', (dialect) => {
  let runtime: Runtime;
  let client: LocalClient;
  let sim: GatewaySimulator;
  let cleanup: () => Promise<void>;
  const actor = `local:${userInfo().username}`;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'edge' }] });
    const database = createTestDatabase(dialect, 'events');
    cleanup = () => database.drop();
    runtime = await openRuntime({ config: await testConfig(database.url), logger: quiet, migrate: true });
    client = new LocalClient(runtime);
  });
  afterAll(async () => {
    await runtime?.close();
    await sim?.close();
    await cleanup?.();
  });

  const events = () => new EventService(runtime.context()).list({ limit: 1000 });

  it('records each change with its subject, actor and data, ids growing', async () => {
    const before = (await events()).events.length;
    await client.environments.create({ name: 'staging' });
    await client.environments.update('staging', { description: 'pre-production' });
    const gateway = await client.gateways.register({ name: 'edge', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('edge') } });
    await client.gateways.update('edge', { displayName: 'Edge' });
    await client.gateways.addEnvironment('edge', 'staging');
    await client.gateways.removeEnvironment('edge', 'staging');
    await client.tokens.create({ name: 'ci', scope: 'write' });
    await client.tokens.revoke('ci');
    await client.gateways.delete('edge');
    await client.environments.delete('staging');

    const written = (await events()).events.slice(before);
    expect(written.map((e) => e.type)).toEqual([
      'environment.created',
      'environment.updated',
      'gateway.registered',
      'gateway.updated',
      'gateway.environment_added',
      'gateway.environment_removed',
      'token.created',
      'token.revoked',
      'gateway.deleted',
      'environment.deleted',
    ]);
    for (const event of written) {
      expect(event.actor).toBe(actor);
      expect(event.organizationId).toBe('00000000-0000-4000-8000-000000000001');
      expect(Date.parse(event.time)).not.toBeNaN();
    }
    const ids = written.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(written[2]).toMatchObject({ subject: { kind: 'gateway', uuid: gateway.uuid, name: 'edge' }, data: { status: 'ACTIVE', gatewayType: 'EGRESS' } });
    expect(written[4]!.data).toMatchObject({ environment: { name: 'staging' } });
    expect(written[1]!.data).toMatchObject({ changes: { description: 'pre-production' }, version: 2 });
    // A token's event never carries the token.
    expect(JSON.stringify(written[6])).not.toMatch(/agw_/);
  });

  it('filters by type and gateway, and pages with a cursor', async () => {
    await client.environments.create({ name: 'a' });
    await client.environments.create({ name: 'b' });
    await client.environments.create({ name: 'c' });
    const service = new EventService(runtime.context());
    const first = await service.list({ types: ['environment.created'], limit: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const rest = await service.list({ types: ['environment.created'], limit: 1000, cursor: first.nextCursor! });
    expect(rest.nextCursor).toBeNull();
    const names = [...first.events, ...rest.events].map((e) => e.subject.name);
    expect(names.slice(-3)).toEqual(['a', 'b', 'c']);
    await expect(service.list({ types: ['gateway.exploded'] })).rejects.toMatchObject({ code: 'AGW_VALIDATION' });
    await expect(service.list({ gateway: 'nowhere' })).rejects.toMatchObject({ code: 'AGW_NOT_FOUND' });
    await expect(service.list({ cursor: 'bm9wZQ' })).rejects.toMatchObject({ code: 'AGW_VALIDATION' });
    await expect(service.list({ since: 'yesterday' })).rejects.toMatchObject({ code: 'AGW_VALIDATION' });
    expect((await service.list({ since: '1h', types: ['environment.created'], limit: 1000 })).events.length).toBeGreaterThanOrEqual(3);
  });

  it('turns each event a webhook subscribes to into one pending delivery, in the event’s transaction', async () => {
    const webhooks = new WebhookService(runtime.context());
    await webhooks.create({ name: 'hook', url: 'https://hooks.example.com/in', events: ['environment.created'], secret: 'whsec_0123456789abcdef' });
    await client.environments.create({ name: 'hooked' });
    await client.environments.update('hooked', { description: 'not subscribed' });
    const deliveries = await webhooks.deliveries('hook');
    expect(deliveries).toEqual([expect.objectContaining({ eventType: 'environment.created', status: 'pending', attempts: 0 })]);
    expect(deliveries[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await webhooks.delete('hook');
  });

  it('writes the monitor’s status changes with their batch, and (PostgreSQL) notifies listeners', async () => {
    const dying = await startGatewaySimulator({ gateways: [{ name: 'dying' }] });
    const notified: string[] = [];
    let unlisten = async () => {};
    if (dialect === 'postgres') {
      const listener = postgres(POSTGRES_BASE_URL, { max: 1, onnotice: () => {} });
      await listener.listen('agentgw_events', (payload) => notified.push(payload));
      unlisten = () => listener.end();
    }
    try {
      await client.gateways.register({ name: 'dying', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: dying.urlOf('dying') } });
      await dying.close();
      const clock = new ManualClock(new Date());
      const monitor = new HealthMonitor({
        deps: runtime.deps,
        clock,
        intervalMs: 1000,
        timeoutMs: 1000,
        concurrency: 4,
        thresholds: { unhealthyThreshold: 1, healthyThreshold: 1 },
        logger: quiet,
      });
      const before = (await events()).events.length;
      notified.length = 0;
      clock.advance(5000);
      await monitor.runRound();
      const written = (await events()).events.slice(before);
      expect(written).toEqual([
        expect.objectContaining({
          type: 'gateway.status_changed',
          actor: 'system:health-monitor',
          subject: expect.objectContaining({ name: 'dying' }),
          data: { from: 'ACTIVE', to: 'INACTIVE', errorClass: expect.any(String), reason: expect.any(String) },
        }),
      ]);
      if (dialect === 'postgres') {
        await vi.waitFor(() => expect(notified.length).toBeGreaterThan(0), { timeout: 2000 });
      }
      await client.gateways.delete('dying');
    } finally {
      await unlisten();
    }
  });

  it('prunes events older than the retention, and only those', async () => {
    await client.environments.create({ name: 'kept' });
    const all = (await events()).events;
    const newest = all.at(-1)!;
    // A clock 10 days ahead with a 10-day retention keeps exactly what is younger than now.
    const removedBefore = all.filter((e) => Date.parse(e.time) < Date.parse(newest.time)).length;
    let stop = () => {};
    const pruned = new Promise<void>((resolve) => {
      stop = startEventRetention({
        store: runtime.store,
        retentionMs: 10 * 86_400_000,
        clock: () => new Date(Date.parse(newest.time) + 10 * 86_400_000),
        logger: { ...quiet, info: () => resolve() },
      });
    });
    await pruned;
    stop();
    const left = (await events()).events;
    expect(left.map((e) => e.id)).toEqual(all.filter((e) => Date.parse(e.time) >= Date.parse(newest.time)).map((e) => e.id));
    expect(all.length - left.length).toBe(removedBefore);
    expect(left.at(-1)!.id).toBe(newest.id);
  });

  it('keeps no change whose event could not be written', async () => {
    await installTrigger(runtime, dialect, 'refuse');
    try {
      const before = await events();
      await expect(client.environments.create({ name: 'orphan' })).rejects.toThrow();
      await expect(client.environments.get('orphan')).rejects.toMatchObject({ code: 'AGW_NOT_FOUND' });
      expect((await events()).events).toEqual(before.events);
    } finally {
      await dropTrigger(runtime, dialect);
    }
  });

  it('keeps no event whose change failed after the event was written', async () => {
    await client.environments.create({ name: 'target' });
    await installTrigger(runtime, dialect, 'break-subject');
    try {
      const before = await events();
      await expect(client.environments.update('target', { description: 'never' })).rejects.toThrow();
      expect((await client.environments.get('target')).description).toBeNull();
      expect((await events()).events).toEqual(before.events);
    } finally {
      await dropTrigger(runtime, dialect);
    }
  });
});

/**
 * `refuse`: the event's insert itself fails. `break-subject`: once the event row is in, the
 * environment it names is changed into a row the database refuses (a NULL name), so the change
 * fails after its event.
 */
async function installTrigger(runtime: Runtime, dialect: 'sqlite' | 'postgres', kind: 'refuse' | 'break-subject'): Promise<void> {
  const db = runtime.store.db;
  if (dialect === 'sqlite') {
    const body = kind === 'refuse' ? `select raise(abort, 'events refused')` : `update environments set name = null where uuid = new.subject_uuid`;
    await sql.raw(`create trigger test_events_fault after insert on events begin ${body}; end`).execute(db);
    return;
  }
  const body = kind === 'refuse' ? `raise exception 'events refused'` : `update environments set name = null where uuid = new.subject_uuid`;
  await sql.raw(`create function test_events_fault() returns trigger language plpgsql as $$ begin ${body}; return new; end $$`).execute(db);
  await sql.raw(`create trigger test_events_fault after insert on events for each row execute function test_events_fault()`).execute(db);
}

async function dropTrigger(runtime: Runtime, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const db = runtime.store.db;
  await sql.raw('drop trigger test_events_fault' + (dialect === 'postgres' ? ' on events' : '')).execute(db);
  if (dialect === 'postgres') await sql.raw('drop function test_events_fault()').execute(db);
}
