/**
 * Request-body validation of the management API, per kind: the request schemas of
 * management-openapi.yaml, through the very validators agentgw checks manifests with
 * (src/domain/manifest-schema.ts, generated from the spec), so the simulator and the product
 * cannot drift apart. Older controllers (legacy-2026-02-openapi.yaml) differ in three ways,
 * handled here: they also take `v1alpha1`, an LlmProxy's `provider` may be the bare id, and
 * they have no Secrets.
 */
import { RESOURCE_API_VERSION } from '../../adapters/adapter.js';
import type { ResourceKind } from '../../adapters/adapter.js';
import { schemaIssues } from '../../domain/manifest-schema.js';

export interface FieldIssue {
  field: string;
  message: string;
}

/** The 2026-02 spec names `v1alpha1`; newer clients send `v1` to old controllers too. */
const LEGACY_API_VERSION = 'gateway.api-platform.wso2.com/v1alpha1';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one manifest posted to the collection of `kind`; an empty array means it is valid. */
export function validateManifest(body: unknown, kind: ResourceKind, legacy: boolean): FieldIssue[] {
  if (!isObject(body)) return [{ field: '', message: 'Configuration must be an object' }];
  if (legacy && kind === 'Secret') return [{ field: 'kind', message: 'Secrets are not supported by this gateway-controller' }];
  // A map key that breaks a rule (a label key with a space) is reported on the map, as the controller does.
  return schemaIssues(kind, legacy ? asCurrent(body) : body).map(({ path, message, key }) => ({
    field: path,
    message: key === undefined ? message : `key '${key}': ${message}`,
  }));
}

/** A legacy body in the current shape, so the current schema judges the rest of it. */
function asCurrent(body: Json): Json {
  const current = { ...body };
  if (current.apiVersion === LEGACY_API_VERSION) current.apiVersion = RESOURCE_API_VERSION;
  if (isObject(current.spec) && typeof current.spec.provider === 'string') current.spec = { ...current.spec, provider: { id: current.spec.provider } };
  return current;
}
