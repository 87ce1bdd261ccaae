/**
 * Resources: gateway-controller manifests kept by the control plane. `apply` validates every
 * document before anything is stored and stores them all or none; a changed manifest is a new
 * revision, an unchanged one is left alone. Deleting a resource is refused while it is deployed.
 */
import { ValidationError, type FieldError } from '../domain/errors.js';
import { checkManifest, manifestDigest, manifestErrors, resourceKindOf } from '../domain/manifests.js';
import type { AppliedResource, Resource } from '../domain/resources.js';
import type { ResourceKind, ResourceManifest } from '../adapters/adapter.js';
import { ResourceRepository, type ResourceRecord } from '../store/repositories/resources.js';
import type { ServiceContext } from './context.js';
import { DeploymentService, resolveResource } from './deployments.js';

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
    if (errors.length > 0) {
      const summary = errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join('; ');
      throw new ValidationError(`invalid manifest${list.length > 1 ? 's' : ''}: ${summary}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''}`, errors, {
        hint: 'fix the fields named above; nothing was stored',
      });
    }
    const outcomes = await this.resources.apply(
      manifests.map((manifest) => ({ manifest, digest: manifestDigest(manifest) })),
      this.context.clock(),
    );
    return outcomes.map(({ record, action }) => ({ ...presentResource(record), action }));
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

  /**
   * Deletes a resource and its revisions. Refused (409, naming them) while it has deployments
   * that may still be on a gateway: undeploy it first.
   */
  async delete(ref: string): Promise<void> {
    const record = await resolveResource(this.resources, ref);
    await new DeploymentService(this.context).deleteResource(record);
  }
}

export function presentResource(record: ResourceRecord): Resource {
  return {
    uuid: record.uuid,
    kind: record.kind,
    name: record.name,
    apiVersion: record.apiVersion,
    metadata: { name: record.name, ...record.metadata },
    spec: record.spec,
    revision: record.revision,
    specDigest: record.specDigest,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}
