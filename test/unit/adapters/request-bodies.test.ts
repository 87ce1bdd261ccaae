/**
 * Every request body the on-premise adapter sends, validated against the request schema of its
 * operation in the gateway-controller's OpenAPI files (management-openapi.yaml for current
 * controllers, legacy-2026-02-openapi.yaml for older ones). A recording proxy sits between the
 * adapter and the simulator, so what is checked is what went over the wire, not what the adapter
 * meant to send.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { GatewayTarget } from '../../../src/adapters/adapter.js';
import { startGatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';
import type { GatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';
import { createAdapter, loadExamples, recordingLogger, SPECS_DIR, target } from './support.js';

type Json = Record<string, any>;

interface Recorded {
  method: string;
  /** Path relative to the gateway's controlPlaneUrl, query string dropped. */
  path: string;
  contentType: string | undefined;
  body: string;
}

const AUTH = { username: 'admin', password: 'body-test-password' };
const MODES = [
  { mode: 'current', gateway: 'current-gw', legacy: false, spec: 'management-openapi.yaml', basePath: '/api/management/v1' },
  { mode: 'legacy', gateway: 'legacy-gw', legacy: true, spec: 'legacy-2026-02-openapi.yaml', basePath: '' },
] as const;

/**
 * The one place where the spec is stricter than the gateway-controller it documents, and the
 * adapter sides with the controller: `spec.version` of a RestApi. The schema pattern is
 * `^v\d+\.\d+$`, but the controller validates `^v?\d+(\.\d+)?(\.\d+)?$` and the shipped example
 * sample-echo-api.yaml uses `version: v1`. The adapter sends a version as written (rewriting it
 * would change the API's identity and the `$version` in its context), so the bodies are checked
 * against the spec with that one pattern replaced by the controller's; the test below pins the
 * spec's pattern and shows that it is the only difference.
 */
const SPEC_VERSION_PATTERN = '^v\\d+\\.\\d+$';
const CONTROLLER_VERSION_PATTERN = '^v?\\d+(\\.\\d+)?(\\.\\d+)?$';

function loadSpec(file: string): Json {
  return parseYaml(readFileSync(join(SPECS_DIR, file), 'utf8')) as Json;
}

function withControllerVersionRule(spec: Json): Json {
  const copy = structuredClone(spec);
  copy.components.schemas.APIConfigData.properties.version.pattern = CONTROLLER_VERSION_PATTERN;
  return copy;
}

/**
 * A validator for one spec file: `$ref`s resolve inside it. OpenAPI 3.0 annotations (`example`,
 * `x-…`) are not JSON Schema keywords, hence `strict: false`; the formats request bodies use are
 * checked as the controller (Go) would.
 */
function validatorFor(spec: Json): (ref: string) => ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)));
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('password', true);
  ajv.addSchema({ ...spec, $id: 'spec' });
  return (ref) => {
    const validate = ajv.getSchema(`spec${ref}`);
    if (validate === undefined) throw new Error(`no schema at ${ref}`);
    return validate;
  };
}

/** The request schema `$ref` of the operation `method` on `path`, matching path templates (`/apis/{id}`). */
function requestSchemaRef(spec: Json, method: string, path: string, contentType: string): string {
  for (const [template, operations] of Object.entries(spec.paths as Record<string, Json>)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (!pattern.test(path)) continue;
    const operation = operations[method.toLowerCase()] as Json | undefined;
    const schema = operation?.requestBody?.content?.[contentType]?.schema as Json | undefined;
    if (schema?.$ref === undefined) throw new Error(`${method} ${path}: the spec has no ${contentType} request body`);
    return schema.$ref as string;
  }
  throw new Error(`${method} ${path}: no such path in the spec`);
}

