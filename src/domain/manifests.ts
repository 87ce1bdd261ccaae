/**
 * Gateway-controller manifests, checked before anything is stored or sent: the envelope
 * (`apiVersion`, `kind`, `metadata.name`) and, per kind, the required fields of the request
 * schemas in management-openapi.yaml. Where the controller accepts more than a schema pattern
 * says (its own examples use `version: v1` against `^v\d+\.\d+$`), the controller's rule wins,
 * so every shipped example applies cleanly.
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
import { RESOURCE_API_VERSION, RESOURCE_KINDS, type ResourceKind, type ResourceManifest } from './resource-kinds.js';
import { ValidationError, type FieldError } from './errors.js';
import { secretFieldErrors, withoutSecretFields } from './manifest-secrets.js';

/** Like a Kubernetes object name; it is also the `{id}` path segment on the gateway. */
const RESOURCE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const DISPLAY_NAME = /^[a-zA-Z0-9\-_. ]+$/;
/** The controller's own version rule (accepts v1, v1.0, 1.2.3). */
const VERSION = /^v?\d+(\.\d+)?(\.\d+)?$/;
const POLICY_VERSION = /^v\d+$/;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const POLICY_METHODS = [...HTTP_METHODS, '*'];
const EXTRACTIONS = ['promptTokens', 'completionTokens', 'totalTokens', 'remainingTokens', 'requestModel', 'responseModel'];
const EXTRACTION_LOCATIONS = ['payload', 'header', 'queryParam', 'pathParam'];
const TOP_LEVEL = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

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
  if (document.apiVersion === undefined) add('apiVersion', `is required (${RESOURCE_API_VERSION})`);
  else if (document.apiVersion !== RESOURCE_API_VERSION) add('apiVersion', `must be ${RESOURCE_API_VERSION}`);
  const kind = typeof document.kind === 'string' ? (RESOURCE_KINDS as readonly string[]).includes(document.kind) : false;
  if (document.kind === undefined) add('kind', `is required: one of ${RESOURCE_KINDS.join(', ')}`);
  else if (!kind) add('kind', `"${String(document.kind)}" is not a resource kind; kinds: ${RESOURCE_KINDS.join(', ')}`);
  checkMetadata(document.metadata, add);
  if (!isObject(document.spec)) {
    add('spec', document.spec === undefined ? 'is required' : 'must be an object');
  } else if (kind) {
    SPEC_RULES[document.kind as ResourceKind](new SpecChecker(document.spec, add));
    for (const error of secretFieldErrors(document.kind as ResourceKind, document.spec)) add(error.path, error.message);
  }
  return issues;
}

function describe(document: unknown): string {
  if (!isObject(document)) return '';
  const name = isObject(document.metadata) && typeof document.metadata.name === 'string' ? document.metadata.name : null;
  const kind = typeof document.kind === 'string' ? document.kind : null;
  return kind !== null && name !== null ? ` ${kind}/${name}` : '';
}

type Add = (path: string, message: string) => void;

function checkMetadata(metadata: unknown, add: Add): void {
  if (!isObject(metadata)) {
    add('metadata', metadata === undefined ? 'is required, with a name' : 'must be an object');
    return;
  }
  const { name, labels, annotations } = metadata;
  if (name === undefined || name === '') add('metadata.name', 'is required');
  else if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    add('metadata.name', 'must be 1-253 letters, digits, ".", "-" or "_", starting and ending with a letter or digit');
  }
  for (const key of Object.keys(metadata)) {
    if (!['name', 'labels', 'annotations'].includes(key)) add(`metadata.${key}`, 'unknown field; metadata has name, labels and annotations');
  }
  if (labels !== undefined) {
    if (!isStringMap(labels)) add('metadata.labels', 'must be a map of strings');
    else for (const key of Object.keys(labels)) if (/\s/.test(key)) add(`metadata.labels.${key}`, 'label keys must not contain whitespace');
  }
  if (annotations !== undefined && !isStringMap(annotations)) add('metadata.annotations', 'must be a map of strings');
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** Field checks of one spec, with paths relative to `spec`. */
class SpecChecker {
  constructor(
    readonly spec: Json,
    private readonly add: Add,
  ) {}

  error(path: string, message: string): void {
    this.add(`spec.${path}`, message);
  }

  displayName(max: number, pattern = true): void {
    const value = this.spec.displayName;
    if (value === undefined || value === '') this.error('displayName', 'is required');
    else if (typeof value !== 'string' || value.length > max) this.error('displayName', `must be a string of 1-${max} characters`);
    else if (pattern && !DISPLAY_NAME.test(value)) this.error('displayName', 'may contain only letters, digits, spaces, "-", "_" and "."');
  }

  version(required = true): void {
    const value = this.spec.version;
    if (value === undefined || value === '') {
      if (required) this.error('version', 'is required (e.g. v1.0)');
    } else if (typeof value !== 'string' || !VERSION.test(value)) this.error('version', 'must be a version such as v1.0');
  }

