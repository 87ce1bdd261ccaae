/**
 * Gateway-controller manifests, checked before anything is stored or sent: per kind, against the
 * request schema of management-openapi.yaml (manifest-schema.ts, the same check the simulated
 * controller makes), and agentgw's own rules of a manifest file around it: a known kind, no
 * unknown fields at the top or in metadata, secret fields that are strings.
 *
 * Also here: the canonical digest of a manifest (a changed digest is a new revision) and the
 * comparison of a desired spec with what a gateway returns (which never echoes secret fields:
 * see manifest-secrets.ts).
 *
 * @example
 * const manifest = checkManifest(yamlDocument); // throws ValidationError naming each bad field
 * const digest = manifestDigest(manifest);
 */
import { createHash } from 'node:crypto';
import { RESOURCE_KINDS, type ResourceKind, type ResourceManifest } from './resource-kinds.js';
import { ValidationError, type FieldError } from './errors.js';
import { secretFieldErrors, nonStringSecretPaths, withoutSecretFields } from './manifest-secrets.js';
import { schemaIssues } from './manifest-schema.js';

const TOP_LEVEL = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const METADATA = ['name', 'labels', 'annotations'];
const SECRET_FIELDS = ['displayName', 'description', 'value'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Kind/name` → its parts; a bare name has no kind. Kinds are matched case-insensitively. */
export function parseResourceRef(ref: string): { kind: ResourceKind | null; name: string } {
  const slash = ref.indexOf('/');
  if (slash === -1) return { kind: null, name: ref };
  const kind = resourceKindOf(ref.slice(0, slash));
  if (kind === null) {
    throw ValidationError.field('resource', `unknown kind "${ref.slice(0, slash)}" in "${ref}"; kinds: ${RESOURCE_KINDS.join(', ')}`);
  }
  return { kind, name: ref.slice(slash + 1) };
}

export function resourceKindOf(value: string): ResourceKind | null {
  return RESOURCE_KINDS.find((kind) => kind.toLowerCase() === value.toLowerCase()) ?? null;
}

/**
 * Checks one manifest and returns it normalised (server-managed `status` dropped, metadata
 * reduced to name, labels and annotations). `at` prefixes every error path, for documents of a
 * multi-document apply.
 */
export function checkManifest(document: unknown, at = ''): ResourceManifest {
  const errors = manifestErrors(document, at);
  if (errors.length > 0) {
    const label = describe(document);
    throw new ValidationError(`invalid manifest${label}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors, {
      hint: 'see the gateway-controller examples; nothing was stored',
    });
  }
  const manifest = document as Json;
  const metadata = manifest.metadata as Json;
  return {
    apiVersion: manifest.apiVersion as string,
    kind: manifest.kind as ResourceKind,
    metadata: {
      name: metadata.name as string,
      ...(metadata.labels === undefined ? {} : { labels: metadata.labels as Record<string, string> }),
      ...(metadata.annotations === undefined ? {} : { annotations: metadata.annotations as Record<string, string> }),
    },
    spec: manifest.spec as Json,
  };
}