/** Forwards everything to `upstream` and records each request as it went over the wire. */
async function recordingProxy(upstream: string): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({ method: req.method ?? 'GET', path, contentType: req.headers['content-type'], body });
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'accept']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      fetch(`${upstream}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body === '' ? {} : { body }) })
        .then(async (answer) => {
          const text = await answer.text();
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const examples = loadExamples();
let sim: GatewaySimulator;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
const adapter = createAdapter(recordingLogger());

beforeAll(async () => {
  sim = await startGatewaySimulator({ gateways: MODES.map((m) => ({ name: m.gateway, legacy: m.legacy, auth: AUTH })) });
  proxy = await recordingProxy(sim.baseUrl);
});

afterAll(async () => {
  await adapter.close();
  await proxy?.close();
  await sim?.close();
});

it('the examples are all there: every kind, nine manifests', () => {
  expect(examples.map((e) => e.file)).toHaveLength(9);
  expect(new Set(examples.map((e) => e.manifest.kind))).toEqual(new Set(['LlmProvider', 'LlmProxy', 'Mcp', 'RestApi', 'LlmProviderTemplate']));
});

describe.each(MODES)('bodies sent to a $mode controller', ({ gateway, legacy, spec: specFile, basePath }) => {
  const spec = loadSpec(specFile);
  const schemaAt = validatorFor(withControllerVersionRule(spec));
  const gatewayPrefix = `/gateways/${gateway}`;
  let gw: GatewayTarget;
  let sent: Recorded[];

  beforeAll(async () => {
    const first = proxy.requests.length;
    const controlPlaneUrl = `${proxy.url}${gatewayPrefix}`;
    // The proxy stands in for the management port only: a current controller's admin API is named.
    const admin = legacy ? {} : { adminUrl: sim.adminUrlOf(gateway) };
    const registered = await adapter.registerGateway({ ...target(gateway, controlPlaneUrl, admin, AUTH), uuid: undefined });
    expect(registered.adapterConfig.apiBasePath).toBe(basePath);
    gw = target(gateway, controlPlaneUrl, registered.adapterConfig, AUTH);
    // Each example created, then deployed again (409, then PUT), then read, listed and removed:
    // every operation of the adapter that talks to the management API.
    for (const { manifest } of examples) {
      await adapter.deployResource(gw, manifest);
      await adapter.deployResource(gw, manifest);
      await adapter.getResource(gw, manifest.kind, manifest.metadata.name);
      await adapter.listResources(gw, manifest.kind);
    }
    for (const { manifest } of examples) await adapter.undeployResource(gw, manifest.kind, manifest.metadata.name);
    sent = proxy.requests.slice(first).map((r) => ({ ...r, path: r.path.slice(gatewayPrefix.length) }));
  });

  it('every POST and PUT carries a JSON body; nothing else carries one', () => {
    const withBody = sent.filter((r) => r.method === 'POST' || r.method === 'PUT');
    // Two examples share the name openai-provider, so the first deploy of the second is already an update.
    expect(withBody).toHaveLength(examples.length * 3 + 1);
    for (const request of withBody) {
      expect(request.contentType).toMatch(/^application\/json\b/);
      expect(request.body).not.toBe('');
    }
    for (const request of sent.filter((r) => r.method !== 'POST' && r.method !== 'PUT')) expect(request.body).toBe('');
  });

  it('every body is valid against the request schema of its operation', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const request of sent.filter((r) => r.body !== '')) {
      expect(request.path.startsWith(basePath)).toBe(true);
      const ref = requestSchemaRef(spec, request.method, request.path.slice(basePath.length), 'application/json');
      const validate = schemaAt(ref);
      const body = JSON.parse(request.body) as Json;
      const name = String(body.metadata?.name);
      checked += 1;
      if (!validate(body)) {
        const detail = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
        problems.push(`${request.method} ${request.path} (${name}) against ${ref}: ${detail}`);
      }
    }
    expect(checked).toBe(examples.length * 3 + 1);
    expect(problems).toEqual([]);
  });

  it('the validator has teeth: an example as written, a body without a required field, a wrong kind', () => {
    const rest = examples.find((e) => e.manifest.kind === 'RestApi')!.manifest;
    const validate = schemaAt(requestSchemaRef(spec, 'POST', basePath === '' ? '/apis' : '/rest-apis', 'application/json'));
    expect(validate({ ...rest, spec: { ...rest.spec, operations: undefined } })).toBe(false);
    expect(validate({ ...rest, kind: 'LlmProvider' })).toBe(false);
    // The legacy API enumerates only v1alpha1: the adapter's translation is what makes its bodies valid.
    expect(validate(rest)).toBe(basePath !== '');
  });
});

describe('the deliberate difference from the spec', () => {
  it('is exactly the RestApi version pattern, and only sample-echo-api.yaml needs it', () => {
    for (const { spec: file } of MODES) {
      const spec = loadSpec(file);
      expect(spec.components.schemas.APIConfigData.properties.version.pattern).toBe(SPEC_VERSION_PATTERN);
    }
    const management = loadSpec('management-openapi.yaml');
    const strict = validatorFor(management);
    const failing = examples.filter(({ manifest }) => {
      const ref = requestSchemaRef(management, 'POST', `/${{ RestApi: 'rest-apis', LlmProvider: 'llm-providers', LlmProxy: 'llm-proxies', Mcp: 'mcp-proxies', LlmProviderTemplate: 'llm-provider-templates', Secret: 'secrets' }[manifest.kind]}`, 'application/json');
      const validate = strict(ref);
      if (validate(manifest)) return false;
      expect(validate.errors?.map((e) => [e.instancePath, e.keyword])).toEqual([['/spec/version', 'pattern']]);
      return true;
    });
    expect(failing.map((e) => e.file)).toEqual(['sample-echo-api.yaml']);
  });
});