  requiredString(field: string, what = 'is required'): void {
    const value = this.spec[field];
    if (typeof value !== 'string' || value.trim() === '') this.error(field, value === undefined ? what : 'must be a non-empty string');
  }

  maxString(field: string, max: number): void {
    const value = this.spec[field];
    if (value !== undefined && (typeof value !== 'string' || value.length > max)) this.error(field, `must be a string of at most ${max} characters`);
  }

  context(required: boolean): void {
    const value = this.spec.context;
    if (value === undefined) {
      if (required) this.error('context', 'is required (a base path such as /my-api)');
      return;
    }
    if (typeof value !== 'string' || value === '') this.error('context', 'must be a non-empty string');
    else if (!value.startsWith('/')) this.error('context', 'must start with /');
    else if (value.length > 1 && value.endsWith('/')) this.error('context', 'must not end with / (except the root context)');
    else if (value.length > 200) this.error('context', 'must be at most 200 characters');
  }

  upstream(value: unknown, path: string, withAuth: boolean): void {
    if (value === undefined) {
      this.error(path, 'is required');
      return;
    }
    if (!isObject(value)) {
      this.error(path, 'must be an object with url or ref');
      return;
    }
    const { url, ref, auth } = value;
    if (url !== undefined && ref !== undefined) this.error(path, 'give either url or ref, not both');
    else if (url === undefined && ref === undefined) this.error(path, 'needs url (a backend URL) or ref (an upstreamDefinitions name)');
    else if (url !== undefined && !isHttpUrl(url)) this.error(`${path}.url`, 'must be an http:// or https:// URL with a host');
    else if (ref !== undefined) {
      const definitions = this.spec.upstreamDefinitions;
      if (typeof ref !== 'string' || ref.trim() === '') this.error(`${path}.ref`, 'must be a non-empty string');
      else if (!Array.isArray(definitions) || !definitions.some((d) => isObject(d) && d.name === ref.trim())) {
        this.error(`${path}.ref`, `names no entry of spec.upstreamDefinitions ("${ref}")`);
      }
    }
    if (auth !== undefined) {
      if (!withAuth) this.error(`${path}.auth`, 'is not allowed here');
      else this.auth(auth, `${path}.auth`);
    }
  }

  auth(value: unknown, path: string): void {
    if (!isObject(value) || typeof value.type !== 'string') this.error(`${path}.type`, 'is required: api-key, other or none');
    else if (!['api-key', 'other', 'none'].includes(value.type)) this.error(`${path}.type`, 'must be api-key, other or none');
  }

  policies(field: string, requirePaths: boolean): void {
    const value = this.spec[field];
    if (value === undefined) return;
    this.policyList(value, field, requirePaths);
  }

  policyList(value: unknown, path: string, requirePaths: boolean): void {
    if (!Array.isArray(value)) {
      this.error(path, 'must be a list of policies');
      return;
    }
    value.forEach((policy: unknown, i) => {
      const at = `${path}[${i}]`;
      if (!isObject(policy)) {
        this.error(at, 'must be an object with name and version');
        return;
      }
      if (typeof policy.name !== 'string' || policy.name === '') this.error(`${at}.name`, 'is required');
      if (typeof policy.version !== 'string' || !POLICY_VERSION.test(policy.version)) this.error(`${at}.version`, 'must be a major version such as v1');
      if (policy.paths === undefined) {
        if (requirePaths) this.error(`${at}.paths`, 'is required');
        return;
      }
      if (!Array.isArray(policy.paths)) {
        this.error(`${at}.paths`, 'must be a list of {path, methods, params}');
        return;
      }
      policy.paths.forEach((entry: unknown, j) => {
        const where = `${at}.paths[${j}]`;
        if (!isObject(entry) || typeof entry.path !== 'string') this.error(`${where}.path`, 'is required');
        else this.methods(entry.methods, `${where}.methods`, POLICY_METHODS);
      });
    });
  }

  methods(value: unknown, path: string, allowed: readonly string[]): void {
    if (!Array.isArray(value) || value.length === 0) this.error(path, `must be a list of HTTP methods (${allowed.join(', ')})`);
    else value.forEach((m: unknown, k) => {
      if (typeof m !== 'string' || !allowed.includes(m)) this.error(`${path}[${k}]`, `must be one of ${allowed.join(', ')}`);
    });
  }

  deploymentState(): void {
    const value = this.spec.deploymentState;
    if (value !== undefined && value !== 'deployed' && value !== 'undeployed') this.error('deploymentState', 'must be deployed or undeployed');
  }

  list(field: string): void {
    if (this.spec[field] !== undefined && !Array.isArray(this.spec[field])) this.error(field, 'must be a list');
  }
}

