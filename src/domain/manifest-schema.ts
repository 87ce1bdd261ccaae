/**
 * A manifest against the gateway-controller's own request schema for its kind: the validators
 * generated from management-openapi.yaml (scripts/generate-manifest-validators.mjs), and the one
 * rule a schema cannot state (an upstream `ref` names an entry of `upstreamDefinitions`).
 * agentgw checks manifests with this before storing them, and the simulated controller checks
 * what it is sent with it: one set of rules, read from the spec.
 *
 * Ajv's errors become one `{path, message}` per field, paths written as people write them
 * (`spec.operations[0].method`), reasons in words (`must be one of GET, POST, …`).
 */
import type { ResourceKind } from './resource-kinds.js';
import * as validators from './manifest-validators.generated.js';

/** One broken rule. `key` names the offending key of a map (a label key with a space), when it is one. */
export interface SchemaIssue {
  path: string;
  message: string;
  key?: string;
}

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
  parentSchema?: Record<string, any>;
  /** Set on the errors of a `propertyNames` schema, which its own error already reports. */
  propertyName?: string;
}
type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

const VALIDATORS: Record<ResourceKind, Validate> = validators;

/** Every rule of `kind`'s request schema (and the upstream-ref rule) that `manifest` breaks, first per field. */
export function schemaIssues(kind: ResourceKind, manifest: unknown): SchemaIssue[] {
  const validate = VALIDATORS[kind];
  const issues = validate(manifest) ? [] : translate(validate.errors ?? [], manifest);
  issues.push(...upstreamRefIssues(manifest));
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const id = issue.key === undefined ? issue.path : `${issue.path}\u0000${issue.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function translate(errors: readonly AjvError[], data: unknown): SchemaIssue[] {
  // A failed oneOf/anyOf says why in its own terms ("url or ref"); its branches' errors only repeat it.
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const shown = errors.filter(
    (e) => !alternatives.some((a) => a !== e && e.instancePath.startsWith(a.instancePath) && e.schemaPath.startsWith(`${a.schemaPath}/`)),
  );
  return shown.filter((e) => e.keyword !== 'if' && e.propertyName === undefined).map((e) => issue(e, data));
}

function issue(error: AjvError, data: unknown): SchemaIssue {
  const at = dottedPath(error.instancePath, data);
  const { params, parentSchema } = error;
  const child = (name: string) => (at === '' ? name : `${at}.${name}`);
  switch (error.keyword) {
    case 'required': {
      const only = parentSchema?.properties?.[params.missingProperty]?.enum;
      return { path: child(params.missingProperty), message: Array.isArray(only) && only.length === 1 ? `is required (${only[0]})` : 'is required' };
    }
    case 'additionalProperties':
      return { path: child(params.additionalProperty), message: 'unknown field' };
    case 'propertyNames':
      return { path: at, key: params.propertyName, message: parentSchema?.propertyNames?.['x-message'] ?? `has a key "${params.propertyName}" that is not allowed` };
    case 'type':
      return { path: at, message: `must be ${TYPE_NAMES[params.type] ?? params.type}` };
    case 'enum':
      return { path: at, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'pattern':
      return { path: at, message: parentSchema?.['x-message'] ?? `must match ${params.pattern}` };
    case 'minLength':
      return { path: at, message: params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters` };
    case 'maxLength':
      return { path: at, message: `must be at most ${params.limit} characters` };
    case 'minItems':
      return { path: at, message: params.limit === 1 ? 'needs at least one entry' : `needs at least ${params.limit} entries` };
    case 'oneOf':
    case 'anyOf':
      return { path: at, message: alternativesMessage(error) };
    default:
      return { path: at, message: error.message ?? `breaks the rule "${error.keyword}"` };
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  object: 'an object',
  array: 'a list',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

/** "needs url or ref", "give only one of url or ref", "needs match, or method and path". */
function alternativesMessage(error: AjvError): string {
  const branches = (error.parentSchema?.[error.keyword] ?? []) as Array<{ required?: string[] }>;
  const forms = branches.map((branch) => branch.required?.join(' and '));
  if (forms.some((form) => form === undefined)) return error.keyword === 'oneOf' ? 'must match exactly one of its allowed forms' : 'matches none of its allowed forms';
  if (error.keyword === 'oneOf' && Array.isArray(error.params.passingSchemas)) return `give only one of ${forms.join(' or ')}`;
  return `needs ${forms.join(forms.some((form) => form!.includes(' and ')) ? ', or ' : ' or ')}`;
}

/** `/spec/operations/0/method` → `spec.operations[0].method` (an index only where the data is a list). */
function dottedPath(pointer: string, data: unknown): string {
  let path = '';
  let at: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += Array.isArray(at) ? `[${key}]` : path === '' ? key : `.${key}`;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An upstream (`spec.upstream`, `.main`, `.sandbox`) `ref` must name an entry of `spec.upstreamDefinitions`. */
function upstreamRefIssues(manifest: unknown): SchemaIssue[] {
  const spec = isObject(manifest) && isObject(manifest.spec) ? manifest.spec : null;
  if (spec === null || !isObject(spec.upstream)) return [];
  const upstream = spec.upstream;
  const candidates: Array<[string, unknown]> = [['spec.upstream', upstream], ['spec.upstream.main', upstream.main], ['spec.upstream.sandbox', upstream.sandbox]];
  const definitions = Array.isArray(spec.upstreamDefinitions) ? spec.upstreamDefinitions : [];
  const issues: SchemaIssue[] = [];
  for (const [path, value] of candidates) {
    if (!isObject(value) || typeof value.ref !== 'string' || value.url !== undefined) continue;
    const ref = value.ref.trim();
    if (ref === '') issues.push({ path: `${path}.ref`, message: 'must not be empty' });
    else if (!definitions.some((d) => isObject(d) && d.name === ref)) issues.push({ path: `${path}.ref`, message: `names no entry of spec.upstreamDefinitions ("${value.ref}")` });
  }
  return issues;
}
