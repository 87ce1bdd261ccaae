/**
 * The secret fields of manifests (a provider's API key, a Secret's value): the paths the
 * gateway-controller's spec marks writeOnly or `format: password`, generated from it into
 * `secret-paths.generated.ts`. agentgw keeps their values out of everything it stores in the clear,
 * returns and compares:
 *
 * - {@link splitSecrets} takes them out of a spec, leaving `{set: true}` where a value is, as reads
 *   of gateway passwords show; the values are sealed on their own.
 * - {@link withSecretValues} puts them back, for the one request that needs them: the gateway's.
 * - {@link withoutSecretFields} drops them from a spec, as a controller's read answers do, so what
 *   a gateway returns and what was applied compare equal whatever the values are.
 *
 * A field whose whole value is a secret reference (`{{ secret "openai-key" }}`, resolved by the
 * controller from its `/secrets`) names a secret without being one: it stays in the spec as
 * written.
 *
 * @example
 * const { spec, fields } = splitSecrets('LlmProvider', manifest.spec);
 * // spec.upstream.auth.value is {set: true}; fields is [{path: ['spec','upstream','auth','value'], value: 'sk-…'}]
 */
import type { ResourceKind } from './resource-kinds.js';
import { SECRET_PATHS } from './secret-paths.generated.js';

type Json = Record<string, unknown>;
type Path = ReadonlyArray<string | number>;

/** One secret field of a manifest: where it is (indexes as numbers) and its value. */
export interface SecretField {
  path: Array<string | number>;
  value: string;
}

/** What reads show in place of a secret value, and what a write may send to keep the stored one. */
const SECRET_SET: Readonly<{ set: true }> = Object.freeze({ set: true });

/** A whole-value reference to a controller Secret, in the template syntax the controller renders. */
const REFERENCE = /^\s*\{\{\s*secret\s+\\?"([^"\\]+)\\?"\s*\}\}\s*$/;
/** Every reference inside a string (the controller renders templates in any string field). */
const REFERENCES = /\{\{\s*secret\s+\\?"([^"\\]+)\\?"\s*\}\}/g;

const PATTERNS = new Map<string, string[][]>(Object.entries(SECRET_PATHS).map(([kind, paths]) => [kind, paths.map((p) => p.split('.'))]));

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSecretMarker(value: unknown): boolean {
  return isObject(value) && value.set === true && Object.keys(value).length === 1;
}

/** The dotted path of a field, as error messages name it (`spec.additionalProviders[1].auth.value`). */
export function fieldPath(path: Path): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? key : `${text}.${key}`), '');
}

/**
 * Every place in `manifest` (an object with `spec`) where a secret field of `kind` may be: the
 * object that holds it and its key, whether the key is there or not.
 */
function slots(kind: ResourceKind, manifest: Json): Array<{ parent: Json; key: string; path: Array<string | number> }> {
  const found: Array<{ parent: Json; key: string; path: Array<string | number> }> = [];
  const walk = (node: unknown, pattern: readonly string[], path: Array<string | number>) => {
    const [head, ...rest] = pattern;
    if (head === undefined) return;
    if (rest.length === 0) {
      if (isObject(node)) found.push({ parent: node, key: head, path: [...path, head] });
      return;
    }
    if (head === '*') {
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, rest, [...path, i]));
      else if (isObject(node)) for (const [key, value] of Object.entries(node)) walk(value, rest, [...path, key]);
      return;
    }
    if (isObject(node)) walk(node[head], rest, [...path, head]);
  };
  for (const pattern of PATTERNS.get(kind) ?? []) walk(manifest, pattern, []);
  return found;
}

function isSecretReference(value: unknown): boolean {
  return typeof value === 'string' && REFERENCE.test(value);
}

export interface SplitSpec {
  /** The spec with every secret value replaced by `{set: true}`. */
  spec: Json;
  /** The values given. */
  fields: SecretField[];
  /**
   * Fields given as `{set: true}` (`explicit`), or left out where their object is: the stored
   * value is kept.
   */
  kept: Array<{ path: Array<string | number>; explicit: boolean }>;
}

/**
 * Takes the secret values out of a spec. A field left out keeps the stored value ("an update that
 * omits it inherits the stored value"), unless its object says `type: none`, which removes it.
 */
