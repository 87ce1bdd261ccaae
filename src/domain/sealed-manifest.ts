/**
 * A manifest as it is stored: its spec with `{set: true}` where secret values are, the values
 * sealed apart, and a digest that changes when they change without revealing them.
 *
 * @example
 * const sealed = sealManifest(manifest, openSecretFields(current.secrets, box), box);
 * // sealed.manifest.spec.upstream.auth.value → {set: true}; sealed.secrets → 'v1.…'
 */
import type { ResourceManifest } from './resource-kinds.js';
import { fieldPath, keepStoredSecrets, splitSecrets, type SecretField } from './manifest-secrets.js';
import { manifestDigest } from './manifests.js';

/** What sealing needs of the secret box (src/secrets/secret-box.ts). */
export interface Sealer {
  seal(value: unknown): string;
  open<T = unknown>(envelope: string): T;
  digest(text: string): string;
}

export interface SealedManifest {
  /** The manifest without secret values. */
  manifest: ResourceManifest;
  digest: string;
  /** The sealed secret values, or null when there are none. */
  secrets: string | null;
  /** Fields sent as `{set: true}` with no stored value to keep. */
  missing: string[];
  /** The secret values, for the caller's checks; never stored as they are. */
  fields: SecretField[];
}

/**
 * Seals the secret values of `manifest`. `stored` are the values of the revision it replaces:
 * a field sent as `{set: true}` or left out keeps its stored value. The box is asked for only
 * when there is a secret.
 */
export function sealManifest(manifest: ResourceManifest, stored: readonly SecretField[], box: () => Sealer): SealedManifest {
  const split = splitSecrets(manifest.kind, manifest.spec);
  const kept = keepStoredSecrets(split.spec, split.kept, stored);
  const fields = [...split.fields, ...kept.fields].sort((a, b) => fieldPath(a.path).localeCompare(fieldPath(b.path)));
  const publicManifest = { ...manifest, spec: kept.spec };
  if (fields.length === 0) return { manifest: publicManifest, digest: manifestDigest(publicManifest), secrets: null, missing: kept.missing, fields };
  const sealer = box();
  const digestText = JSON.stringify(fields.map((field) => [fieldPath(field.path), field.value]));
  return {
    manifest: publicManifest,
    digest: manifestDigest(publicManifest, sealer.digest(digestText)),
    secrets: sealer.seal(fields),
    missing: kept.missing,
    fields,
  };
}

export function openSecretFields(sealed: string | null, box: () => Sealer): SecretField[] {
  return sealed === null ? [] : box().open<SecretField[]>(sealed);
}
