/**
 * Crash safety: PENDING/UNDEPLOYING rows whose process is gone (same host, dead pid) or whose
 * lease lapsed (another host) are settled by asking the gateway what it holds: at the start of
 * every deploy, and when the daemon starts.
 */
import type { ResourceManifest } from '../../adapters/adapter.js';
import { DeploymentRepository, type DeploymentRow } from '../../store/repositories/deployments.js';
import { GatewayRepository } from '../../store/repositories/gateways.js';
import { ResourceRepository } from '../../store/repositories/resources.js';
import { forEachLimit } from '../pool.js';
import { matchRevision } from './drift.js';
import { messageOf } from './results.js';
import type { DeploymentScope } from './scope.js';

export const RECONCILE_CONCURRENCY = 16;

/**
 * Settles in-flight rows abandoned by a process that is gone: the gateway is asked whether it
 * holds the resource, and at which revision. Rows of live processes are left alone. Returns
 * how many rows it settled.
 */
export async function reconcile(scope: DeploymentScope): Promise<number> {
  const now = scope.context.clock();
  const everyone = new DeploymentRepository(scope.context.store, null);
  const abandoned = (await everyone.inFlight()).filter((row) => !scope.inProgress(row, now));
  let settled = 0;
  await forEachLimit(abandoned, RECONCILE_CONCURRENCY, async (row) => {
    try {
      const count = await reconcileOne(scope, everyone, row);
      settled += count;
    } catch (error) {
      scope.context.logger.warn(`could not reconcile deployment ${row.resourceKind}/${row.resourceName}@${row.gatewayName}: ${messageOf(error)}`);
    }
  });
  if (settled > 0) scope.context.logger.info(`reconciled ${settled} interrupted deployment(s)`);
  return settled;
}

/** Settles one abandoned row from what the gateway holds; returns 1 when it settled it. */
export async function reconcileOne(scope: DeploymentScope, everyone: DeploymentRepository, row: DeploymentRow): Promise<number> {
  const gateway = await new GatewayRepository(scope.context.store, row.organizationId).find(row.gatewayUuid);
  if (gateway === undefined || row.attemptId === null) return 0;
  const now = () => scope.context.clock();
  let held: ResourceManifest | null;
  try {
    held = await scope.context.adapter.getResource(scope.target(gateway), row.resourceKind, row.resourceName);
  } catch (error) {
    return everyone.settle([row.uuid], row.attemptId, { status: 'FAILED', errorMessage: `interrupted; the gateway could not be asked what it holds: ${messageOf(error)}` }, now());
  }
  if (held === null) {
    if (row.operation === 'undeploy') return everyone.settle([row.uuid], row.attemptId, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, now());
    return everyone.settle([row.uuid], row.attemptId, { status: 'FAILED', deployedRevision: null, errorMessage: 'interrupted before the gateway took it; deploy again' }, now());
  }
  const revisions = (await new ResourceRepository(scope.context.store, row.organizationId).revisions([row.resourceUuid])).get(row.resourceUuid) ?? [];
  const actual = matchRevision(row.resourceKind, held.spec, revisions, row.revision);
  if (row.operation === 'deploy' && actual === row.revision) {
    return everyone.settle([row.uuid], row.attemptId, { status: 'DEPLOYED', deployedRevision: actual, errorMessage: null }, now());
  }
  const holds = actual === null ? 'a spec matching no revision' : `revision ${actual}`;
  const what = row.operation === 'undeploy' ? 'undeploy interrupted' : 'deploy interrupted';
  return everyone.settle([row.uuid], row.attemptId, { status: 'FAILED', deployedRevision: actual, errorMessage: `${what}; the gateway holds ${holds}` }, now());
}
