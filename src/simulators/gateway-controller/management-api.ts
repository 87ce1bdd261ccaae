/**
 * The management API of one simulated gateway, in the answer shapes of its API generation:
 * current (management-openapi.yaml: full resources with a server-managed `status` block) or
 * legacy (legacy-2026-02-openapi.yaml: summaries in lists, `{id, configuration, metadata}`
 * details, `{status, message, id, created_at}` acknowledgements). Errors are the spec's
 * `ErrorResponse` in both.
 */
import { fieldPath, secretFieldErrors, secretReferences, splitSecrets, withoutSecretFields, withSecretValues } from '../../domain/manifest-secrets.js';
import type { CollectionDef } from './collections.js';
import { isUndeployed } from './simulated-gateway.js';
import type { SimulatedGateway, StoredResource } from './simulated-gateway.js';
import { isObject, validateManifest } from './validation.js';

export interface SimResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request body already read and parsed (JSON or YAML), or why it could not be. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; message: string };

type Json = Record<string, unknown>;

export function errorResponse(status: number, message: string, errors?: { field: string; message: string }[]): SimResponse {
  return { status, body: errors === undefined ? { status: 'error', message } : { status: 'error', message, errors } };
}

export function listResources(gw: SimulatedGateway, def: CollectionDef, query: URLSearchParams): SimResponse {
  const items: unknown[] = [];
  for (const [id, stored] of gw.peek(def.kind)) {
    if (!matchesFilters(stored, query, gw.legacy)) continue;
    items.push(gw.legacy ? legacyListItem(def, id, stored) : currentView(def, id, stored));
  }
  const key = gw.legacy ? def.legacyListKey : def.listKey;
  return { status: 200, body: { status: 'success', count: items.length, [key]: items } };
}

export function getResource(gw: SimulatedGateway, def: CollectionDef, id: string): SimResponse {
  const stored = gw.peek(def.kind).get(id);
  if (stored === undefined) return notFound(gw, def, id);
  // "Retrieves and decrypts a secret": the one read that answers a Secret's value.
  if (!gw.legacy) return { status: 200, body: currentView(def, id, stored, def.kind === 'Secret') };
  return { status: 200, body: { status: 'success', [def.legacyDetailKey]: legacyDetail(def, id, stored) } };
}

export function createResource(gw: SimulatedGateway, def: CollectionDef, body: ParsedBody, nowMs: number): SimResponse {
  const checked = checkBody(gw, def, body);
  if ('status' in checked) return checked;
  const { manifest, name } = checked;
  const resources = gw.collection(def.kind);
  if (resources.has(name)) return errorResponse(409, `${labelOf(gw, def)} with handle '${name}' already exists`);
  const stored: StoredResource = { manifest, createdAt: nowMs, updatedAt: nowMs, deployedAt: isUndeployed(manifest) ? null : nowMs };
  resources.set(name, stored);
  if (!gw.legacy) return { status: 201, body: currentView(def, name, stored) };
  return {
    status: 201,
    body: { status: 'success', message: `${def.legacyLabel} created successfully`, id: name, created_at: rfc3339(nowMs) },
  };
}

export function updateResource(gw: SimulatedGateway, def: CollectionDef, id: string, body: ParsedBody, nowMs: number): SimResponse {
  const checked = checkBody(gw, def, body);
  if ('status' in checked) return checked;
  const { manifest, name } = checked;
  if (name !== id) {
    return errorResponse(400, `Handle mismatch: path has '${id}' but metadata.name has '${name}'`);
  }
  const resources = gw.collection(def.kind);
  const previous = resources.get(id);
  if (previous === undefined) return notFound(gw, def, id);
  inheritSecrets(def, manifest, previous.manifest);
  const undeployed = isUndeployed(manifest);
  const stored: StoredResource = {
    manifest,
    createdAt: previous.createdAt,
    updatedAt: nowMs,
    deployedAt: undeployed ? null : nowMs,
  };
  resources.set(id, stored);
  if (!gw.legacy) return { status: 200, body: currentView(def, id, stored) };
  return {
    status: 200,
    body: { status: 'success', message: `${def.legacyLabel} updated successfully`, id, updated_at: rfc3339(nowMs) },
  };
}

export function deleteResource(gw: SimulatedGateway, def: CollectionDef, id: string): SimResponse {
  if (!gw.collection(def.kind).delete(id)) return notFound(gw, def, id);
  return { status: 200, body: { status: 'success', message: `${labelOf(gw, def)} deleted successfully`, id } };
}

function checkBody(gw: SimulatedGateway, def: CollectionDef, body: ParsedBody): SimResponse | { manifest: Json; name: string } {
  if (!body.ok) return errorResponse(400, `Failed to parse configuration: ${body.message}`);
  const issues = validateManifest(body.value, def.kind, gw.legacy);
  if (issues.length === 0) issues.push(...secretFieldIssues(def, (body.value as Json).spec as Json), ...unresolvedSecrets(gw, (body.value as Json).spec));
  if (issues.length > 0) return errorResponse(400, 'Configuration validation failed', issues);
  // validateManifest guarantees an object with metadata.name; status is server-managed and ignored.
  const manifest = { ...(body.value as Json) };
  delete manifest.status;
  return { manifest, name: (manifest.metadata as { name: string }).name };
}

