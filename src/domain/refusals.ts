/**
 * Why a delete is refused, said the same way wherever it is found: by the service that refuses
 * it, and by the CLI, which checks before it asks "delete?" so that a "yes" is never met with a
 * refusal.
 */
import { ConflictError } from './errors.js';
import type { Deployment } from './resources.js';

const LISTED = 10;

const listed = (names: string[]) => `${names.slice(0, LISTED).join(', ')}${names.length > LISTED ? ` and ${names.length - LISTED} more` : ''}`;

export function environmentInUse(name: string, gateways: string[]): ConflictError {
  return new ConflictError('AGW_ENVIRONMENT_IN_USE', `environment "${name}" still has ${gateways.length} gateway(s): ${listed(gateways)}`, {
    hint: 'remove the gateways from it first, or delete with --force to remove the mappings',
    details: { gateways },
  });
}

/** `deployments`: `Kind/name@gateway` of each deployment still on the environment's gateways. */
export function environmentHasDeployments(name: string, deployments: string[]): ConflictError {
  return new ConflictError('AGW_ENVIRONMENT_HAS_DEPLOYMENTS', `environment "${name}" has ${deployments.length} active deployment(s): ${listed(deployments)}`, {
    hint: `undeploy them first: agentgw undeploy RESOURCE --env ${name}`,
    details: { deployments },
  });
}

/** A gateway or a resource that deployments stand in the way of. */
export function hasDeployments(what: 'gateway' | 'resource', name: string, blocking: Deployment[]): ConflictError {
  const code = what === 'gateway' ? 'AGW_GATEWAY_HAS_DEPLOYMENTS' : 'AGW_RESOURCE_HAS_DEPLOYMENTS';
  const hint =
    what === 'gateway'
      ? `undeploy them first (agentgw undeploy RESOURCE --gateway ${name}), or delete with --drain to undeploy everything and then delete`
      : `undeploy it first: agentgw undeploy ${name} --env NAME (or --gateway NAME)`;
  return new ConflictError(code, `${what} "${name}" has ${blocking.length} active deployment(s): ${listed(blocking.map((d) => `${d.name} (${d.status})`))}`, {
    hint,
    details: { deployments: blocking },
  });
}

/** A registration of a controller that is registered already, under another name. */
export function duplicateControlPlaneUrl(url: string, gateways: string[]): ConflictError {
  return new ConflictError('AGW_DUPLICATE_URL', `${url} is already registered as gateway ${gateways.map((g) => `"${g}"`).join(', ')}`, {
    hint: 'two registrations of one controller report each other’s resources as unexpected drift; to register it anyway, pass --allow-duplicate-url (REST: "allowDuplicateUrl": true)',
    details: { controlPlaneUrl: url, gateways },
  });
}
