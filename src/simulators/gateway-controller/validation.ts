/**
 * Request-body validation of the management API, per kind, following the request schemas of
 * management-openapi.yaml (and legacy-2026-02-openapi.yaml for older controllers): the required
 * fields, their types and the rules the controller really enforces. Where a schema pattern is
 * stricter than the controller (the spec's own examples break `^v\d+\.\d+$` with `version: v1`),
 * the controller's rule is used, so every shipped example is accepted.
 */
import { RESOURCE_API_VERSION } from '../../adapters/adapter.js';
import type { ResourceKind } from '../../adapters/adapter.js';

export interface FieldIssue {
  field: string;
  message: string;
}

/** The 2026-02 spec names `v1alpha1`; newer clients send `v1` to old controllers too. */
const LEGACY_API_VERSIONS = [RESOURCE_API_VERSION, 'gateway.api-platform.wso2.com/v1alpha1'];

/** Like a Kubernetes object name, case-insensitive: it is also the `{id}` path segment. */
const RESOURCE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const DISPLAY_NAME = /^[a-zA-Z0-9\-_. ]+$/;
/** The controller's own version rule (accepts `v1`, `v1.0`, `1.2.3`). */
const VERSION = /^v?\d+(\.\d+)?(\.\d+)?$/;
const POLICY_VERSION = /^v\d+$/;
const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
const ACCESS_MODES = new Set(['allow_all', 'deny_all']);
const EXTRACTION_LOCATIONS = new Set(['payload', 'header', 'queryParam', 'pathParam']);
const DEPLOYMENT_STATES = new Set(['deployed', 'undeployed']);
const TEMPLATE_IDENTIFIERS = ['promptTokens', 'completionTokens', 'totalTokens', 'remainingTokens', 'requestModel', 'responseModel'];

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one manifest posted to the collection of `kind`; an empty array means it is valid. */
export function validateManifest(body: unknown, kind: ResourceKind, legacy: boolean): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!isObject(body)) return [{ field: '', message: 'Configuration must be an object' }];

  const accepted = legacy ? LEGACY_API_VERSIONS : [RESOURCE_API_VERSION];
  if (body.apiVersion === undefined) issues.push({ field: 'apiVersion', message: 'apiVersion is required' });
  else if (typeof body.apiVersion !== 'string' || !accepted.includes(body.apiVersion)) {
    issues.push({ field: 'apiVersion', message: `Unsupported apiVersion (must be '${accepted.join("' or '")}')` });
  }
  if (body.kind === undefined) issues.push({ field: 'kind', message: 'kind is required' });
  else if (body.kind !== kind) issues.push({ field: 'kind', message: `kind must be '${kind}' for this endpoint` });

  validateMetadata(body.metadata, issues);

  if (!isObject(body.spec)) {
    issues.push({ field: 'spec', message: body.spec === undefined ? 'spec is required' : 'spec must be an object' });
    return issues;
  }
  SPEC_VALIDATORS[kind](body.spec, legacy, issues);
  return issues;
}

function validateMetadata(metadata: unknown, issues: FieldIssue[]): void {
  if (!isObject(metadata)) {
    issues.push({ field: 'metadata', message: metadata === undefined ? 'metadata is required' : 'metadata must be an object' });
    return;
  }
  const { name, labels, annotations } = metadata;
  if (name === undefined || name === '') issues.push({ field: 'metadata.name', message: 'Metadata name is required' });
  else if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    issues.push({
      field: 'metadata.name',
      message: 'Metadata name must be 1-253 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit',
    });
  }
  if (labels !== undefined) {
    if (!isStringMap(labels)) issues.push({ field: 'metadata.labels', message: 'Labels must be a map of strings' });
    else {
      for (const key of Object.keys(labels)) {
        if (/\s/.test(key)) {
          issues.push({ field: 'metadata.labels', message: `Label key '${key}' contains whitespace characters. Label keys must not contain any whitespace.` });
        }
      }
    }
  }
  if (annotations !== undefined && !isStringMap(annotations)) {
    issues.push({ field: 'metadata.annotations', message: 'Annotations must be a map of strings' });
  }
}

type SpecValidator = (spec: Json, legacy: boolean, issues: FieldIssue[]) => void;