/** The spec types every secret field as a string. */
function secretFieldIssues(def: CollectionDef, spec: Json): Array<{ field: string; message: string }> {
  const markers = splitSecrets(def.kind, spec).kept.filter((k) => k.explicit).map((k) => ({ path: fieldPath(k.path) }));
  return [...secretFieldErrors(def.kind, spec), ...markers].map((issue) => ({ field: issue.path, message: 'must be a string' }));
}

/** Template references (`{{ secret "NAME" }}`) the gateway cannot render: it has no such Secret. */
function unresolvedSecrets(gw: SimulatedGateway, spec: unknown): Array<{ field: string; message: string }> {
  const secrets = gw.peek('Secret');
  return secretReferences(spec, ['spec'])
    .filter((reference) => !secrets.has(reference.name))
    .map((reference) => ({ field: reference.path, message: `secret '${reference.name}' not found` }));
}

function notFound(gw: SimulatedGateway, def: CollectionDef, id: string): SimResponse {
  return errorResponse(404, `${labelOf(gw, def)} with handle '${id}' not found`);
}

function labelOf(gw: SimulatedGateway, def: CollectionDef): string {
  return gw.legacy ? def.legacyLabel : def.label;
}

/** A resource as the current API answers it: secret fields left out (unless `withSecrets`), a status block added. */
function currentView(def: CollectionDef, id: string, stored: StoredResource, withSecrets = false): Json {
  // Templates and Secrets are not deployed as such: their status is id and times only.
  const deployable = def.kind !== 'LlmProviderTemplate' && def.kind !== 'Secret';
  const status: Json = { id };
  if (deployable) status.state = stored.deployedAt === null ? 'undeployed' : 'deployed';
  status.createdAt = rfc3339(stored.createdAt);
  status.updatedAt = rfc3339(stored.updatedAt);
  if (stored.deployedAt !== null && deployable) status.deployedAt = rfc3339(stored.deployedAt);
  const { manifest } = stored;
  const spec = manifest.spec as Json;
  return { ...manifest, spec: withSecrets ? spec : withoutSecretFields(def.kind, spec), status };
}

function legacyDetail(def: CollectionDef, id: string, stored: StoredResource): Json {
  const created = rfc3339(stored.createdAt);
  const updated = rfc3339(stored.updatedAt);
  const deployed = stored.deployedAt === null ? undefined : rfc3339(stored.deployedAt);
  switch (def.kind) {
    case 'LlmProviderTemplate':
      return { id, configuration: stored.manifest, metadata: { created_at: created, updated_at: updated } };
    case 'LlmProvider':
    case 'LlmProxy':
      return {
        id,
        configuration: stored.manifest,
        deployment_status: 'deployed',
        metadata: { created_at: created, updated_at: updated, deployed_at: deployed },
      };
    default:
      return {
        id,
        configuration: stored.manifest,
        metadata: { status: 'deployed', created_at: created, updated_at: updated, deployed_at: deployed },
      };
  }
}

function legacyListItem(def: CollectionDef, id: string, stored: StoredResource): Json {
  const spec = (stored.manifest.spec ?? {}) as Json;
  const times = { created_at: rfc3339(stored.createdAt), updated_at: rfc3339(stored.updatedAt) };
  switch (def.kind) {
    case 'LlmProviderTemplate':
      return { id, displayName: spec.displayName, ...times };
    case 'LlmProvider':
      return { id, displayName: spec.displayName, version: spec.version, template: spec.template, status: 'deployed', ...times };
    case 'LlmProxy':
      return { id, displayName: spec.displayName, version: spec.version, provider: providerId(spec.provider), status: 'deployed', ...times };
    case 'Mcp':
      return {
        id,
        displayName: spec.displayName,
        version: spec.version,
        context: spec.context,
        specVersion: spec.specVersion,
        status: 'deployed',
        ...times,
      };
    default:
      return { id, displayName: spec.displayName, version: spec.version, context: spec.context, status: 'deployed', ...times };
  }
}

function providerId(provider: unknown): unknown {
  return isObject(provider) ? provider.id : provider;
}

/** The list filters both specs define (displayName, version, context, status, vhost); others are ignored. */
function matchesFilters(stored: StoredResource, query: URLSearchParams, legacy: boolean): boolean {
  const spec = (stored.manifest.spec ?? {}) as Json;
  for (const field of ['displayName', 'version', 'context', 'vhost']) {
    const wanted = query.get(field);
    if (wanted !== null && spec[field] !== wanted) return false;
  }
  const status = query.get('status');
  if (status !== null) {
    const state = legacy || stored.deployedAt !== null ? 'deployed' : 'undeployed';
    if (state !== status) return false;
  }
  return true;
}

/** "An update that omits it inherits the stored value; set `type: none` to remove auth." */
function inheritSecrets(def: CollectionDef, next: Json, previous: Json): void {
  const omitted = splitSecrets(def.kind, next.spec as Json).kept.map((k) => k.path.join('.'));
  if (omitted.length === 0) return;
  const stored = splitSecrets(def.kind, previous.spec as Json).fields.filter((field) => omitted.includes(field.path.join('.')));
  next.spec = withSecretValues(next.spec as Json, stored);
}

/** Second-precision UTC timestamps, as the controller (Go's time.RFC3339) writes them. */
export function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
