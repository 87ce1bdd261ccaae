/**
 * Resources: gateway-controller manifests kept by the control plane. `apply` validates every
 * document before anything is stored and stores them all or none; a changed manifest is a new
 * revision, an unchanged one is left alone. Deleting a resource is refused while it is deployed.
 *
 * Secret fields (the spec's writeOnly and password fields: provider API keys, Secret values) are
 * sealed apart and read back as `{set: true}`; an apply that leaves one out keeps the stored
 * value, as the controller does. A manifest may name a Secret (`{{ secret "NAME" }}`) only when
 * agentgw has it, so a deploy cannot send a reference the gateway will not resolve.
 */
import { ValidationError, type FieldError } from '../domain/errors.js';
import { lineDiff } from '../domain/line-diff.js';
import type { ResourceHistory } from '../domain/rollouts.js';
import { maskSecrets, secretReferences } from '../domain/manifest-secrets.js';
import { checkManifest, manifestErrors, resourceKindOf } from '../domain/manifests.js';
import type { AppliedResource, Resource } from '../domain/resources.js';
import { openSecretFields, sealManifest } from '../domain/sealed-manifest.js';
import type { ResourceKind, ResourceManifest } from '../adapters/adapter.js';
import { ResourceRepository, type ResourceRecord, type RevisionEntry, type StorableManifest } from '../store/repositories/resources.js';
import { isDeployable } from './revisions.js';
import type { ServiceContext } from './context.js';
import { DeploymentService, resolveResource } from './deployments/index.js';

/** More documents than this in one apply is almost certainly a mistake (or an attack). */
export const MAX_APPLY_DOCUMENTS = 500;

export interface ResourceFilter {
  kind?: string;
  name?: string;
}

export class ResourceService {
  private readonly resources: ResourceRepository;

  constructor(private readonly context: ServiceContext) {
    this.resources = new ResourceRepository(context.store, context.organizationId);
  }

  /**
   * Applies one manifest or a list of them. Every document is checked first and all their
   * problems are reported at once (paths prefixed `[i].` when there are several); then all are
   * stored in one transaction.
   */
  async apply(documents: unknown): Promise<AppliedResource[]> {
    const list = Array.isArray(documents) ? documents : [documents];
    if (list.length === 0) throw ValidationError.field('', 'no manifests to apply');
    if (list.length > MAX_APPLY_DOCUMENTS) throw ValidationError.field('', `at most ${MAX_APPLY_DOCUMENTS} manifests per apply (got ${list.length})`);
    const prefix = (i: number) => (list.length > 1 ? `[${i}].` : '');
    const errors: FieldError[] = list.flatMap((document, i) => manifestErrors(document, prefix(i)));
    const manifests: ResourceManifest[] = errors.length === 0 ? list.map((document, i) => checkManifest(document, prefix(i))) : [];
    const seen = new Map<string, number>();
    manifests.forEach((manifest, i) => {
      const key = `${manifest.kind}/${manifest.metadata.name}`;
      const first = seen.get(key);
      if (first !== undefined) errors.push({ path: `${prefix(i)}metadata.name`, message: `${key} is also document ${first}; apply each resource once` });
      else seen.set(key, i);
    });
    if (errors.length === 0) errors.push(...(await this.unknownSecretReferences(manifests, prefix)));
    if (errors.length > 0) throw invalidManifests(errors, list.length);
    const index = new Map(manifests.map((manifest, i) => [manifest, i]));
    const outcomes = await this.resources.apply(manifests, this.context.clock(), (manifest, current) => this.seal(manifest, current, prefix(index.get(manifest) ?? 0)), this.context.actor ?? null);
    return outcomes.map(({ record, action }) => ({ ...presentResource(record), action }));
  }