const SPEC_VALIDATORS: Record<ResourceKind, SpecValidator> = {
  RestApi(spec, _legacy, issues) {
    displayName(spec.displayName, 100, issues);
    version(spec.version, issues);
    if (spec.context === undefined) issues.push({ field: 'spec.context', message: 'Context is required' });
    else context(spec.context, issues);
    if (!isObject(spec.upstream)) {
      issues.push({ field: 'spec.upstream', message: spec.upstream === undefined ? 'Upstream is required' : 'Upstream must be an object' });
    } else {
      if (spec.upstream.main === undefined) issues.push({ field: 'spec.upstream.main', message: 'Main upstream is required' });
      else upstream(spec.upstream.main, 'spec.upstream.main', spec.upstreamDefinitions, issues);
      if (spec.upstream.sandbox !== undefined) upstream(spec.upstream.sandbox, 'spec.upstream.sandbox', spec.upstreamDefinitions, issues);
    }
    operations(spec.operations, issues);
    if (spec.vhosts !== undefined && (!isObject(spec.vhosts) || typeof spec.vhosts.main !== 'string')) {
      issues.push({ field: 'spec.vhosts.main', message: 'vhosts.main is required when vhosts is given' });
    }
    policies(spec.policies, 'spec.policies', issues);
    deploymentState(spec.deploymentState, issues);
  },

  Mcp(spec, _legacy, issues) {
    displayName(spec.displayName, 100, issues);
    if (typeof spec.version !== 'string' || spec.version === '') issues.push({ field: 'spec.version', message: 'MCP Proxy version is required' });
    if (spec.context !== undefined) context(spec.context, issues);
    if (spec.upstream === undefined) issues.push({ field: 'spec.upstream', message: 'Upstream is required' });
    else upstream(spec.upstream, 'spec.upstream', spec.upstreamDefinitions, issues);
    policies(spec.policies, 'spec.policies', issues);
    for (const list of ['tools', 'resources', 'prompts']) {
      if (spec[list] !== undefined && !Array.isArray(spec[list])) issues.push({ field: `spec.${list}`, message: `${list} must be an array` });
    }
    deploymentState(spec.deploymentState, issues);
  },

  LlmProvider(spec, _legacy, issues) {
    displayName(spec.displayName, 100, issues);
    version(spec.version, issues);
    if (spec.context !== undefined) context(spec.context, issues);
    if (typeof spec.template !== 'string' || spec.template === '') issues.push({ field: 'spec.template', message: 'Template is required' });
    if (spec.upstream === undefined) issues.push({ field: 'spec.upstream', message: 'Upstream is required' });
    else upstream(spec.upstream, 'spec.upstream', spec.upstreamDefinitions, issues);
    if (!isObject(spec.accessControl)) issues.push({ field: 'spec.accessControl', message: 'Access control is required' });
    else if (typeof spec.accessControl.mode !== 'string' || !ACCESS_MODES.has(spec.accessControl.mode)) {
      issues.push({ field: 'spec.accessControl.mode', message: "Access control mode must be 'allow_all' or 'deny_all'" });
    } else if (spec.accessControl.exceptions !== undefined && !Array.isArray(spec.accessControl.exceptions)) {
      issues.push({ field: 'spec.accessControl.exceptions', message: 'exceptions must be an array' });
    }
    deploymentState(spec.deploymentState, issues);
  },

  LlmProxy(spec, legacy, issues) {
    displayName(spec.displayName, 253, issues);
    version(spec.version, issues);
    if (spec.context !== undefined) context(spec.context, issues);
    const provider = spec.provider;
    const providerId = isObject(provider) ? provider.id : legacy ? provider : undefined;
    if (provider === undefined) issues.push({ field: 'spec.provider', message: 'Provider is required' });
    else if (typeof providerId !== 'string' || providerId === '') {
      issues.push({ field: legacy ? 'spec.provider' : 'spec.provider.id', message: 'Provider id is required' });
    }
    deploymentState(spec.deploymentState, issues);
  },

  Secret(spec, legacy, issues) {
    if (legacy) {
      issues.push({ field: 'kind', message: 'Secrets are not supported by this gateway-controller' });
      return;
    }
    displayName(spec.displayName, 253, issues);
    if (spec.description !== undefined && (typeof spec.description !== 'string' || spec.description.length > 1024)) {
      issues.push({ field: 'spec.description', message: 'Description must be a string of at most 1024 characters' });
    }
    if (typeof spec.value !== 'string' || spec.value.length === 0 || spec.value.length > 10240) {
      issues.push({ field: 'spec.value', message: 'Secret value is required (1-10240 characters)' });
    }
  },

  LlmProviderTemplate(spec, _legacy, issues) {
    const name = spec.displayName;
    if (typeof name !== 'string' || name.length === 0 || name.length > 253) {
      issues.push({ field: 'spec.displayName', message: 'Template display name is required (1-253 characters)' });
    }
    for (const key of TEMPLATE_IDENTIFIERS) {
      const value = spec[key];
      if (value === undefined) continue;
      if (!isObject(value) || typeof value.location !== 'string' || !EXTRACTION_LOCATIONS.has(value.location) || typeof value.identifier !== 'string') {
        issues.push({ field: `spec.${key}`, message: 'Must have a location (payload, header, queryParam or pathParam) and an identifier' });
      }
    }
  },
};

