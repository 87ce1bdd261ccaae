/**
 * Provider API keys and Secrets through the Client interface on every backend (local SQLite,
 * local PostgreSQL, a real daemon), against simulated gateway-controllers: sealed at rest, read
 * back as {set: true}, kept when an apply leaves them out, sent to the gateway on deploy and
 * nowhere else, compared by keyed digest for drift; Secrets deployed to /secrets and the
 * manifests that name them sent only where they resolve.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/domain/errors.js';
import type { DriftReport } from '../../src/domain/resources.js';
import { createHarness, type BackendMode, type Harness } from '../support/harness.js';
import { rejection } from '../support/rejection.js';

const MODES: BackendMode[] = ['local-sqlite', 'local-pg', 'remote'];

const provider = (value: unknown, name = 'openai-provider') => ({
  apiVersion: 'gateway.api-platform.wso2.com/v1',
  kind: 'LlmProvider',
  metadata: { name },
  spec: {
    displayName: 'OpenAI',
    version: 'v1.0',
    template: 'openai',
    upstream: { url: 'https://api.openai.com/v1', auth: { type: 'api-key', header: 'Authorization', ...(value === undefined ? {} : { value }) } },
    accessControl: { mode: 'allow_all' },
  },
});
const secret = (value: string | undefined, name = 'openai-key') => ({
  apiVersion: 'gateway.api-platform.wso2.com/v1',
  kind: 'Secret',
  metadata: { name },
  spec: { displayName: 'OpenAI key', ...(value === undefined ? {} : { value }) },
});
const template = {
  apiVersion: 'gateway.api-platform.wso2.com/v1',
  kind: 'LlmProviderTemplate',
  metadata: { name: 'openai' },
  spec: { displayName: 'OpenAI' },
};

describe.each(MODES)('provider keys and Secrets: %s', (mode) => {
  let h: Harness;
  const keys = Array.from({ length: 4 }, (_, i) => `sk-canary-${i}-${randomBytes(10).toString('hex')}`);
  /** Everything agentgw stored about resources, as text. */
  const stored = async () => {
    const db = h.runtime.store.db;
    const [resources, revisions, deployments] = await Promise.all([
      db.selectFrom('resources').selectAll().execute(),
      db.selectFrom('resource_revisions').selectAll().execute(),
      db.selectFrom('deployments').selectAll().execute(),
    ]);
    return JSON.stringify({ resources, revisions, deployments });
  };
  const held = (gateway: string, kind: string, name: string) => h.sim.resources(gateway).find((r) => r.kind === kind && r.name === name)?.manifest;
  const heldKey = (gateway: string, name = 'openai-provider') =>
    (held(gateway, 'LlmProvider', name)?.spec.upstream as { auth?: { value?: unknown } } | undefined)?.auth?.value;
  const drift = async (): Promise<DriftReport['items']> => (await h.client.deployments.drift('keys')).items;

  beforeAll(async () => {
    h = await createHarness(mode);
    await h.client.environments.create({ name: 'keys' });
    for (const name of ['keys-1', 'keys-2']) {
      h.sim.addGateway({ name });
      await h.client.gateways.register({ name, gatewayType: 'EGRESS', environmentIds: ['keys'], adapterConfig: { controlPlaneUrl: h.sim.urlOf(name) } });
    }
    h.sim.addGateway({ name: 'keys-legacy', legacy: true });
    await h.client.gateways.register({ name: 'keys-legacy', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: h.sim.urlOf('keys-legacy') } });
    await h.client.resources.apply(template);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('stores a provider key sealed and reads it back as {set: true}, in every read', async () => {
    const [applied] = await h.client.resources.apply(provider(keys[0]));
    expect(applied?.action).toBe('created');
    const auth = (spec: Record<string, unknown>) => (spec.upstream as { auth: unknown }).auth;
    expect(auth(applied!.spec)).toEqual({ type: 'api-key', header: 'Authorization', value: { set: true } });
    expect(auth((await h.client.resources.get('LlmProvider/openai-provider')).spec)).toEqual({ type: 'api-key', header: 'Authorization', value: { set: true } });
    const listed = await h.client.resources.list({ kind: 'LlmProvider' });
    expect(JSON.stringify(listed)).not.toContain(keys[0]);
    const text = await stored();
    expect(text).not.toContain(keys[0]);
    expect(text).toContain('"secrets":"v1.');
  });

  it('keeps the stored key when an apply leaves it out or sends it back as read, and makes a revision when it changes', async () => {
    expect((await h.client.resources.apply(provider(keys[0])))[0]?.action).toBe('unchanged');
    expect((await h.client.resources.apply(provider({ set: true })))[0]?.action).toBe('unchanged');
    expect((await h.client.resources.apply(provider(undefined)))[0]?.action).toBe('unchanged');
    const [changed] = await h.client.resources.apply(provider(keys[1]));
    expect([changed?.action, changed?.revision]).toEqual(['updated', 2]);
    expect(await stored()).not.toContain(keys[1]);
  });

  it('refuses {set: true} where nothing is stored, naming the field, and stores nothing', async () => {
    const before = await stored();
    const error = await rejection(h.client.resources.apply(provider({ set: true }, 'no-key-yet')));
    expect(error.code).toBe('AGW_VALIDATION');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.errors?.map((e) => e.path)).toEqual(['spec.upstream.auth.value']);
    expect(await stored()).toBe(before);
  });

  it('sends the key to the gateway on deploy, which never returns it; drift compares without it', async () => {
    const report = await h.client.deployments.deploy({ resource: 'LlmProvider/openai-provider', environment: 'keys' });
    expect(report.summary).toMatchObject({ failed: 0, changed: 2 });
    expect([heldKey('keys-1'), heldKey('keys-2')]).toEqual([keys[1], keys[1]]);
    const read = await fetch(`${h.sim.urlOf('keys-1')}/api/management/v1/llm-providers/openai-provider`);
    expect(await read.text()).not.toContain(keys[1]);
    expect(await drift()).toEqual([]);
    expect(await stored()).not.toContain(keys[1]);
  });

  it('reports a changed key that was not deployed yet as outdated, by the revision the gateway was given', async () => {
    await h.client.resources.apply(provider(keys[2]));
    expect((await drift()).map((item) => [item.gateway, item.drift, item.actualRevision, item.expectedRevision])).toEqual([
      ['keys-1', 'outdated', 2, 3],
      ['keys-2', 'outdated', 2, 3],
    ]);
    await h.client.deployments.deploy({ resource: 'LlmProvider/openai-provider', environment: 'keys' });
    expect([heldKey('keys-1'), heldKey('keys-2')]).toEqual([keys[2], keys[2]]);
    expect(await drift()).toEqual([]);
  });

  it('refuses a manifest naming a Secret agentgw does not have', async () => {
    const error = await rejection(h.client.resources.apply(provider('{{ secret "missing-key" }}', 'by-reference')));
    expect(error.code).toBe('AGW_VALIDATION');
    expect(error.errors).toEqual([{ path: 'spec.upstream.auth.value', message: expect.stringContaining('Secret "missing-key"') }]);
  });

  it('deploys a Secret to /secrets, and a manifest naming it only where it is deployed', async () => {
    const applied = await h.client.resources.apply([secret(keys[3]), provider('{{ secret "openai-key" }}', 'by-reference')]);
    expect(applied.map((r) => [`${r.kind}/${r.name}`, r.action])).toEqual([
      ['Secret/openai-key', 'created'],
      ['LlmProvider/by-reference', 'created'],
    ]);
    expect(applied[0]?.spec).toEqual({ displayName: 'OpenAI key', value: { set: true } });
    // The reference is not a secret: it reads back as written.
    expect(((applied[1]?.spec.upstream as { auth: { value: unknown } }).auth.value)).toBe('{{ secret "openai-key" }}');

    const early = await h.client.deployments.deploy({ resource: 'LlmProvider/by-reference', gateway: 'keys-1' });
    expect(early.results[0]).toMatchObject({ ok: false, error: expect.stringMatching(/Secret\/openai-key, which is not deployed to gateway "keys-1"/) });
    expect(held('keys-1', 'LlmProvider', 'by-reference')).toBeUndefined();

    const secrets = await h.client.deployments.deploy({ resource: 'Secret/openai-key', environment: 'keys' });
    expect(secrets.summary).toMatchObject({ failed: 0, changed: 2 });
    expect(held('keys-1', 'Secret', 'openai-key')?.spec).toEqual({ displayName: 'OpenAI key', value: keys[3] });
    const listed = await fetch(`${h.sim.urlOf('keys-1')}/api/management/v1/secrets`);
    expect(await listed.text()).not.toContain(keys[3]);

    const late = await h.client.deployments.deploy({ resource: 'LlmProvider/by-reference', environment: 'keys' });
    expect(late.summary).toMatchObject({ failed: 0, changed: 2 });
    expect(heldKey('keys-2', 'by-reference')).toBe('{{ secret "openai-key" }}');
    expect(await drift()).toEqual([]);
    expect(await stored()).not.toContain(keys[3]);
  });

  it('keeps a Secret value when re-applied without it, and refuses a new Secret without one', async () => {
    expect((await h.client.resources.apply(secret(undefined)))[0]?.action).toBe('unchanged');
    const error = await rejection(h.client.resources.apply(secret(undefined, 'empty-secret')));
    expect(error.errors?.map((e) => e.path)).toEqual(['spec.value']);
  });

  it('says so when a gateway-controller is too old to hold Secrets', async () => {
    const report = await h.client.deployments.deploy({ resource: 'Secret/openai-key', gateway: 'keys-legacy' });
    expect(report.results[0]).toMatchObject({ ok: false, error: expect.stringMatching(/2026-02\) has no \/secrets collection/) });
  });
});