const SPEC_RULES: Record<ResourceKind, (check: SpecChecker) => void> = {
  RestApi(check) {
    const { spec } = check;
    check.displayName(100);
    check.version();
    check.context(true);
    if (!isObject(spec.upstream)) check.error('upstream', spec.upstream === undefined ? 'is required, with main' : 'must be an object with main');
    else {
      check.upstream(spec.upstream.main, 'upstream.main', true);
      if (spec.upstream.sandbox !== undefined) check.upstream(spec.upstream.sandbox, 'upstream.sandbox', true);
    }
    if (!Array.isArray(spec.operations) || spec.operations.length === 0) check.error('operations', 'needs at least one operation');
    else {
      spec.operations.forEach((op: unknown, i) => {
        const at = `operations[${i}]`;
        if (!isObject(op)) {
          check.error(at, 'must be an object with method and path');
          return;
        }
        // A `match` block, when present, is authoritative over the simple method/path form.
        const match = isObject(op.match) ? op.match : null;
        const method = match ? match.method : op.method;
        const path = match ? (isObject(match.path) ? match.path.value : undefined) : op.path;
        if (typeof method !== 'string' || !HTTP_METHODS.includes(method)) check.error(`${at}.method`, `must be one of ${HTTP_METHODS.join(', ')}`);
        if (typeof path !== 'string' || !path.startsWith('/')) check.error(`${at}.path`, 'must start with /');
        if (op.policies !== undefined) check.policyList(op.policies, `${at}.policies`, false);
      });
    }
    if (spec.vhosts !== undefined && (!isObject(spec.vhosts) || typeof spec.vhosts.main !== 'string')) check.error('vhosts.main', 'is required when vhosts is given');
    check.policies('policies', false);
    check.deploymentState();
  },

  Mcp(check) {
    check.displayName(100);
    check.requiredString('version', 'is required (e.g. v1.0)');
    check.context(false);
    check.upstream(check.spec.upstream, 'upstream', true);
    check.policies('policies', false);
    for (const field of ['tools', 'resources', 'prompts']) check.list(field);
    check.deploymentState();
  },

  LlmProvider(check) {
    const { spec } = check;
    check.displayName(100);
    check.version();
    check.context(false);
    check.requiredString('template', 'is required (the name of an LlmProviderTemplate, e.g. openai)');
    check.upstream(spec.upstream, 'upstream', true);
    const access = spec.accessControl;
    if (!isObject(access)) check.error('accessControl', access === undefined ? 'is required, with mode allow_all or deny_all' : 'must be an object');
    else {
      if (access.mode !== 'allow_all' && access.mode !== 'deny_all') check.error('accessControl.mode', 'must be allow_all or deny_all');
      if (access.exceptions !== undefined) {
        if (!Array.isArray(access.exceptions)) check.error('accessControl.exceptions', 'must be a list of {path, methods}');
        else access.exceptions.forEach((e: unknown, i) => {
          if (!isObject(e) || typeof e.path !== 'string') check.error(`accessControl.exceptions[${i}].path`, 'is required');
          else check.methods(e.methods, `accessControl.exceptions[${i}].methods`, HTTP_METHODS);
        });
      }
    }
    check.policies('policies', true);
    check.policies('operationPolicies', true);
    check.policies('globalPolicies', false);
    check.deploymentState();
  },

  LlmProxy(check) {
    const { spec } = check;
    check.displayName(253);
    check.version();
    check.context(false);
    const provider = spec.provider;
    if (!isObject(provider)) check.error('provider', provider === undefined ? 'is required, with the id of an LlmProvider' : 'must be an object with id');
    else {
      if (typeof provider.id !== 'string' || provider.id === '') check.error('provider.id', 'is required (the name of an LlmProvider)');
      if (provider.auth !== undefined) check.auth(provider.auth, 'provider.auth');
    }
    check.policies('policies', true);
    check.policies('operationPolicies', true);
    check.policies('globalPolicies', false);
    check.deploymentState();
  },

  Secret(check) {
    check.displayName(253);
    check.maxString('description', 1024);
    // Left out, the stored value is kept; the service refuses a Secret that ends up with none.
    const value = check.spec.value;
    if (typeof value === 'string' && (value.length === 0 || value.length > 10240)) check.error('value', 'must be 1-10240 characters');
    for (const key of Object.keys(check.spec)) {
      if (!['displayName', 'description', 'value'].includes(key)) check.error(key, 'unknown field; a Secret has displayName, description and value');
    }
  },

  LlmProviderTemplate(check) {
    check.displayName(253, false);
    check.maxString('groupId', 40);
    check.maxString('managedBy', 255);
    check.maxString('version', 30);
    for (const field of EXTRACTIONS) {
      const value = check.spec[field];
      if (value === undefined) continue;
      if (!isObject(value) || typeof value.identifier !== 'string' || !EXTRACTION_LOCATIONS.includes(value.location as string)) {
        check.error(field, `needs location (${EXTRACTION_LOCATIONS.join(', ')}) and identifier`);
      }
    }
  },
};

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
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
