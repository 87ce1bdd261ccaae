/**
 * A deploy or undeploy asked to stop (Ctrl-C in the CLI aborts its signal): no further gateway is
 * called, the calls in flight are settled, and the rows of the gateways it never called are as
 * they were before — none is left PENDING or UNDEPLOYING. On SQLite and PostgreSQL, against real
 * simulated controllers. Also `undeploy` with `dryRun` (changes nothing) and the refusal of a
 * second registration of one controller URL, on every backend including a real daemon.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceManifest } from '../../src/adapters/adapter.js';
import { ExitCode } from '../../src/domain/errors.js';
import { createHarness, type BackendMode, type Harness } from '../support/harness.js';
import { rejection } from '../support/rejection.js';

const EXAMPLES = 'test/unit/simulators/fixtures/gateway-controller-examples';
const example = (file: string) => parse(readFileSync(join(EXAMPLES, file), 'utf8')) as ResourceManifest;
const NAMES = ['in-1', 'in-2', 'in-3', 'in-4', 'in-5', 'in-6'];
const PROVIDER = 'LlmProvider/openai-provider';

async function setUp(mode: BackendMode): Promise<Harness> {
  const h = await createHarness(mode);
  await h.client.environments.create({ name: 'lab' });
  for (const name of NAMES) {
    h.sim.addGateway({ name });
    await h.client.gateways.register({ name, gatewayType: 'EGRESS', environmentIds: ['lab'], adapterConfig: { controlPlaneUrl: h.sim.urlOf(name) } });
  }
  await h.client.resources.apply([example('openai-template.yaml'), example('openai-provider.yaml')]);
  return h;
}

describe.each(['local-sqlite', 'local-pg'] as const)('interrupted deploys: %s', (mode) => {
  let h: Harness;
  const rows = async () =>
    h.runtime.store.db
      .selectFrom('deployments as d')
      .innerJoin('gateways as g', 'g.uuid', 'd.gateway_uuid')
      .innerJoin('resources as r', 'r.uuid', 'd.resource_uuid')
      .select(['g.name', 'd.status', 'd.revision', 'd.deployed_revision', 'd.operation', 'd.error_message', 'd.attempt_id', 'd.updated_at'])
      .where('r.name', '=', 'openai-provider')
      .orderBy('g.name')
      .execute();

  beforeAll(async () => {
    h = await setUp(mode);
    for (const name of NAMES) h.sim.setFaults(name, { latencyMs: 60 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  /** Aborts once `after` gateways have reported. */
  const stopAfter = (after: number) => {
    const stop = new AbortController();
    let done = 0;
    return { signal: stop.signal, onProgress: () => ++done >= after && stop.abort() };
  };

  it('a first deploy stopped after one gateway: the others get no row at all', async () => {
    const report = await h.client.deployments.deploy({ resource: PROVIDER, environment: 'lab', concurrency: 1 }, stopAfter(1));
    expect(report.interrupted).toBe(true);
    const called = report.results.filter((r) => r.interrupted !== true);
    expect(called.map((r) => [r.action, r.status, r.ok])).toEqual([['create', 'DEPLOYED', true]]);
    expect(report.results.filter((r) => r.interrupted === true).map((r) => r.detail)).toEqual(Array(5).fill('not called: interrupted'));
    expect(report.summary).toMatchObject({ total: 6, changed: 1, failed: 0 });
    expect((await rows()).map((row) => [row.name, row.status])).toEqual([[called[0]!.gateway, 'DEPLOYED']]);
    const holders = NAMES.filter((name) => h.sim.resources(name).some((r) => r.name === 'openai-provider'));
    expect(holders).toEqual([called[0]!.gateway]);
  });

  it('a new revision stopped half way: the gateways not called keep their rows exactly, none is PENDING', async () => {
    expect((await h.client.deployments.deploy({ resource: PROVIDER, environment: 'lab' })).summary.failed).toBe(0);
    const before = await rows();
    await h.client.resources.apply({ ...example('openai-provider.yaml'), spec: { ...example('openai-provider.yaml').spec, displayName: 'OpenAI v2' } });
    const report = await h.client.deployments.deploy({ resource: PROVIDER, environment: 'lab', concurrency: 2 }, stopAfter(2));
    expect(report.interrupted).toBe(true);
    const called = new Set(report.results.filter((r) => r.interrupted !== true).map((r) => r.gateway));
    expect(called.size).toBeGreaterThanOrEqual(2);
    expect(called.size).toBeLessThan(NAMES.length);
    const after = await rows();
    expect(after.filter((row) => row.status === 'PENDING' || row.status === 'UNDEPLOYING')).toEqual([]);
    for (const row of after) {
      if (called.has(row.name)) expect([row.status, row.deployed_revision]).toEqual(['DEPLOYED', 2]);
      else expect(row).toEqual(before.find((b) => b.name === row.name));
    }
    const finished = await h.client.deployments.deploy({ resource: PROVIDER, environment: 'lab' });
    expect(finished.summary).toMatchObject({ changed: NAMES.length - called.size, unchanged: called.size, failed: 0 });
  });

  it('an undeploy stopped half way leaves the gateways it did not call DEPLOYED', async () => {
    const before = await rows();
    const report = await h.client.deployments.undeploy({ resource: PROVIDER, environment: 'lab', concurrency: 1 }, stopAfter(2));
    expect(report.interrupted).toBe(true);
    const removed = new Set(report.results.filter((r) => r.interrupted !== true).map((r) => r.gateway));
    expect(removed.size).toBeGreaterThanOrEqual(2);
    for (const row of await rows()) {
      if (removed.has(row.name)) expect(row.status).toBe('UNDEPLOYED');
      else expect(row).toEqual(before.find((b) => b.name === row.name));
    }
    for (const name of NAMES) expect(h.sim.resources(name).some((r) => r.name === 'openai-provider')).toBe(!removed.has(name));
  });
});

