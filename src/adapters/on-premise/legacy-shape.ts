/**
 * The two places where the 2026-02 API (`legacy-2026-02-openapi.yaml`) takes a resource in another
 * shape than the current one, translated both ways so that the rest of agentgw only ever sees
 * current-shape manifests (drift compares them with what was applied):
 *
 * - `apiVersion` is `gateway.api-platform.wso2.com/v1alpha1` (the legacy schemas enumerate only it);
 * - an LlmProxy names its provider by id (`spec.provider: "openai"`), not as `{id, auth}`;
 * - reads return the upstream credential, which current controllers never return (any field the
 *   current spec marks writeOnly is left out).
 *
 * @example
 * const body = toLegacyManifest(manifest); // POST it to a 2026-02 controller
 * const manifest = fromLegacyManifest(body); // what its GET by id answers, back in the current shape
 */
import { ValidationError } from '../../domain/errors.js';
import { withoutSecretFields } from '../../domain/manifest-secrets.js';
import type { ResourceManifest } from '../adapter.js';
import { RESOURCE_API_VERSION } from '../adapter.js';

export const LEGACY_RESOURCE_API_VERSION = 'gateway.api-platform.wso2.com/v1alpha1';

/** The body a 2026-02 controller accepts for `manifest`; throws ValidationError for what it cannot express. */
export function toLegacyManifest(manifest: ResourceManifest): ResourceManifest {
  const body: ResourceManifest = { ...manifest, apiVersion: LEGACY_RESOURCE_API_VERSION };
  if (manifest.kind !== 'LlmProxy') return body;
  const provider = manifest.spec.provider;
  if (provider === null || typeof provider !== 'object' || Array.isArray(provider)) return body;
  const { id, ...rest } = provider as Record<string, unknown>;
  // Dropping `auth` would deploy a proxy that calls its provider without credentials.
  const unsupported = Object.keys(rest);
  if (unsupported.length > 0) {
    throw ValidationError.field(
      `spec.provider.${unsupported[0]}`,
      'is not supported by this gateway-controller: its API (2026-02) takes spec.provider as a provider id only',
      'remove it from the manifest, or upgrade the gateway-controller',
    );
  }
  return { ...body, spec: { ...manifest.spec, provider: id } };
}

/**
 * A manifest read from a 2026-02 controller, in the current shape. The upstream credential is
 * left out, as current controllers do (it is write-only there): an API key read back would
 * otherwise travel into agentgw's view of the gateway, and the two API generations would differ.
 */
export function fromLegacyManifest(manifest: ResourceManifest): ResourceManifest {
  const spec = { ...manifest.spec };
  if (manifest.kind === 'LlmProxy' && typeof spec.provider === 'string') spec.provider = { id: spec.provider };
  return {
    ...manifest,
    apiVersion: manifest.apiVersion === LEGACY_RESOURCE_API_VERSION ? RESOURCE_API_VERSION : manifest.apiVersion,
    spec: withoutSecretFields(manifest.kind, spec),
  };
}
