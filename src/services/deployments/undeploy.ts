/** Undeploy: a resource taken off every gateway that has it (by the control plane's records). */
import { randomUUID } from 'node:crypto';
import type { TargetResult, UndeployRequest } from '../../domain/resources.js';
import type { Attempt, DeploymentRow } from '../../store/repositories/deployments.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import type { ResourceRecord } from '../../store/repositories/resources.js';
import { rejectUnknownFields } from '../input.js';
import { attemptOwner } from './leases.js';
import { reconcile } from './reconcile.js';
import { byGateway, checkConcurrency, interruptedResult, messageOf, report, resolveResource, SettleBatch, type DeployOptions } from './results.js';
import type { DeploymentScope } from './scope.js';
import type { DeployReport } from '../../domain/resources.js';

/** Takes the resource off every target that has it (by the control plane's records). */
export async function undeploy(scope: DeploymentScope, request: UndeployRequest, options: DeployOptions = {}): Promise<DeployReport> {
  rejectUnknownFields(request, ['resource', 'environment', 'gateway', 'dryRun', 'concurrency'], 'undeploy request');
  const concurrency = checkConcurrency(request.concurrency);
  const dryRun = request.dryRun === true;
  const resource = await resolveResource(scope.resources, request.resource);
  const targets = await scope.targets(resource, request, false);
  if (!dryRun) await reconcile(scope);
  const rows = byGateway(await scope.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: targets.fitting.map((g) => g.uuid) }));
  if (dryRun) {
    const results = await scope.fanOut(
      targets,
      concurrency,
      options,
      (gateway) => planRemoval(scope, resource, gateway, rows.get(gateway.uuid)),
      (gateway) => interruptedResult(gateway, 'remove', resource.revision, rows.get(gateway.uuid)),
    );
    return report(resource, targets.target, 'undeploy', true, concurrency, results);
  }
  const attempt: Attempt = { id: randomUUID(), owner: attemptOwner() };
  const now = scope.context.clock();
  const claimable = [...rows.values()].filter((row) => row.status !== 'UNDEPLOYED' && !scope.inProgress(row, now));
  await scope.deployments.claimUndeploy(
    claimable.map((row) => row.uuid),
    attempt,
    now,
  );
  const claimed = new Set(claimable.map((row) => row.uuid));
  const removed = new SettleBatch(scope.deployments, attempt.id, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, scope.context.clock, concurrency);
  const removeFrom = async (gateway: GatewayRecord): Promise<TargetResult> => {
    const row = rows.get(gateway.uuid);
    const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: row?.revision ?? resource.revision };
    if (row === undefined || row.status === 'UNDEPLOYED') {
      return { ...base, action: 'no-op', status: row?.status ?? null, ok: true, error: null, detail: 'not deployed here' };
    }
    if (!claimed.has(row.uuid)) {
      return { ...base, action: 'remove', status: row.status, ok: false, error: 'a deploy of this resource to the gateway is in progress; retry when it ends', detail: null };
    }
    return undeployOne(scope, resource, gateway, row, attempt, removed);
  };
  const results = await scope.fanOut(targets, concurrency, options, removeFrom, (gateway) => interruptedResult(gateway, 'remove', resource.revision, rows.get(gateway.uuid)));
  await removed.flush();
  const uncalled = results.filter((result) => result.interrupted === true).flatMap((result) => {
    const row = rows.get(result.gatewayId);
    return row !== undefined && claimed.has(row.uuid) ? [{ uuid: row.uuid, previous: row }] : [];
  });
  await scope.deployments.release(attempt.id, uncalled);
  return report(resource, targets.target, 'undeploy', false, concurrency, results);
}

/** Dry run of an undeploy: what removing the resource from one gateway would do. */
export async function planRemoval(scope: DeploymentScope, resource: ResourceRecord, gateway: GatewayRecord, row: DeploymentRow | undefined): Promise<TargetResult> {
  const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: row?.revision ?? resource.revision, status: row?.status ?? null };
  if (row === undefined || row.status === 'UNDEPLOYED') return { ...base, action: 'no-op', ok: true, error: null, detail: 'not deployed here' };
  if (scope.inProgress(row, scope.context.clock())) {
    return { ...base, action: 'remove', ok: false, error: 'a deploy of this resource to the gateway is in progress; retry when it ends', detail: null };
  }
  try {
    const held = await scope.context.adapter.getResource(scope.target(gateway), resource.kind, resource.name);
    return { ...base, action: 'remove', reachable: true, ok: true, error: null, detail: held === null ? 'not on the gateway: only the record is cleared' : null };
  } catch (error) {
    return { ...base, action: 'remove', reachable: false, ok: false, error: `unreachable: ${messageOf(error)}`, detail: null };
  }
}

/** Removes one resource from one gateway; with `batch`, the success is settled with others. */
export async function undeployOne(
  scope: DeploymentScope,
  resource: Pick<ResourceRecord, 'kind' | 'name'>,
  gateway: GatewayRecord,
  row: DeploymentRow,
  attempt: Attempt,
  batch?: SettleBatch,
): Promise<TargetResult> {
  const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: row.revision, action: 'remove' as const };
  try {
    await scope.context.adapter.undeployResource(scope.target(gateway), resource.kind, resource.name);
    const result: TargetResult = { ...base, status: 'UNDEPLOYED', ok: true, error: null, detail: null };
    if (batch) batch.add(row.uuid, result);
    else await scope.deployments.settle([row.uuid], attempt.id, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, scope.context.clock());
    return result;
  } catch (error) {
    const message = messageOf(error);
    await scope.deployments.settle([row.uuid], attempt.id, { status: 'FAILED', errorMessage: message }, scope.context.clock()).catch(() => 0);
    return { ...base, status: 'FAILED', ok: false, error: message, detail: null };
  }
}