  /** The manifest as stored: secret values sealed, the ones left out kept from `current`. */
  private seal(manifest: ResourceManifest, current: ResourceRecord | undefined, prefix: string): StorableManifest {
    const box = this.context.secrets;
    const sealed = sealManifest(manifest, openSecretFields(current?.secrets ?? null, box), box);
    const errors: FieldError[] = sealed.missing.map((path) => ({ path: `${prefix}${path}`, message: '{set: true} keeps a stored value, but none is stored: give the value' }));
    if (manifest.kind === 'Secret' && !sealed.fields.some((field) => field.path.join('.') === 'spec.value')) {
      errors.push({ path: `${prefix}spec.value`, message: 'is required (the secret itself)' });
    }
    if (errors.length > 0) throw invalidManifests(errors, 1);
    return sealed;
  }

  /** References to Secrets that are neither stored nor in this apply. */
  private async unknownSecretReferences(manifests: readonly ResourceManifest[], prefix: (i: number) => string): Promise<FieldError[]> {
    const references = manifests.map((manifest) => secretReferences(manifest.spec, ['spec']));
    if (references.every((found) => found.length === 0)) return [];
    const known = new Set([
      ...(await this.resources.list({ kind: 'Secret' })).map((record) => record.name),
      ...manifests.filter((manifest) => manifest.kind === 'Secret').map((manifest) => manifest.metadata.name),
    ]);
    return references.flatMap((found, i) =>
      found
        .filter((reference) => !known.has(reference.name))
        .map((reference) => ({
          path: `${prefix(i)}${reference.path}`,
          message: `refers to Secret "${reference.name}", which agentgw does not have: apply it (kind: Secret) first or in the same apply`,
        })),
    );
  }

  async list(filter: ResourceFilter = {}): Promise<Resource[]> {
    let kind: ResourceKind | undefined;
    if (filter.kind !== undefined) {
      const parsed = resourceKindOf(filter.kind);
      if (parsed === null) throw ValidationError.field('kind', `"${filter.kind}" is not a resource kind`);
      kind = parsed;
    }
    const records = filter.name === undefined ? await this.resources.list(kind === undefined ? {} : { kind }) : await this.resources.findByName(filter.name, kind ?? null);
    return records.map(presentResource);
  }

  /** By `Kind/name`, by name when only one kind has it, or by uuid. */
  async get(ref: string): Promise<Resource> {
    return presentResource(await resolveResource(this.resources, ref));
  }

  /** Every revision, oldest first, each with its time, its actor and a diff from the one before. */
  async history(ref: string): Promise<ResourceHistory> {
    // yaml is loaded by the one call that needs it: at the top it cost every command ~30 ms.
    const { stringify } = await import('yaml');
    const record = await resolveResource(this.resources, ref);
    const entries = await this.resources.history(record.uuid);
    const yaml = (entry: RevisionEntry | undefined) =>
      entry === undefined ? '' : stringify({ apiVersion: entry.apiVersion, metadata: entry.metadata, spec: maskSecrets(record.kind, entry.spec) });
    return {
      resource: { uuid: record.uuid, kind: record.kind, name: record.name, revision: record.revision },
      revisions: entries.map((entry, index) => ({
        revision: entry.revision,
        createdAt: entry.createdAt.toISOString(),
        actor: entry.actor,
        specDigest: entry.specDigest,
        deployable: isDeployable(record.kind, entry),
        diff: lineDiff(yaml(entries[index - 1]), yaml(entry)),
      })),
    };
  }

  /**
   * Deletes a resource and its revisions. Refused (409, naming them) while it has deployments
   * that may still be on a gateway: undeploy it first.
   */
  async delete(ref: string): Promise<void> {
    const record = await resolveResource(this.resources, ref);
    await new DeploymentService(this.context).deleteResource(record);
  }
}

function invalidManifests(errors: FieldError[], documents: number): ValidationError {
  const summary = errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join('; ');
  return new ValidationError(`invalid manifest${documents > 1 ? 's' : ''}: ${summary}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''}`, errors, {
    hint: 'fix the fields named above; nothing was stored',
  });
}

export function presentResource(record: ResourceRecord): Resource {
  return {
    uuid: record.uuid,
    kind: record.kind,
    name: record.name,
    apiVersion: record.apiVersion,
    metadata: { name: record.name, ...record.metadata },
    // Stored without values already; masked again so that no stored form can ever show one.
    spec: maskSecrets(record.kind, record.spec),
    revision: record.revision,
    specDigest: record.specDigest,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}
