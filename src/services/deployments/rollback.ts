/**
 * Going back: a resource's earlier revision (the one before the latest, or one named) deployed to
 * every gateway of the target that runs another one; and, for a rollout whose gate failed, each
 * gateway put back on the revision it ran before (or cleared, when it ran none).
 */
import type { DeployReport, TargetResult } from '../../domain/resources.js';
import { ValidationError } from '../../domain/errors.js';
import type { RollbackRequest } from '../../domain/rollouts.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import type { ResourceRecord } from '../../store/repositories/resources.js';
import { rejectUnknownFields } from '../input.js';
import { recordAtRevision } from '../revisions.js';
import { reconcile } from './reconcile.js';
import { byGateway, checkConcurrency, report, resolveResource, type DeployOptions } from './results.js';
import { rollOut } from './rollout.js';
import type { DeploymentScope } from './scope.js';
import { undeploy } from './undeploy.js';

export async function rollback(scope: DeploymentScope, request: RollbackRequest, options: DeployOptions = {}): Promise<DeployReport> {
  rejectUnknownFields(request, ['resource', 'environment', 'gateway', 'toRevision', 'concurrency'], 'rollback request');
  const concurrency = checkConcurrency(request.concurrency);
  const resource = await resolveResource(scope.resources, request.resource);
  const to = request.toRevision ?? resource.revision - 1;
  if (!Number.isInteger(to) || to < 1 || to > resource.revision) {
    const why = request.toRevision === undefined ? `${resource.kind}/${resource.name} has only revision 1: there is nothing to go back to` : `must be a revision from 1 to ${resource.revision}`;
    throw ValidationError.field('toRevision', why);
  }
  const record = await recordAtRevision(scope.resources, resource, to);
  const targets = await scope.targets(resource, request, true);
  await reconcile(scope);
  const rows = byGateway(await scope.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: targets.fitting.map((g) => g.uuid) }));
  const runs = (gateway: GatewayRecord) => {
    const row = rows.get(gateway.uuid);
    return row !== undefined && row.status !== 'UNDEPLOYED' && row.deployedRevision !== null;
  };
  const notRunning: TargetResult[] = targets.fitting
    .filter((gateway) => !runs(gateway))
    .map((gateway) => ({ gateway: gateway.name, gatewayId: gateway.uuid, action: 'skip', status: rows.get(gateway.uuid)?.status ?? null, revision: to, ok: true, error: null, detail: 'does not run it' }));
  const fitting = targets.fitting.filter(runs);
  const results = await rollOut(scope, record, { ...targets, fitting, skipped: [...targets.skipped, ...notRunning] }, rows, concurrency, options);
  return report(record, targets.target, 'deploy', false, concurrency, results);
}

/**
 * Puts each gateway back on the revision it ran before (`previous`: gateway uuid → revision, or
 * null for none: the resource is taken off it). Returns the results, failures included.
 */
export async function restorePrevious(
  scope: DeploymentScope,
  resource: ResourceRecord,
  gateways: readonly GatewayRecord[],
  previous: ReadonlyMap<string, number | null>,
  concurrency: number,
): Promise<TargetResult[]> {
  const byRevision = new Map<number | null, GatewayRecord[]>();
  for (const gateway of gateways) {
    const revision = previous.get(gateway.uuid) ?? null;
    byRevision.set(revision, [...(byRevision.get(revision) ?? []), gateway]);
  }
  const results: TargetResult[] = [];
  for (const [revision, group] of byRevision) {
    if (revision === null) {
      for (const gateway of group) results.push(...(await undeploy(scope, { resource: resource.uuid, gateway: gateway.uuid, concurrency })).results);
      continue;
    }
    const record = await recordAtRevision(scope.resources, resource, revision);
    const rows = byGateway(await scope.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: group.map((g) => g.uuid) }));
    results.push(...(await rollOut(scope, record, { fitting: group, skipped: [], target: {} }, rows, concurrency, {})));
  }
  return results.sort((a, b) => a.gateway.localeCompare(b.gateway));
}
