/**
 * Deployments: resources put on gateways, one row per (resource, gateway). One file per concern:
 * - rollout.ts: deploy (and its dry run), wave by wave of `concurrency` calls;
 * - undeploy.ts: taking a resource off its gateways;
 * - reconcile.ts: settling rows a crashed process left in flight;
 * - drift.ts: what runs where, and what a gateway holds against the rows;
 * - decommission.ts: deleting a gateway or resource safely (with drain);
 * - scope.ts, leases.ts, results.ts: what they share.
 */
import type { RollbackRequest } from '../../domain/rollouts.js';
import type { Deployment, DeploymentFilter, DeploymentMatrix, DeployReport, DeployRequest, DriftReport, UndeployRequest } from '../../domain/resources.js';
import type { DeploymentQuery } from '../../store/repositories/deployments.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import type { ResourceRecord } from '../../store/repositories/resources.js';
import type { ServiceContext } from '../context.js';
import { rejectUnknownFields } from '../input.js';
import { decommissionGateway, deleteResource, type DecommissionOptions } from './decommission.js';
import { drift, matrix } from './drift.js';
import { reconcile } from './reconcile.js';
import { rollback } from './rollback.js';
import { presentDeployment, resolveResource, type DeployOptions } from './results.js';
import { deploy } from './rollout.js';
import { DeploymentScope } from './scope.js';
import { undeploy } from './undeploy.js';

export { attemptOwner, DEPLOY_LEASE_MS } from './leases.js';
export { DEFAULT_DEPLOY_CONCURRENCY, MAX_DEPLOY_CONCURRENCY, presentDeployment, resolveResource, type DeployOptions, type DeployProgress } from './results.js';
export type { DecommissionOptions } from './decommission.js';

export class DeploymentService {
  private readonly scope: DeploymentScope;

  constructor(context: ServiceContext) {
    this.scope = new DeploymentScope(context);
  }

  /** Deploys the resource's latest revision to every target that does not hold it yet. */
  deploy(request: DeployRequest, options: DeployOptions = {}): Promise<DeployReport> {
    return deploy(this.scope, request, options);
  }

  /** Takes the resource off every target that has it (by the control plane's records). */
  undeploy(request: UndeployRequest, options: DeployOptions = {}): Promise<DeployReport> {
    return undeploy(this.scope, request, options);
  }

  /** Deploys an earlier revision (the one before the latest, or `toRevision`) where another one runs. */
  rollback(request: RollbackRequest, options: DeployOptions = {}): Promise<DeployReport> {
    return rollback(this.scope, request, options);
  }

  async list(filter: DeploymentFilter = {}): Promise<Deployment[]> {
    rejectUnknownFields(filter, ['environment', 'gateway', 'resource'], 'deployment filter');
    const scope = this.scope;
    const query: DeploymentQuery = {};
    if (filter.environment !== undefined) query.environmentUuid = (await scope.requireEnvironment(filter.environment)).uuid;
    if (filter.gateway !== undefined) query.gatewayUuids = [(await scope.requireGateway(filter.gateway)).uuid];
    if (filter.resource !== undefined) query.resourceUuid = (await resolveResource(scope.resources, filter.resource)).uuid;
    return (await scope.deployments.list(query)).map(presentDeployment);
  }

  /** Resources × gateways of an environment: one row per resource deployed to any of them. */
  matrix(environmentRef: string): Promise<DeploymentMatrix> {
    return matrix(this.scope, environmentRef);
  }

  /** Desired state (the rows) against what each gateway of the environment lists. */
  drift(environmentRef: string): Promise<DriftReport> {
    return drift(this.scope, environmentRef);
  }

  /** Settles in-flight rows abandoned by a process that is gone; returns how many it settled. */
  reconcile(): Promise<number> {
    return reconcile(this.scope);
  }

  /** How many resources the control plane believes a gateway holds. */
  countDeployed(gatewayUuid: string): Promise<number> {
    return this.scope.deployments.countDeployed(gatewayUuid);
  }

  /** Deletes a gateway safely: refused while deployments may still be on it, unless drained. */
  decommissionGateway(gateway: GatewayRecord, options: DecommissionOptions): Promise<void> {
    return decommissionGateway(this.scope, gateway, options);
  }

  /** Deletes a resource and its revisions; refused while it may still be on a gateway. */
  deleteResource(resource: ResourceRecord): Promise<void> {
    return deleteResource(this.scope, resource);
  }
}
