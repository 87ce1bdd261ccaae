/**
 * Deployments end to end, through the Client interface on every backend (local SQLite, local
 * PostgreSQL, a real daemon), against real simulated gateway-controllers over HTTP: an
 * environment of 20 gateways, two of them down and one slow. What the control plane reports
 * (results, rows, matrix, drift) is checked against what the simulators actually hold.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceManifest } from '../../src/adapters/adapter.js';
import { ExitCode } from '../../src/domain/errors.js';
import type { DeployReport } from '../../src/domain/resources.js';
import { createHarness, type BackendMode, type Harness } from '../support/harness.js';
import { rejection } from '../support/rejection.js';

const MODES: BackendMode[] = ['local-sqlite', 'local-pg', 'remote'];
const EXAMPLES = 'test/unit/simulators/fixtures/gateway-controller-examples';
const example = (file: string) => parse(readFileSync(join(EXAMPLES, file), 'utf8')) as ResourceManifest;

const NAMES = Array.from({ length: 20 }, (_, i) => `st-${String(i + 1).padStart(2, '0')}`);
const DOWN = ['st-05', 'st-12'];
const SLOW = 'st-17';
const PROVIDER = 'LlmProvider/openai-provider';

describe.each(MODES)('deployments: %s', (mode) => {
  let h: Harness;
  /** The names of the gateways whose simulator holds this resource. */
  const holders = (kind: string, name: string) =>
    NAMES.filter((gw) => h.sim.resources(gw).some((r) => r.kind === kind && r.name === name)).sort();
  const posts = (gw: string) => h.sim.stats(gw).requests['POST /api/management/v1/llm-providers'] ?? 0;
  const tables = async () => {
    const db = h.runtime.store.db;
    const [resources, revisions, deployments] = await Promise.all([
      db.selectFrom('resources').selectAll().orderBy('uuid').execute(),
      db.selectFrom('resource_revisions').selectAll().orderBy('resource_uuid').orderBy('revision').execute(),
      db.selectFrom('deployments').selectAll().orderBy('uuid').execute(),
    ]);
    return JSON.stringify({ resources, revisions, deployments });
  };

  beforeAll(async () => {
    h = await createHarness(mode);
    await h.client.environments.create({ name: 'staging' });
    for (const name of [...NAMES, 'st-ingress']) h.sim.addGateway({ name });
    for (const name of NAMES) {
      await h.client.gateways.register({ name, gatewayType: 'EGRESS', environmentIds: ['staging'], adapterConfig: { controlPlaneUrl: h.sim.urlOf(name) } });
    }
    await h.client.gateways.register({
      name: 'st-ingress',
      gatewayType: 'INGRESS',
      environmentIds: ['staging'],
      adapterConfig: { controlPlaneUrl: h.sim.urlOf('st-ingress') },
    });
    for (const name of DOWN) h.sim.setFaults(name, { down: true });
    h.sim.setFaults(SLOW, { latencyMs: 300 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('applies manifests: all validated first, nothing stored when one is bad', async () => {
    const before = await tables();
    const bad = { ...example('openai-provider.yaml'), spec: { displayName: 'OpenAI' } };
    const error = await rejection(h.client.resources.apply([example('openai-template.yaml'), bad]));
    expect(error.code).toBe('AGW_VALIDATION');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(['[1].spec.version', '[1].spec.template', '[1].spec.upstream', '[1].spec.accessControl']));
    expect(await tables()).toBe(before);

    const applied = await h.client.resources.apply([example('openai-template.yaml'), example('openai-provider.yaml'), example('sample-echo-api.yaml')]);
    expect(applied.map((r) => [`${r.kind}/${r.name}`, r.action, r.revision])).toEqual([
      ['LlmProviderTemplate/openai', 'created', 1],
      [PROVIDER, 'created', 1],
      ['RestApi/sample-echo-v1', 'created', 1],
    ]);
    const again = await h.client.resources.apply(example('openai-provider.yaml'));
    expect(again.map((r) => [r.action, r.revision])).toEqual([['unchanged', 1]]);
    // The API key is a secret field: stored sealed, read back as {set: true}.
    const provider = example('openai-provider.yaml');
    (provider.spec.upstream as { auth: Record<string, unknown> }).auth.value = { set: true };
    expect((await h.client.resources.get('openai-provider')).spec).toEqual(provider.spec);
  });

  it('dry run: prints the plan, unreachable targets included, and changes nothing', async () => {
    const before = await tables();
    const report = await h.client.deployments.deploy({ resource: PROVIDER, environment: 'staging', dryRun: true });
    expect(report.dryRun).toBe(true);
    const byGateway = new Map(report.results.map((r) => [r.gateway, r]));
    expect(byGateway.get('st-01')).toMatchObject({ action: 'create', reachable: true, ok: true });
    for (const down of DOWN) expect(byGateway.get(down)).toMatchObject({ action: 'create', reachable: false, ok: false, error: expect.stringMatching(/^unreachable: /) });
    expect(byGateway.get('st-ingress')).toMatchObject({ action: 'skip', ok: true, detail: expect.stringContaining('EGRESS') });
    expect(await tables()).toBe(before);
    expect(NAMES.map(posts).reduce((a, b) => a + b, 0)).toBe(0);
  });

  let first: DeployReport;
  it('deploys to the environment and reports each gateway’s outcome', async () => {
    first = await h.client.deployments.deploy({ resource: PROVIDER, environment: 'staging', concurrency: 8 });
    expect(first.summary).toEqual({ total: 21, changed: 18, unchanged: 0, skipped: 1, failed: 2 });
    for (const result of first.results) {
      if (result.gateway === 'st-ingress') expect(result).toMatchObject({ action: 'skip', status: null });
      else if (DOWN.includes(result.gateway)) expect(result).toMatchObject({ action: 'create', status: 'FAILED', ok: false, error: expect.stringContaining(result.gateway) });
      else expect(result).toMatchObject({ action: 'create', status: 'DEPLOYED', ok: true, revision: 1 });
    }
    expect(holders('LlmProvider', 'openai-provider')).toEqual(NAMES.filter((n) => !DOWN.includes(n)));
    const rows = await h.client.deployments.list({ environment: 'staging' });
    expect(rows).toHaveLength(20);
    expect(rows.filter((r) => r.status === 'FAILED').map((r) => r.gateway.name)).toEqual(DOWN);
    expect(rows.find((r) => r.gateway.name === 'st-05')).toMatchObject({ name: `${PROVIDER}@st-05`, deployedRevision: null, errorMessage: expect.any(String) });
  });

  it('the matrix and the drift agree with what the simulators hold', async () => {
    const matrix = await h.client.deployments.matrix('staging');
    expect(matrix.gateways.map((g) => g.name)).toEqual([...NAMES, 'st-ingress'].sort());
    const row = matrix.resources.find((r) => r.kind === 'LlmProvider')!;
    const deployedCells = Object.entries(row.cells)
      .filter(([, cell]) => cell?.status === 'DEPLOYED' && cell.current)
      .map(([gw]) => gw)
      .sort();
    expect(deployedCells).toEqual(holders('LlmProvider', 'openai-provider'));
    expect(row.cells['st-ingress']).toBeNull();

    const drift = await h.client.deployments.drift('staging');
    expect(drift.inSync).toBe(false);
    expect(drift.items.map((i) => [i.gateway, i.drift])).toEqual(DOWN.map((gw) => [gw, 'unreachable']));
  });

  it('a second run deploys only what failed before', async () => {
    for (const name of DOWN) h.sim.setFaults(name, { down: undefined });
    const postsBefore = new Map(NAMES.map((n) => [n, posts(n)]));
    const second = await h.client.deployments.deploy({ resource: PROVIDER, environment: 'staging' });
    expect(second.summary).toEqual({ total: 21, changed: 2, unchanged: 18, skipped: 1, failed: 0 });
    expect(second.results.filter((r) => r.action === 'create').map((r) => r.gateway)).toEqual(DOWN);
    for (const name of NAMES) expect(posts(name) - postsBefore.get(name)!).toBe(DOWN.includes(name) ? 1 : 0);
    expect(holders('LlmProvider', 'openai-provider')).toEqual(NAMES);
    const drift = await h.client.deployments.drift('staging');
    expect(drift).toMatchObject({ inSync: true, gatewaysChecked: 21, items: [] });
  });

  it('drift names what differs on the gateways', async () => {
    // Out-of-band changes on three gateways, and a new revision not rolled out yet.
    await fetch(`${h.sim.urlOf('st-03')}/api/management/v1/llm-providers/openai-provider`, { method: 'DELETE' });
    const stray = { ...example('openai-template.yaml'), metadata: { name: 'stray-template' } };
    await fetch(`${h.sim.urlOf('st-04')}/api/management/v1/llm-provider-templates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(stray) });
    const edited = example('openai-provider.yaml');
    edited.spec.displayName = 'Edited By Hand';
    await fetch(`${h.sim.urlOf('st-06')}/api/management/v1/llm-providers/openai-provider`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(edited) });
    const next = example('openai-provider.yaml');
    next.spec.version = 'v1.1';
    expect((await h.client.resources.apply(next))[0]).toMatchObject({ action: 'updated', revision: 2 });

    const drift = await h.client.deployments.drift('staging');
    const of = (gw: string) => drift.items.filter((i) => i.gateway === gw).map((i) => [i.drift, `${i.kind}/${i.name}`]);
    expect(of('st-03')).toEqual([['missing', PROVIDER]]);
    expect(of('st-04')).toEqual([
      ['outdated', PROVIDER],
      ['unexpected', 'LlmProviderTemplate/stray-template'],
    ]);
    expect(of('st-06')).toEqual([['modified', PROVIDER]]);
    expect(drift.items.find((i) => i.gateway === 'st-04' && i.drift === 'unexpected')?.detail).toBe('unknown to agentgw');
    expect(drift.items.filter((i) => i.drift === 'outdated')).toHaveLength(18);
    expect(drift.summary).toEqual({ missing: 1, unexpected: 1, outdated: 18, modified: 1, unreachable: 0 });

    // Rolling out revision 2 repairs everything agentgw owns; the stray template stays unexpected.
    const rollout = await h.client.deployments.deploy({ resource: PROVIDER, environment: 'staging' });
    expect(rollout.summary.failed).toBe(0);
    expect(rollout.results.find((r) => r.gateway === 'st-03')?.action).toBe('create');
    for (const name of NAMES) {
      const held = h.sim.resources(name).find((r) => r.name === 'openai-provider');
      expect((held?.manifest.spec as { version: string }).version).toBe('v1.1');
    }
    const after = await h.client.deployments.drift('staging');
    expect(after.items.map((i) => [i.gateway, i.drift])).toEqual([['st-04', 'unexpected']]);
  });

  it('refuses to delete a gateway with deployments, listing them; --drain undeploys then deletes', async () => {
    const error = await rejection(h.client.gateways.delete('st-01'));
    expect(error).toMatchObject({ code: 'AGW_GATEWAY_HAS_DEPLOYMENTS', status: 409, exitCode: ExitCode.conflict });
    expect(error.message).toContain(`${PROVIDER}@st-01 (DEPLOYED)`);
    expect(error.hint).toContain('--drain');
    expect(await h.client.gateways.get('st-01')).toMatchObject({ name: 'st-01' });

    const metrics = await h.client.gateways.metrics('st-01');
    expect(metrics.deploymentCount).toBe(1);
    expect(metrics.providerCount).toBe(1);

    await h.client.gateways.delete('st-01', { drain: true });
    expect(h.sim.resources('st-01')).toEqual([]);
    expect((await rejection(h.client.gateways.get('st-01'))).code).toBe('AGW_NOT_FOUND');
    expect((await h.client.deployments.list({ resource: PROVIDER })).map((d) => d.gateway.name)).not.toContain('st-01');
  });

  it('drain refuses, and keeps the gateway, when the gateway cannot be emptied', async () => {
    h.sim.setFaults('st-02', { down: true });
    const error = await rejection(h.client.gateways.delete('st-02', { drain: true }));
    expect(error.code).toBe('AGW_GATEWAY_DRAIN_FAILED');
    expect(await h.client.gateways.get('st-02')).toMatchObject({ name: 'st-02' });
    h.sim.setFaults('st-02', { down: undefined });
    // The lease of the failed delete was released: deploys reach it again.
    const report = await h.client.deployments.deploy({ resource: PROVIDER, gateway: 'st-02' });
    expect(report.results[0]).toMatchObject({ gateway: 'st-02', ok: true, status: 'DEPLOYED' });
  });

  it('refuses to delete a resource or an environment with live deployments', async () => {
    const resourceError = await rejection(h.client.resources.delete(PROVIDER));
    expect(resourceError).toMatchObject({ code: 'AGW_RESOURCE_HAS_DEPLOYMENTS', exitCode: ExitCode.conflict });
    const environmentError = await rejection(h.client.environments.delete('staging', { force: true }));
    expect(environmentError).toMatchObject({ code: 'AGW_ENVIRONMENT_HAS_DEPLOYMENTS', exitCode: ExitCode.conflict });
    expect(environmentError.message).toContain(`${PROVIDER}@st-02`);
    expect((await h.client.environments.get('staging')).name).toBe('staging');
    expect((await h.client.environments.gateways('staging')).length).toBe(20);
  });

  it('refuses a deploy that names the wrong kind of gateway, or no target', async () => {
    const wrongType = await rejection(h.client.deployments.deploy({ resource: PROVIDER, gateway: 'st-ingress' }));
    expect(wrongType).toMatchObject({ code: 'AGW_VALIDATION' });
    expect(wrongType.message).toContain('EGRESS');
    expect((await rejection(h.client.deployments.deploy({ resource: PROVIDER }))).code).toBe('AGW_VALIDATION');
    expect((await rejection(h.client.deployments.deploy({ resource: 'LlmProvider/nope', environment: 'staging' }))).code).toBe('AGW_NOT_FOUND');
    expect((await rejection(h.client.deployments.deploy({ resource: PROVIDER, environment: 'nowhere' }))).code).toBe('AGW_NOT_FOUND');
    expect((await rejection(h.client.deployments.deploy({ resource: PROVIDER, environment: 'staging', concurrency: 0 }))).code).toBe('AGW_VALIDATION');
  });

  it('a RestApi goes to the INGRESS gateway only', async () => {
    const report = await h.client.deployments.deploy({ resource: 'RestApi/sample-echo-v1', environment: 'staging' });
    expect(report.summary).toMatchObject({ changed: 1, skipped: 19, failed: 0 });
    expect(h.sim.resources('st-ingress').map((r) => r.name)).toEqual(['sample-echo-v1']);
  });

  it('undeploys from the environment; then the resource can be deleted', async () => {
    const report = await h.client.deployments.undeploy({ resource: PROVIDER, environment: 'staging' });
    expect(report.summary.failed).toBe(0);
    expect(report.results.filter((r) => r.action === 'remove').length).toBe(19);
    expect(holders('LlmProvider', 'openai-provider')).toEqual([]);
    const rows = await h.client.deployments.list({ resource: PROVIDER });
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['UNDEPLOYED']));
    const again = await h.client.deployments.undeploy({ resource: PROVIDER, environment: 'staging' });
    expect(again.summary).toMatchObject({ changed: 0, failed: 0 });

    await h.client.resources.delete(PROVIDER);
    expect((await rejection(h.client.resources.get(PROVIDER))).code).toBe('AGW_NOT_FOUND');
    expect(await h.client.deployments.list({ environment: 'staging' })).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ resource: expect.objectContaining({ kind: 'LlmProvider' }) })]),
    );
  });
});
