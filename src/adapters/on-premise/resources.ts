/**
 * The resources a gateway-controller holds, through its management API: deploy (create, or
 * replace on a conflict), undeploy, read and list, in whichever API layout the controller serves.
 * What comes back is always a current-shape manifest without its secret values.
 *
 * @example
 * const resources = new ControllerResources(client, layouts);
 * await resources.deploy(target, manifest); // { kind: 'LlmProvider', name: 'openai', action: 'created' }
 */
import { GatewayError } from '../../domain/errors.js';
import { splitSecrets, withoutSecretFields } from '../../domain/manifest-secrets.js';
import type { CallOptions, DeployedResource, DeploymentResult, GatewayTarget, ResourceKind, ResourceManifest } from '../adapter.js';
import { RESOURCE_API_VERSION } from '../adapter.js';
import type { ApiLayouts } from './api-layout.js';
import { COLLECTIONS, collectionPath, hasCollection, LEGACY_API_BASE_PATH, listKey } from './collections.js';
import { parseJson, timeout, unexpectedAnswer, type ControllerClient } from './controller-client.js';
import { fromLegacyManifest, toLegacyManifest } from './legacy-shape.js';
import { readSettings } from './settings.js';

export class ControllerResources {
  constructor(
    private readonly client: ControllerClient,
    private readonly layouts: ApiLayouts,
  ) {}

  async deploy(target: GatewayTarget, manifest: ResourceManifest, options: CallOptions = {}): Promise<DeploymentResult> {
    const apiBasePath = await this.layouts.of(target, options);
    const base = collectionUrl(target, manifest.kind, apiBasePath);
    const name = manifest.metadata.name;
    const body = apiBasePath === LEGACY_API_BASE_PATH ? toLegacyManifest(manifest) : manifest;
    // What the manifest carries for the gateway alone must not come back in an error it echoes.
    const secrets = splitSecrets(manifest.kind, manifest.spec).fields.map((field) => field.value);
    const created = await this.client.request(target, { method: 'POST', url: base, json: body, retry: false, ...timeout(options) });
    if (created.status === 201 || created.status === 200) return { kind: manifest.kind, name, action: 'created' };
    if (created.status !== 409) throw unexpectedAnswer(target, `deploy ${manifest.kind} "${name}"`, created, secrets);
    const replaced = await this.client.request(target, { method: 'PUT', url: `${base}/${encodeURIComponent(name)}`, json: body, retry: true, ...timeout(options) });
    if (replaced.status === 200 || replaced.status === 201) return { kind: manifest.kind, name, action: 'updated' };
    // The conflict was not with a resource of this name (controllers also refuse a second
    // display name + version): the 409 is the answer that explains it.
    if (replaced.status === 404) throw unexpectedAnswer(target, `deploy ${manifest.kind} "${name}"`, created, secrets);
    throw unexpectedAnswer(target, `update ${manifest.kind} "${name}"`, replaced, secrets);
  }

  async undeploy(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<void> {
    const apiBasePath = await this.layouts.of(target, options);
    // A controller without the collection cannot hold the resource: it is already off.
    if (!hasCollection(kind, apiBasePath)) return;
    const url = `${collectionUrl(target, kind, apiBasePath)}/${encodeURIComponent(name)}`;
    const response = await this.client.request(target, { method: 'DELETE', url, retry: true, ...timeout(options) });
    if (response.status === 200 || response.status === 204 || response.status === 404) return;
    throw unexpectedAnswer(target, `undeploy ${kind} "${name}"`, response);
  }

  async get(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<ResourceManifest | null> {
    const apiBasePath = await this.layouts.of(target, options);
    if (!hasCollection(kind, apiBasePath)) return null;
    const url = `${collectionUrl(target, kind, apiBasePath)}/${encodeURIComponent(name)}`;
    const response = await this.client.request(target, { method: 'GET', url, retry: true, ...timeout(options) });
    if (response.status === 404) return null;
    if (response.status !== 200) throw unexpectedAnswer(target, `read ${kind} "${name}"`, response);
    const body = parseJson(response.body);
    if (apiBasePath !== LEGACY_API_BASE_PATH) return readManifest(target, body, kind, `read ${kind} "${name}"`);
    // Legacy controllers wrap the resource: {status, provider: {id, configuration, metadata}}.
    const wrapped = (body as Record<string, { configuration?: unknown } | undefined> | undefined)?.[COLLECTIONS[kind].legacyDetailKey];
    return fromLegacyManifest(readManifest(target, wrapped?.configuration, kind, `read ${kind} "${name}"`));
  }

  async list(target: GatewayTarget, kind: ResourceKind, options: CallOptions = {}): Promise<DeployedResource[]> {
    const apiBasePath = await this.layouts.of(target, options);
    if (!hasCollection(kind, apiBasePath)) return [];
    const response = await this.client.request(target, { method: 'GET', url: collectionUrl(target, kind, apiBasePath), retry: true, ...timeout(options) });
    if (response.status !== 200) throw unexpectedAnswer(target, `list ${kind} resources`, response);
    const body = parseJson(response.body) as Record<string, unknown> | undefined;
    const key = listKey(kind, apiBasePath);
    const items = body?.[key];
    if (!Array.isArray(items)) throw new GatewayError('AGW_GATEWAY_BAD_RESPONSE', `${target.name}: list ${kind} returned no "${key}" array`);
    return items.flatMap((item): DeployedResource[] => {
      // Legacy controllers list summaries: the id, without the spec.
      if (apiBasePath === LEGACY_API_BASE_PATH) {
        const id = (item as { id?: unknown } | null)?.id;
        return typeof id === 'string' ? [{ kind, name: id, manifest: null }] : [];
      }
      const manifest = toManifest(item, kind);
      return manifest === null ? [] : [{ kind, name: manifest.metadata.name, manifest }];
    });
  }
}

function collectionUrl(target: GatewayTarget, kind: ResourceKind, apiBasePath: string): string {
  return `${readSettings(target).controlPlaneUrl}${collectionPath(kind, apiBasePath)}`;
}

/** A manifest from a controller's answer, or AGW_GATEWAY_BAD_RESPONSE when it holds none. */
function readManifest(target: GatewayTarget, item: unknown, kind: ResourceKind, action: string): ResourceManifest {
  const manifest = toManifest(item, kind);
  if (manifest === null) throw new GatewayError('AGW_GATEWAY_BAD_RESPONSE', `${target.name}: ${action} returned no ${kind} resource`);
  return manifest;
}

function toManifest(item: unknown, kind: ResourceKind): ResourceManifest | null {
  if (item === null || typeof item !== 'object') return null;
  const record = item as Record<string, unknown>;
  const metadata = record.metadata as { name?: unknown; labels?: unknown; annotations?: unknown } | undefined;
  if (typeof metadata?.name !== 'string') return null;
  // Labels and annotations are part of what was applied: dropping them would show drift that is not there.
  const kept: ResourceManifest['metadata'] = { name: metadata.name };
  if (isStringMap(metadata.labels)) kept.labels = metadata.labels;
  if (isStringMap(metadata.annotations)) kept.annotations = metadata.annotations;
  // A Secret's value comes back on a read by id: it goes no further than this adapter.
  const spec = (record.spec as Record<string, unknown> | undefined) ?? {};
  return {
    apiVersion: typeof record.apiVersion === 'string' ? record.apiVersion : RESOURCE_API_VERSION,
    kind,
    metadata: kept,
    spec: withoutSecretFields(kind, spec),
  };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}