describe.each(['local-sqlite', 'local-pg', 'remote'] as const)('undeploy --dry-run and duplicate controller URLs: %s', (mode) => {
  let h: Harness;
  beforeAll(async () => {
    h = await setUp(mode);
    await h.client.deployments.deploy({ resource: PROVIDER, environment: 'lab' });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('undeploy with dryRun says what would be removed, asking the gateways, and changes nothing', async () => {
    const tables = async () => JSON.stringify(await h.runtime.store.db.selectFrom('deployments').selectAll().orderBy('uuid').execute());
    const before = await tables();
    h.sim.setFaults('in-3', { down: true });
    try {
      const plan = await h.client.deployments.undeploy({ resource: PROVIDER, environment: 'lab', dryRun: true });
      expect(plan.dryRun).toBe(true);
      expect(plan.results.find((r) => r.gateway === 'in-3')).toMatchObject({ action: 'remove', ok: false, reachable: false });
      expect(plan.results.filter((r) => r.gateway !== 'in-3').every((r) => r.action === 'remove' && r.ok && r.reachable)).toBe(true);
      expect(plan.summary).toMatchObject({ total: 6, changed: 5, failed: 1 });
    } finally {
      h.sim.setFaults('in-3', { down: false });
    }
    expect(await tables()).toBe(before);
    for (const name of NAMES) expect(h.sim.resources(name).some((r) => r.name === 'openai-provider')).toBe(true);
  });

  it('refuses a second registration of one controller URL (409), unless asked to allow it', async () => {
    const url = h.sim.urlOf('in-1');
    const input = { name: 'in-1-again', gatewayType: 'EGRESS' as const, adapterConfig: { controlPlaneUrl: `${url}/` } };
    const error = await rejection(h.client.gateways.register(input));
    expect(error.code).toBe('AGW_DUPLICATE_URL');
    expect(error.exitCode).toBe(ExitCode.conflict);
    expect(error.message).toBe(`${url} is already registered as gateway "in-1"`);
    expect((await h.client.gateways.list()).map((g) => g.name)).not.toContain('in-1-again');
    const registered = await h.client.gateways.register({ ...input, allowDuplicateUrl: true });
    expect(registered.name).toBe('in-1-again');
  });
});