/** Every problem of one manifest, each naming its field (prefixed with `at`). */
export function manifestErrors(document: unknown, at = ''): FieldError[] {
  const issues: FieldError[] = [];
  const add = (path: string, message: string) => issues.push({ path: `${at}${path}`, message });
  if (!isObject(document)) {
    add('', 'a manifest must be an object with apiVersion, kind, metadata and spec');
    return issues;
  }
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL.includes(key)) add(key, `unknown field; a manifest has ${TOP_LEVEL.slice(0, 4).join(', ')}`);
  }
  const kind = typeof document.kind === 'string' ? resourceKind(document.kind) : null;
  if (document.kind === undefined) add('kind', `is required: one of ${RESOURCE_KINDS.join(', ')}`);
  else if (kind === null) add('kind', `"${String(document.kind)}" is not a resource kind; kinds: ${RESOURCE_KINDS.join(', ')}`);
  if (isObject(document.metadata)) {
    for (const key of Object.keys(document.metadata)) if (!METADATA.includes(key)) add(`metadata.${key}`, 'unknown field; metadata has name, labels and annotations');
  }
  const secrets = new Set(kind !== null && isObject(document.spec) ? nonStringSecretPaths(kind, document.spec) : []);
  // Without a kind there is no spec schema to check against: the envelope is, by any kind's schema.
  for (const issue of schemaIssues(kind ?? 'RestApi', document)) {
    if (kind === null && !isEnvelopePath(issue.path)) continue;
    // An apply may leave a Secret's value out to keep the stored one; the service refuses a Secret that ends up with none.
    if (kind === 'Secret' && issue.path === 'spec.value' && issue.message === 'is required') continue;
    if (secrets.has(issue.path)) continue; // checked by secretFieldErrors below: a string, or {set: true}
    add(issue.key === undefined ? issue.path : `${issue.path}.${issue.key}`, issue.message);
  }
  if (kind !== null && isObject(document.spec)) {
    if (kind === 'Secret') {
      for (const key of Object.keys(document.spec)) if (!SECRET_FIELDS.includes(key)) add(`spec.${key}`, `unknown field; a Secret has ${SECRET_FIELDS.join(', ')}`);
    }
    for (const error of secretFieldErrors(kind, document.spec)) add(error.path, error.message);
  }
  return issues;
}

function resourceKind(value: string): ResourceKind | null {
  return (RESOURCE_KINDS as readonly string[]).includes(value) ? (value as ResourceKind) : null;
}

function isEnvelopePath(path: string): boolean {
  return path === 'apiVersion' || path === 'spec' || path === 'metadata' || path.startsWith('metadata.');
}

function describe(document: unknown): string {
  if (!isObject(document)) return '';
  const name = isObject(document.metadata) && typeof document.metadata.name === 'string' ? document.metadata.name : null;
  const kind = typeof document.kind === 'string' ? document.kind : null;
  return kind !== null && name !== null ? ` ${kind}/${name}` : '';
}

/** JSON with object keys sorted, so equal manifests always serialise the same way. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The digest a revision is known by: apiVersion, labels, annotations and spec (with secret values
 * as `{set: true}`), and `secretsDigest`, a keyed hash of the secret values when there are any.
 * Keyed, because the digest is shown to every reader: a plain hash of a short API key could be
 * reversed by trying keys.
 */
export function manifestDigest(manifest: ResourceManifest, secretsDigest: string | null = null): string {
  const { labels, annotations } = manifest.metadata;
  const canonical = { apiVersion: manifest.apiVersion, labels: labels ?? {}, annotations: annotations ?? {}, spec: manifest.spec };
  return createHash('sha256')
    .update(canonicalJson(secretsDigest === null ? canonical : { ...canonical, secrets: secretsDigest }))
    .digest('hex');
}

/**
 * Whether a gateway's copy of a spec of `kind` is the desired one. Gateways never return secret
 * fields, so those are not compared. `exact` also refuses fields the gateway has and the desired
 * spec lacks; without it, fields a controller fills in with defaults are tolerated.
 */
export function specMatches(kind: ResourceKind, desired: Record<string, unknown>, actual: Record<string, unknown>, exact: boolean): boolean {
  return matches(withoutSecretFields(kind, desired), withoutSecretFields(kind, actual), exact);
}

function matches(desired: unknown, actual: unknown, exact: boolean): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length && desired.every((item, i) => matches(item, actual[i], exact));
  }
  if (isObject(desired)) {
    if (!isObject(actual)) return false;
    for (const [key, value] of Object.entries(desired)) {
      if (value === undefined) continue;
      if (!matches(value, actual[key], exact)) return false;
    }
    if (exact) {
      for (const key of Object.keys(actual)) {
        if (actual[key] !== undefined && desired[key] === undefined) return false;
      }
    }
    return true;
  }
  return desired === actual;
}