export function splitSecrets(kind: ResourceKind, spec: Json): SplitSpec {
  const copy = structuredClone(spec);
  const fields: SecretField[] = [];
  const kept: SplitSpec['kept'] = [];
  for (const { parent, key, path } of slots(kind, { spec: copy })) {
    const value = parent[key];
    if (typeof value === 'string' && !isSecretReference(value)) {
      fields.push({ path, value });
      parent[key] = { ...SECRET_SET };
    } else if (isSecretMarker(value)) {
      kept.push({ path, explicit: true });
      delete parent[key];
    } else if (value === undefined && parent.type !== 'none') {
      kept.push({ path, explicit: false });
    }
  }
  return { spec: copy, fields, kept };
}

/**
 * The stored values a split spec keeps, marked `{set: true}` in it. A marker with nothing stored
 * behind it is dropped (`missing` names it): there is no value to keep.
 */
export function keepStoredSecrets(
  spec: Json,
  kept: SplitSpec['kept'],
  stored: readonly SecretField[],
): { spec: Json; fields: SecretField[]; missing: string[] } {
  const have = new Set(stored.map((field) => fieldPath(field.path)));
  const missing = kept.filter((k) => k.explicit && !have.has(fieldPath(k.path))).map((k) => fieldPath(k.path));
  const wanted = new Set(kept.map((k) => fieldPath(k.path)));
  const fields = stored.filter((field) => wanted.has(fieldPath(field.path)));
  return { spec: withSecretValues(spec, fields.map((field) => ({ path: field.path, value: { ...SECRET_SET } }))), fields, missing };
}

/** The spec with a value put at each path: the one a gateway is sent, each secret value back in its place. */
export function withSecretValues(spec: Json, fields: ReadonlyArray<{ path: Path; value: unknown }>): Json {
  const copy = structuredClone(spec);
  const root: Json = { spec: copy };
  for (const { path, value } of fields) {
    let node: unknown = root;
    for (const key of path.slice(0, -1)) node = isObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined;
    if (isObject(node)) node[String(path.at(-1))] = value;
  }
  return copy;
}

/**
 * The spec without its secret fields, references included, as a controller answers a read
 * ("either way the field is omitted from management API response bodies").
 */
export function withoutSecretFields(kind: ResourceKind, spec: Json): Json {
  // Most specs hold none: they are returned as they are, not copied.
  if (!slots(kind, { spec }).some(({ parent, key }) => key in parent)) return spec;
  const copy = structuredClone(spec);
  for (const { parent, key } of slots(kind, { spec: copy })) delete parent[key];
  return copy;
}

/** The spec as reads show it: each secret value (however it was stored) as `{set: true}`. */
export function maskSecrets(kind: ResourceKind, spec: Json): Json {
  const copy = structuredClone(spec);
  for (const { parent, key } of slots(kind, { spec: copy })) {
    if (key in parent && !isSecretReference(parent[key])) parent[key] = { ...SECRET_SET };
  }
  return copy;
}

/**
 * The secret fields of a spec of `kind` that hold something other than a string: `{set: true}`
 * (keep the stored value), or a mistake {@link secretFieldErrors} reports. The spec's rules for a
 * string do not apply to them.
 */
export function nonStringSecretPaths(kind: ResourceKind, spec: Json): string[] {
  return slots(kind, { spec })
    .filter(({ parent, key }) => parent[key] !== undefined && typeof parent[key] !== 'string')
    .map(({ path }) => fieldPath(path));
}

/** Secret fields holding something other than a string or `{set: true}`. */
export function secretFieldErrors(kind: ResourceKind, spec: unknown): Array<{ path: string; message: string }> {
  if (!isObject(spec)) return [];
  return slots(kind, { spec })
    .filter(({ parent, key }) => parent[key] !== undefined && typeof parent[key] !== 'string' && !isSecretMarker(parent[key]))
    .map(({ path }) => ({ path: fieldPath(path), message: 'is a secret: a string, or {set: true} to keep the stored value' }));
}

/** The controller Secrets a manifest refers to (`{{ secret "NAME" }}` in any string), with where. */
export function secretReferences(value: unknown, path: Array<string | number> = []): Array<{ name: string; path: string }> {
  if (typeof value === 'string') {
    return [...value.matchAll(REFERENCES)].map((match) => ({ name: match[1]!, path: fieldPath(path) }));
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => secretReferences(item, [...path, i]));
  if (isObject(value)) return Object.entries(value).flatMap(([key, item]) => secretReferences(item, [...path, key]));
  return [];
}
