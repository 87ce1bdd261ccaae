/**
 * Rollouts and rollback through the Client, in each mode (local SQLite, local PostgreSQL, remote
 * via a daemon), against simulated gateways: waves in name order, pause and resume, abort
 * rolling the completed waves back, the refusals (bad steps and gates, wrong states), and
 * revision history keeping each revision's secret values sealed.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceManifest } from '../../src/adapters/adapter.js';
import type { Client } from '../../src/client/client.js';
import type { Rollout } from '../../src/domain/rollouts.js';
import { createHarness, type BackendMode, type Harness } from '../support/harness.js';
import { rejection } from '../support/rejection.js';

const base = parse(readFileSync('test/unit/simulators/fixtures/gateway-controller-examples/openai-provider.yaml', 'utf8')) as ResourceManifest;
const revision = (n: number): ResourceManifest => ({
  ...base,
  metadata: { name: 'rollout-provider' },
  spec: { ...base.spec, displayName: `Rollout ${n}`, upstream: { url: 'https://api.openai.com/v1', auth: { type: 'api-key', header: 'Authorization', value: `Bearer sk-secret-of-revision-${n}` } } },
});
const REF = 'LlmProvider/rollout-provider';
const GATEWAYS = ['ro-d', 'ro-a', 'ro-c', 'ro-b'];

async function settle(client: Client, started: Rollout, until: (r: Rollout) => boolean = (r) => r.state !== 'running'): Promise<Rollout> {
  let rollout = started;
  while (!until(rollout)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    rollout = await client.rollouts.get(started.uuid);
  }
  return rollout;
}

describe.each(['local-sqlite', 'local-pg', 'remote'] as BackendMode[])('rollouts: %s', (mode) => {
  let h: Harness;
  const held = async (name: string) => {
    const response = await fetch(`${h.sim.urlOf(name)}/api/management/v1/llm-providers/rollout-provider`);
    if (response.status === 404) return null;
    const body = (await response.json()) as { spec?: { displayName?: string } };
    return body.spec?.displayName ?? '?';
  };

  beforeAll(async () => {
    h = await createHarness(mode);
    const environment = await h.client.environments.create({ name: `ro-${mode}` });
    for (const name of GATEWAYS) {
      const gatewayName = `${name}-${mode}`;
      h.sim.addGateway({ name: gatewayName });
      await h.client.gateways.register({ name: gatewayName, gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: h.sim.urlOf(gatewayName) }, environmentIds: [environment.uuid] });
    }
    await h.client.resources.apply(revision(1));
  });
  afterAll(async () => {
    await h?.close();
  });
  const gw = (name: string) => `${name}-${mode}`;
  const env = () => `ro-${mode}`;

  it('goes in waves of gateways in name order, and succeeds when every gate passes', async () => {
    const started = await h.client.rollouts.start({ resource: REF, environment: env(), steps: ['1', '50%', '100%'], pauseMs: 0, gates: ['health=ACTIVE'] });
    expect(started.waves.map((w) => w.gateways)).toEqual([[gw('ro-a')], [gw('ro-b')], [gw('ro-c'), gw('ro-d')]]);
    const done = await settle(h.client, started);
    expect(done).toMatchObject({ state: 'succeeded', revision: 1, currentWave: 3, message: null });
    expect(done.waves.every((w) => w.status === 'passed' && w.gates.every((g) => g.passed && g.measured === 'ACTIVE'))).toBe(true);
    expect(await Promise.all(GATEWAYS.map((name) => held(gw(name))))).toEqual(['Rollout 1', 'Rollout 1', 'Rollout 1', 'Rollout 1']);
    expect((await h.client.rollouts.list({ state: 'succeeded' })).map((r) => r.uuid)).toContain(started.uuid);
  });

  it('keeps every revision with its secret values sealed, and rolls back to one', async () => {
    await h.client.resources.apply(revision(2));
    const rows = await h.runtime.store.db.selectFrom('resource_revisions').innerJoin('resources', 'resources.uuid', 'resource_revisions.resource_uuid').select(['resource_revisions.revision', 'resource_revisions.secrets', 'resource_revisions.spec']).where('resources.name', '=', 'rollout-provider').orderBy('resource_revisions.revision').execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.secrets).toEqual(expect.any(String));
      expect(`${row.secrets} ${JSON.stringify(row.spec)}`).not.toContain('sk-secret-of-revision');
    }
    const history = await h.client.resources.history(REF);
    expect(JSON.stringify(history)).not.toContain('sk-secret-of-revision');
    expect(history.revisions[1]!.diff).toEqual(expect.arrayContaining(['-   displayName: Rollout 1', '+   displayName: Rollout 2']));
    expect(await h.client.deployments.deploy({ resource: REF, environment: env() })).toMatchObject({ summary: { failed: 0 } });
    const back = await h.client.deployments.rollback({ resource: REF, gateway: gw('ro-b') });
    expect(back).toMatchObject({ resource: { revision: 1 }, summary: { changed: 1, failed: 0 } });
    expect(await held(gw('ro-b'))).toBe('Rollout 1');
    expect(await held(gw('ro-a'))).toBe('Rollout 2');
    expect(await rejection(h.client.deployments.rollback({ resource: REF, environment: env(), toRevision: 7 }))).toMatchObject({ code: 'AGW_VALIDATION' });
  });

  it('pauses and resumes; an abort rolls the completed waves back', async () => {
    const started = await h.client.rollouts.start({ resource: REF, environment: env(), steps: ['1', '100%'], pauseMs: 1500 });
    const pausing = await settle(h.client, started, (r) => r.waves[0]!.status === 'deployed');
    expect(await held(gw('ro-a'))).toBe('Rollout 2');
    expect(await held(gw('ro-b'))).toBe('Rollout 1');
    expect((await h.client.rollouts.pause(pausing.uuid)).state).toBe('paused');
    expect(await rejection(h.client.rollouts.pause(pausing.uuid))).toMatchObject({ code: 'AGW_ROLLOUT_STATE' });
    expect(await rejection(h.client.rollouts.start({ resource: REF, environment: env(), steps: ['100%'] }))).toMatchObject({ code: 'AGW_ROLLOUT_IN_PROGRESS', status: 409 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await h.client.rollouts.get(pausing.uuid)).state).toBe('paused');
    // Everyone is on revision 2 but ro-b (the earlier rollback): the next rollout is one of 2, in two waves.
    const aborted = await h.client.rollouts.abort(pausing.uuid);
    expect(aborted.state).toBe('aborted');
    // ro-a ran revision 2 before this rollout: going back leaves it there.
    expect(await held(gw('ro-a'))).toBe('Rollout 2');
    await h.client.deployments.rollback({ resource: REF, environment: env(), toRevision: 1 });
    const again = await h.client.rollouts.start({ resource: REF, environment: env(), steps: ['1', '100%'], pauseMs: 800 });
    await settle(h.client, again, (r) => r.waves[0]!.status === 'deployed');
    await h.client.rollouts.pause(again.uuid);
    const resumed = await h.client.rollouts.resume(again.uuid);
    expect(resumed.state).toBe('running');
    expect(await settle(h.client, resumed)).toMatchObject({ state: 'succeeded' });
    expect(await Promise.all(GATEWAYS.map((name) => held(gw(name))))).toEqual(['Rollout 2', 'Rollout 2', 'Rollout 2', 'Rollout 2']);

    await h.client.deployments.rollback({ resource: REF, environment: env() });
    const third = await h.client.rollouts.start({ resource: REF, environment: env(), steps: ['1', '100%'], pauseMs: 5000 });
    await settle(h.client, third, (r) => r.waves[0]!.status === 'deployed');
    expect(await held(gw('ro-a'))).toBe('Rollout 2');
    const stopped = await settle(h.client, await h.client.rollouts.abort(third.uuid), (r) => r.message !== 'aborted');
    expect(stopped).toMatchObject({ state: 'aborted', message: 'aborted; rolled back to the revisions they ran before' });
    expect(await Promise.all(GATEWAYS.map((name) => held(gw(name))))).toEqual(['Rollout 1', 'Rollout 1', 'Rollout 1', 'Rollout 1']);
  }, 30_000);

  it('refuses bad steps, gates and ids, naming the field', async () => {
    const start = (extra: Record<string, unknown>) => rejection(h.client.rollouts.start({ resource: REF, environment: env(), steps: ['1', '100%'], ...extra } as never));
    expect(await start({ steps: ['50%', '25%'] })).toMatchObject({ code: 'AGW_VALIDATION', message: expect.stringContaining('steps count up') });
    expect(await start({ steps: ['1'] })).toMatchObject({ code: 'AGW_VALIDATION', message: expect.stringContaining('end with 100%') });
    expect(await start({ steps: ['0'] })).toMatchObject({ code: 'AGW_VALIDATION' });
    expect(await start({ gates: ['errorRate<1'] })).toMatchObject({ code: 'AGW_VALIDATION', message: expect.stringContaining('percentage') });
    expect(await start({ gates: ['health=DOWN'] })).toMatchObject({ code: 'AGW_VALIDATION' });
    expect(await rejection(h.client.rollouts.get('00000000-0000-4000-8000-00000000ffff'))).toMatchObject({ code: 'AGW_NOT_FOUND' });
    expect(await h.client.rollouts.list({})).not.toHaveLength(0);
  });
});
