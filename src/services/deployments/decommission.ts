/**
 * Safe decommission: a gateway (or resource) with rows other than UNDEPLOYED is not deleted;
 * the delete runs in a transaction that holds the gateway row, and the RESTRICT foreign keys
 * refuse it should anything slip through. A delete takes a short lease on the gateway first, so
 * deploys that arrive while it deprovisions are refused, told why.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, GatewayError, NotFoundError } from '../../domain/errors.js';
import { hasDeployments } from '../../domain/refusals.js';
import type { Attempt, DeploymentRow } from '../../store/repositories/deployments.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import type { ResourceRecord } from '../../store/repositories/resources.js';
import { forEachLimit } from '../pool.js';
import { attemptOwner, DEPLOY_LEASE_MS } from './leases.js';
import { RECONCILE_CONCURRENCY } from './reconcile.js';
import { DEFAULT_DEPLOY_CONCURRENCY, label, presentDeployment } from './results.js';
import type { DeploymentScope } from './scope.js';
import { undeployOne } from './undeploy.js';

const LISTED_BLOCKERS = 10;

export interface DecommissionOptions {
  /** Undeploy everything from the gateway first, instead of refusing. */
  drain: boolean;
  /** The adapter's part (a cloud gateway is deprovisioned), run once nothing can deploy to it. */
  deregister: () => Promise<void>;
}

/**
 * Deletes a gateway safely: refused (409, listing them) while deployments may still be on it,
 * unless `drain` undeploys them first. The final delete holds the gateway row and is backed by
 * the RESTRICT key, so a deploy racing it can never leave a deployment behind.
 */
export async function decommissionGateway(scope: DeploymentScope, gateway: GatewayRecord, options: DecommissionOptions): Promise<void> {
  if (!options.drain) await confirmFailed(scope, await scope.deployments.list({ gatewayUuids: [gateway.uuid], statuses: ['FAILED'] }));
  const now = scope.context.clock();
  const mark = await scope.deployments.markDecommissioning(gateway.uuid, new Date(now.getTime() + DEPLOY_LEASE_MS), now, options.drain);
  if (!mark.marked) {
    if (mark.reason === 'gone') throw new NotFoundError('gateway', gateway.name);
    if (mark.reason === 'busy') {
      throw new ConflictError('AGW_GATEWAY_DECOMMISSIONING', `gateway "${gateway.name}" is already being deleted`, {
        hint: `wait for that delete to finish (its lease ends at ${mark.until.toISOString()})`,
      });
    }
    throw hasDeployments('gateway', gateway.name, mark.blocking.map(presentDeployment));
  }
  try {
    if (options.drain) await drain(scope, gateway);
    await options.deregister();
    const result = await scope.deployments.deleteGateway(gateway.uuid);
    if (!result.deleted) {
      if (result.blocking.length > 0) throw hasDeployments('gateway', gateway.name, result.blocking.map(presentDeployment));
      throw new NotFoundError('gateway', gateway.name);
    }
  } catch (error) {
    await scope.deployments.clearDecommissioning(gateway.uuid).catch(() => {});
    throw error;
  }
}

/** Deletes a resource and its revisions; refused while it may still be on a gateway. */
export async function deleteResource(scope: DeploymentScope, resource: ResourceRecord): Promise<void> {
  await confirmFailed(scope, await scope.deployments.list({ resourceUuid: resource.uuid, statuses: ['FAILED'] }));
  const result = await scope.deployments.deleteResource(resource.uuid);
  if (result.deleted) return;
  if (result.blocking.length > 0) throw hasDeployments('resource', `${resource.kind}/${resource.name}`, result.blocking.map(presentDeployment));
  throw new NotFoundError('resource', `${resource.kind}/${resource.name}`);
}

/**
 * FAILED rows may or may not be on their gateway. Asks each gateway; the ones it does not hold
 * become UNDEPLOYED and stop standing in the way. Unanswered ones stay FAILED (and in the way).
 */
export async function confirmFailed(scope: DeploymentScope, rows: DeploymentRow[]): Promise<void> {
  await forEachLimit(rows, RECONCILE_CONCURRENCY, async (row) => {
    if (row.attemptId === null) return;
    const gateway = await scope.gateways.find(row.gatewayUuid);
    if (gateway === undefined) return;
    try {
      const held = await scope.context.adapter.getResource(scope.target(gateway), row.resourceKind, row.resourceName);
      if (held === null) {
        await scope.deployments.settle([row.uuid], row.attemptId, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, scope.context.clock());
      }
    } catch {
      // Unknown: it stays FAILED, which keeps the gateway from being deleted.
    }
  });
}

/** Undeploys every resource of a gateway being decommissioned; throws when any stays. */
export async function drain(scope: DeploymentScope, gateway: GatewayRecord): Promise<void> {
  const now = scope.context.clock();
  const rows = (await scope.deployments.list({ gatewayUuids: [gateway.uuid] })).filter((row) => row.status !== 'UNDEPLOYED');
  const busy = rows.filter((row) => scope.inProgress(row, now));
  if (busy.length > 0) {
    throw new ConflictError('AGW_DEPLOY_IN_PROGRESS', `gateway "${gateway.name}" has ${busy.length} deployment(s) in progress: ${busy.map(label).join(', ')}`, {
      hint: 'retry when they have finished',
    });
  }
  const attempt: Attempt = { id: randomUUID(), owner: attemptOwner() };
  await scope.deployments.claimUndeploy(
    rows.map((row) => row.uuid),
    attempt,
    now,
  );
  const failures: string[] = [];
  await forEachLimit(rows, DEFAULT_DEPLOY_CONCURRENCY, async (row) => {
    const result = await undeployOne(scope, { kind: row.resourceKind, name: row.resourceName }, gateway, row, attempt);
    if (!result.ok) failures.push(`${label(row)}: ${result.error ?? 'failed'}`);
  });
  if (failures.length > 0) {
    throw new GatewayError('AGW_GATEWAY_DRAIN_FAILED', `could not undeploy ${failures.length} resource(s) from gateway "${gateway.name}"; it was not deleted: ${failures.slice(0, LISTED_BLOCKERS).join('; ')}`, {
      hint: 'bring the gateway back and retry, or undeploy them one by one',
      details: { failures },
    });
  }
}

// ------------------------------------------------------------------ helpers

