/**
 * The simulator's secret fields and `/secrets`, as management-openapi.yaml describes them: every
 * field the spec marks writeOnly is accepted and never answered (lists, reads, write answers);
 * an update that omits one keeps it; a Secret's value is answered by GET by id alone; templates
 * naming a Secret the gateway lacks are refused; the 2026-02 API has no /secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_API_VERSION } from '../../../src/adapters/adapter.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';

type Json = Record<string, any>;
const KEY = 'sk-sim-canary-0f9e8d7c6b5a';
const SECRET_VALUE = 'secret-sim-canary-a1b2c3d4';

let sim: GatewaySimulator;
let mgmt: string;

async function call(path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: Json; text: string }> {
  const res = await fetch(`${mgmt}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json), text };
}

const manifest = (kind: string, name: string, spec: Json) => ({ apiVersion: RESOURCE_API_VERSION, kind, metadata: { name }, spec });
const proxy = (extra: Json = {}) =>
  manifest('LlmProxy', 'assistant', {
    displayName: 'Assistant',
    version: 'v1.0',
    provider: { id: 'openai', auth: { type: 'api-key', header: 'Authorization', value: KEY } },
    additionalProviders: [{ id: 'anthropic', auth: { type: 'api-key', value: `${KEY}-2` } }],
    ...extra,
  });
const held = (kind: string, name: string) => sim.resources('gw').find((r) => r.kind === kind && r.name === name)?.manifest as Json | undefined;

beforeAll(async () => {
  sim = await startGatewaySimulator({ gateways: [{ name: 'gw' }, { name: 'old', legacy: true }] });
  mgmt = `${sim.urlOf('gw')}/api/management/v1`;
});
afterAll(() => sim.close());

describe('writeOnly fields', () => {
  it('are accepted, held, and in no answer: create, read, list, update', async () => {
    const created = await call('/llm-proxies', 'POST', proxy());
    expect(created.status).toBe(201);
    expect(held('LlmProxy', 'assistant')?.spec.additionalProviders[0].auth.value).toBe(`${KEY}-2`);
    const answers = [created, await call('/llm-proxies/assistant'), await call('/llm-proxies'), await call('/llm-proxies/assistant', 'PUT', proxy())];
    for (const answer of answers) expect(answer.text).not.toContain(KEY);
    expect(answers[1]!.body.spec.provider.auth).toEqual({ type: 'api-key', header: 'Authorization' });
  });

  it('are kept by an update that omits them, and removed by type: none', async () => {
    const omitted = proxy();
    delete omitted.spec.provider.auth.value;
    delete omitted.spec.additionalProviders[0].auth.value;
    expect((await call('/llm-proxies/assistant', 'PUT', omitted)).status).toBe(200);
    expect(held('LlmProxy', 'assistant')?.spec.provider.auth.value).toBe(KEY);
    expect(held('LlmProxy', 'assistant')?.spec.additionalProviders[0].auth.value).toBe(`${KEY}-2`);
    const none = proxy();
    none.spec.provider.auth = { type: 'none' };
    await call('/llm-proxies/assistant', 'PUT', none);
    expect(held('LlmProxy', 'assistant')?.spec.provider.auth).toEqual({ type: 'none' });
    expect((await call('/llm-proxies/assistant', 'DELETE')).status).toBe(200);
  });

  it('must be strings', async () => {
    const bad = proxy();
    bad.spec.provider.auth.value = { set: true };
    const answer = await call('/llm-proxies', 'POST', bad);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toContainEqual({ field: 'spec.provider.auth.value', message: 'must be a string' });
  });
});

describe('/secrets', () => {
  const secret = (value?: string) => manifest('Secret', 'openai-key', { displayName: 'OpenAI key', description: 'for the provider', ...(value === undefined ? {} : { value }) });

  it('creates, lists and updates without answering the value; GET by id answers it, as the spec says', async () => {
    const created = await call('/secrets', 'POST', secret(SECRET_VALUE));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      ...secret(),
      status: { id: 'openai-key', createdAt: expect.any(String), updatedAt: expect.any(String) },
    });
    expect((await call('/secrets', 'POST', secret(SECRET_VALUE))).status).toBe(409);
    const listed = await call('/secrets');
    expect(listed.body).toMatchObject({ status: 'success', count: 1, secrets: [{ kind: 'Secret', metadata: { name: 'openai-key' }, spec: { displayName: 'OpenAI key' } }] });
    expect(listed.text).not.toContain(SECRET_VALUE);
    expect((await call('/secrets/openai-key')).body.spec.value).toBe(SECRET_VALUE);
    const updated = await call('/secrets/openai-key', 'PUT', secret(`${SECRET_VALUE}-2`));
    expect(updated.status).toBe(200);
    expect(updated.text).not.toContain(SECRET_VALUE);
  });

  it('refuses a Secret without its value, and a template naming a Secret it does not have', async () => {
    const missing = await call('/secrets', 'POST', manifest('Secret', 'empty', { displayName: 'Empty' }));
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: Json) => e.field)).toEqual(['spec.value']);
    const unknown = proxy();
    unknown.spec.provider.auth.value = '{{ secret "nope" }}';
    const refused = await call('/llm-proxies', 'POST', unknown);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'spec.provider.auth.value', message: "secret 'nope' not found" }]);
    const known = proxy();
    known.spec.provider.auth.value = '{{ secret "openai-key" }}';
    expect((await call('/llm-proxies', 'POST', known)).status).toBe(201);
    expect((await call('/llm-proxies/assistant', 'DELETE')).status).toBe(200);
  });

  it('deletes, and then knows it no more', async () => {
    expect((await call('/secrets/openai-key', 'DELETE')).status).toBe(200);
    expect((await call('/secrets/openai-key')).status).toBe(404);
  });

  it('does not exist on a 2026-02 controller', async () => {
    const answer = await fetch(`${sim.urlOf('old')}/secrets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(secret(SECRET_VALUE)) });
    expect(answer.status).toBe(404);
  });
});
