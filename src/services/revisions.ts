/**
 * A resource as it was at one of its revisions, ready to be deployed again: its spec, metadata
 * and sealed secret values as stored with that revision.
 */
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { splitSecrets } from '../domain/manifest-secrets.js';
import type { ResourceKind } from '../adapters/adapter.js';
import type { ResourceRecord, ResourceRepository, RevisionEntry } from '../store/repositories/resources.js';

/** Whether a stored spec has secret fields whose values must come from a sealed store. */
export function needsSealedValues(kind: ResourceKind, spec: Record<string, unknown>): boolean {
  return splitSecrets(kind, spec).kept.some((slot) => slot.explicit);
}

export function isDeployable(kind: ResourceKind, entry: RevisionEntry): boolean {
  return entry.secrets !== null || !needsSealedValues(kind, entry.spec);
}

/** The resource at revision `revision`; refused when it is unknown or lost its secret values. */
export async function recordAtRevision(resources: ResourceRepository, resource: ResourceRecord, revision: number): Promise<ResourceRecord> {
  if (revision === resource.revision) return resource;
  const entry = (await resources.history(resource.uuid)).find((e) => e.revision === revision);
  const label = `${resource.kind}/${resource.name}`;
  if (entry === undefined) {
    throw new NotFoundError('revision', `${label}@${revision}`, { hint: `list its revisions with: agentgw resource history ${label}` });
  }
  if (!isDeployable(resource.kind, entry)) {
    throw new ConflictError('AGW_REVISION_SECRETS_UNAVAILABLE', `revision ${revision} of ${label} was stored before revisions kept their secret values; it cannot be sent again`, {
      hint: `apply that manifest again with its values (a new revision), or roll back to a later revision (see: agentgw resource history ${label})`,
    });
  }
  return { ...resource, revision, apiVersion: entry.apiVersion, metadata: entry.metadata, spec: entry.spec, specDigest: entry.specDigest, secrets: entry.secrets };
}