function displayName(value: unknown, max: number, issues: FieldIssue[]): void {
  if (value === undefined || value === '') issues.push({ field: 'spec.displayName', message: 'Display name is required' });
  else if (typeof value !== 'string' || value.length > max) {
    issues.push({ field: 'spec.displayName', message: `Display name must be a string of 1-${max} characters` });
  } else if (!DISPLAY_NAME.test(value)) {
    issues.push({ field: 'spec.displayName', message: 'Display name must be URL-friendly (only letters, numbers, spaces, hyphens, underscores, and dots allowed)' });
  }
}

function version(value: unknown, issues: FieldIssue[]): void {
  if (value === undefined || value === '') issues.push({ field: 'spec.version', message: 'Version is required' });
  else if (typeof value !== 'string' || !VERSION.test(value)) {
    issues.push({ field: 'spec.version', message: 'Version must follow semantic versioning pattern (e.g., v1.0, v2.1.3)' });
  }
}

function context(value: unknown, issues: FieldIssue[]): void {
  if (typeof value !== 'string' || value === '') issues.push({ field: 'spec.context', message: 'Context must be a non-empty string' });
  else if (!value.startsWith('/')) issues.push({ field: 'spec.context', message: 'Context must start with /' });
  else if (value.endsWith('/') && value !== '/') issues.push({ field: 'spec.context', message: 'Context cannot end with / (except for root context)' });
  else if (value.length > 200) issues.push({ field: 'spec.context', message: 'Context must be 1-200 characters' });
}

function upstream(value: unknown, field: string, definitions: unknown, issues: FieldIssue[]): void {
  if (!isObject(value)) {
    issues.push({ field, message: 'Upstream must be an object' });
    return;
  }
  const { url, ref, auth } = value;
  if (url !== undefined && ref !== undefined) issues.push({ field, message: "Specify exactly one of 'url' or 'ref'" });
  else if (url === undefined && ref === undefined) issues.push({ field, message: "Must specify either 'url' or 'ref'" });
  else if (url !== undefined) {
    if (!isHttpUrl(url)) issues.push({ field: `${field}.url`, message: 'Upstream URL must be an http or https URL with a host' });
  } else if (typeof ref !== 'string' || ref.trim() === '') {
    issues.push({ field: `${field}.ref`, message: 'Upstream reference is required' });
  } else if (!Array.isArray(definitions) || !definitions.some((d) => isObject(d) && d.name === ref.trim())) {
    issues.push({ field: `${field}.ref`, message: `Referenced upstream definition '${ref}' not found in upstreamDefinitions` });
  }
  if (auth !== undefined && (!isObject(auth) || typeof auth.type !== 'string')) {
    issues.push({ field: `${field}.auth.type`, message: 'Upstream auth must have a type' });
  }
}

function operations(value: unknown, issues: FieldIssue[]): void {
  if (!Array.isArray(value) || value.length === 0) {
    issues.push({ field: 'spec.operations', message: 'At least one operation is required' });
    return;
  }
  value.forEach((op: unknown, i) => {
    const field = `spec.operations[${i}]`;
    if (!isObject(op)) {
      issues.push({ field, message: 'Operation must be an object' });
      return;
    }
    // The `match` block, when present, is authoritative over the simple method/path form.
    const match = op.match;
    const method = isObject(match) ? match.method : op.method;
    const path = isObject(match) ? (isObject(match.path) ? match.path.value : undefined) : op.path;
    if (typeof method !== 'string' || !HTTP_METHODS.has(method)) {
      issues.push({ field: `${field}.method`, message: 'Method must be one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS' });
    }
    if (typeof path !== 'string' || !path.startsWith('/')) issues.push({ field: `${field}.path`, message: 'Path must start with /' });
    policies(op.policies, `${field}.policies`, issues);
  });
}

function policies(value: unknown, field: string, issues: FieldIssue[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    issues.push({ field, message: 'Policies must be an array' });
    return;
  }
  value.forEach((policy: unknown, i) => {
    if (!isObject(policy) || typeof policy.name !== 'string' || policy.name === '') {
      issues.push({ field: `${field}[${i}].name`, message: 'Policy name is required' });
    } else if (typeof policy.version !== 'string' || !POLICY_VERSION.test(policy.version)) {
      issues.push({ field: `${field}[${i}].version`, message: 'Policy version must be a major-only version such as v1' });
    }
  });
}

function deploymentState(value: unknown, issues: FieldIssue[]): void {
  if (value !== undefined && (typeof value !== 'string' || !DEPLOYMENT_STATES.has(value))) {
    issues.push({ field: 'spec.deploymentState', message: "deploymentState must be 'deployed' or 'undeployed'" });
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}
