/**
 * Deploy: a resource's latest revision sent to every gateway of an environment that fits the
 * kind (AI kinds to EGRESS gateways, RestApi to INGRESS) or to one gateway, at most
 * `concurrency` at a time. Each gateway's row is written PENDING before the call and settled
 * DEPLOYED or FAILED after it. A row already DEPLOYED at the latest revision is checked against
 * the gateway and left alone when the gateway holds it, so re-running converges.
 *
 * Secrets: the manifest's secret values are opened only for the deploy call itself, and cut from
 * whatever error comes back. A manifest naming a Secret (`{{ secret "NAME" }}`) goes only to
 * gateways that hold that Secret, deployed by agentgw.
 */
import { randomUUID } from 'node:crypto';
import type { GatewayTarget, ResourceManifest } from '../../adapters/adapter.js';
import { secretReferences, withSecretValues } from '../../domain/manifest-secrets.js';
import { specMatches } from '../../domain/manifests.js';
import type { DeployReport, DeployRequest, TargetResult } from '../../domain/resources.js';
import { openSecretFields } from '../../domain/sealed-manifest.js';
import { SecretScrubber } from '../../secrets/scrubber.js';
import type { Attempt, ClaimOutcome, DeploymentRow } from '../../store/repositories/deployments.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import { manifestOf, type ResourceRecord } from '../../store/repositories/resources.js';
import { rejectUnknownFields } from '../input.js';
import { forEachLimit } from '../pool.js';
import { attemptOwner } from './leases.js';
import { reconcile } from './reconcile.js';
import {
  byGateway,
  checkConcurrency,
  interruptedResult,
  messageOf,
  plannedAction,
  report,
  resolveResource,
  SettleBatch,
  type DeployOptions,
  type Targets,
} from './results.js';
import type { DeploymentScope } from './scope.js';

/** PENDING rows written per transaction. */
const CLAIM_BATCH = 250;

/** Deploys the resource's latest revision to every target that does not hold it yet. */
export async function deploy(scope: DeploymentScope, request: DeployRequest, options: DeployOptions = {}): Promise<DeployReport> {
  rejectUnknownFields(request, ['resource', 'environment', 'gateway', 'dryRun', 'concurrency'], 'deploy request');
  const concurrency = checkConcurrency(request.concurrency);
  const dryRun = request.dryRun === true;
  const resource = await resolveResource(scope.resources, request.resource);
  const targets = await scope.targets(resource, request, true);
  if (!dryRun) await reconcile(scope);
  const rows = byGateway(await scope.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: targets.fitting.map((g) => g.uuid) }));
  let results: TargetResult[];
  if (dryRun) {
    const unresolved = await unresolvedSecrets(scope, resource, targets.fitting);
    results = await scope.fanOut(
      targets,
      concurrency,
      options,
      (gateway) => planOne(scope, resource, gateway, rows.get(gateway.uuid), unresolved.get(gateway.uuid)),
      (gateway) => interruptedResult(gateway, plannedAction(rows.get(gateway.uuid)), resource.revision, rows.get(gateway.uuid)),
    );
  } else {
    results = await rollOut(scope, resource, targets, rows, concurrency, options);
  }
  return report(resource, targets.target, 'deploy', dryRun, concurrency, results);
}

// ------------------------------------------------------------------ one gateway

/**
 * A deploy in three steps, so the database is not in the way of the calls: (1) gateways whose
 * row says they hold this revision are asked, and left alone when they do; (2) every other
 * target gets its PENDING row, a few hundred per transaction, before any call is made; (3) the
 * gateways are called, `concurrency` at a time, and successes are settled in batches (a crash
 * before a batch is written leaves PENDING rows, which reconciliation settles).
 */
export async function rollOut(
  scope: DeploymentScope,
  resource: ResourceRecord,
  targets: Targets,
  rows: Map<string, DeploymentRow>,
  concurrency: number,
  options: DeployOptions,
): Promise<TargetResult[]> {
  const results: TargetResult[] = [...targets.skipped];
  const total = targets.fitting.length;
  const finish = (result: TargetResult) => {
    results.push(result);
    options.onProgress?.({ done: results.length - targets.skipped.length, total, result });
  };
  const base = (gateway: GatewayRecord) => ({ gateway: gateway.name, gatewayId: gateway.uuid, revision: resource.revision });
  const failed = (gateway: GatewayRecord, action: 'create' | 'update', error: unknown): TargetResult => ({
    ...base(gateway),
    action,
    status: rows.get(gateway.uuid)?.status ?? null,
    ok: false,
    error: messageOf(error),
    detail: null,
  });
  // Not reported as progress: an interrupted deploy says at the end how many it did not call.
  const notCalled = (gateway: GatewayRecord, action: 'create' | 'update') => {
    results.push(interruptedResult(gateway, action, resource.revision, rows.get(gateway.uuid)));
  };
  const unresolved = await unresolvedSecrets(scope, resource, targets.fitting);

  // 1. Verify what the records say is already there; plan the rest.
  const planned: Array<{ gateway: GatewayRecord; target: GatewayTarget; action: 'create' | 'update' }> = [];
  await forEachLimit(targets.fitting, concurrency, async (gateway) => {
    const row = rows.get(gateway.uuid);
    let action = plannedAction(row);
    if (options.signal?.aborted) return notCalled(gateway, action);
    let target: GatewayTarget;
    try {
      target = scope.target(gateway);
    } catch (error) {
      finish(failed(gateway, action, error));
      return;
    }
    const missing = unresolved.get(gateway.uuid);
    if (missing !== undefined) {
      finish(failed(gateway, action, missing));
      return;
    }
    if (row?.status === 'DEPLOYED' && row.deployedRevision === resource.revision) {
      const held = await scope.context.adapter.getResource(target, resource.kind, resource.name).catch(() => undefined);
      if (held && specMatches(resource.kind, resource.spec, held.spec, false)) {
        finish({ ...base(gateway), action: 'no-op', status: 'DEPLOYED', ok: true, error: null, detail: `already at revision ${resource.revision}` });
        return;
      }
      // Gone, changed, or not answering: deploy again (a gateway that is down fails the call).
      if (held !== undefined) action = held === null ? 'create' : 'update';
    }
    planned.push({ gateway, target, action });
  });

  // 2. A PENDING row for each, written before any of them is called.
  const attempt: Attempt = { id: randomUUID(), owner: attemptOwner() };
  const claimed = new Map<string, string>();
  for (let start = 0; start < planned.length; start += CLAIM_BATCH) {
    const chunk = planned.slice(start, start + CLAIM_BATCH);
    if (options.signal?.aborted) {
      for (const p of chunk) notCalled(p.gateway, p.action);
      continue;
    }
    let outcomes: Map<string, ClaimOutcome>;
    try {
      outcomes = await scope.deployments.claimDeploy(resource.uuid, resource.revision, chunk.map((p) => p.gateway.uuid), attempt, scope.context.clock());
    } catch (error) {
      for (const p of chunk) finish(failed(p.gateway, p.action, error));
      continue;
    }
    for (const { gateway, action } of chunk) {
      const outcome = outcomes.get(gateway.uuid);
      if (outcome?.claimed) claimed.set(gateway.uuid, outcome.deploymentUuid);
      else finish(failed(gateway, action, `gateway "${gateway.name}" ${outcome?.reason === 'decommissioning' ? 'is being decommissioned' : 'was deleted'}; nothing was sent to it`));
    }
  }

  // 3. The calls.
  const settled = new SettleBatch(scope.deployments, attempt.id, { status: 'DEPLOYED', deployedRevision: resource.revision, errorMessage: null }, scope.context.clock, concurrency);
  const claimedPlans = planned.filter((p) => claimed.has(p.gateway.uuid));
  const secrets = claimedPlans.length === 0 ? [] : openSecretFields(resource.secrets, scope.context.secrets);
  const stored = manifestOf(resource);
  const manifest = { ...stored, spec: withSecretValues(stored.spec, secrets) };
  // A gateway that echoes what it was sent must not get the values into a stored error.
  const scrubber = new SecretScrubber(secrets.map((field) => field.value));
  const uncalled: Array<{ uuid: string; previous: DeploymentRow | undefined }> = [];
  await forEachLimit(
    claimedPlans,
    concurrency,
    async ({ gateway, target, action }) => {
      const deploymentUuid = claimed.get(gateway.uuid)!;
      if (options.signal?.aborted) {
        uncalled.push({ uuid: deploymentUuid, previous: rows.get(gateway.uuid) });
        return notCalled(gateway, action);
      }
      try {
        const outcome = await scope.context.adapter.deployResource(target, manifest);
        const result: TargetResult = { ...base(gateway), action: outcome.action === 'created' ? 'create' : 'update', status: 'DEPLOYED', ok: true, error: null, detail: null };
        settled.add(deploymentUuid, result);
        finish(result);
      } catch (error) {
        const message = scrubber.scrub(messageOf(error));
        await scope.deployments.settle([deploymentUuid], attempt.id, { status: 'FAILED', errorMessage: message }, scope.context.clock()).catch(() => 0);
        finish({ ...base(gateway), action, status: 'FAILED', ok: false, error: message, detail: null });
      }
    },
  );
  await settled.flush();
  await scope.deployments.release(attempt.id, uncalled);
  return results.sort((a, b) => a.gateway.localeCompare(b.gateway));
}

/** Dry run: what deploying would do on one gateway, asking the gateway what it holds. */
export async function planOne(scope: DeploymentScope, resource: ResourceRecord, gateway: GatewayRecord, row: DeploymentRow | undefined, unresolved: string | undefined): Promise<TargetResult> {
  const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: resource.revision, status: row?.status ?? null };
  const recorded = row?.status === 'DEPLOYED' && row.deployedRevision === resource.revision;
  if (unresolved !== undefined) {
    return { ...base, action: recorded ? 'no-op' : row?.deployedRevision === null || row === undefined ? 'create' : 'update', ok: false, error: unresolved, detail: null };
  }
  let held: ResourceManifest | null;
  try {
    held = await scope.context.adapter.getResource(scope.target(gateway), resource.kind, resource.name);
  } catch (error) {
    const action = recorded ? 'no-op' : row?.deployedRevision === null || row === undefined ? 'create' : 'update';
    return { ...base, action, reachable: false, ok: false, error: `unreachable: ${messageOf(error)}`, detail: null };
  }
  if (held === null) return { ...base, action: 'create', reachable: true, ok: true, error: null, detail: null };
  if (recorded && specMatches(resource.kind, resource.spec, held.spec, false)) {
    return { ...base, action: 'no-op', reachable: true, ok: true, error: null, detail: `already at revision ${resource.revision}` };
  }
  return { ...base, action: 'update', reachable: true, ok: true, error: null, detail: null };
}

/**
 * For each gateway that lacks a Secret the resource refers to (`{{ secret "NAME" }}`), why it
 * cannot take the resource: the controller would refuse it, or worse, resolve nothing.
 */
export async function unresolvedSecrets(scope: DeploymentScope, resource: ResourceRecord, gateways: readonly GatewayRecord[]): Promise<Map<string, string>> {
  const names = [...new Set(secretReferences(resource.spec).map((reference) => reference.name))];
  const unresolved = new Map<string, string>();
  if (names.length === 0 || gateways.length === 0) return unresolved;
  const secrets = (await scope.resources.list({ kind: 'Secret' })).filter((record) => names.includes(record.name));
  const deployed = new Map<string, Set<string>>();
  for (const secret of secrets) {
    for (const row of await scope.deployments.list({ resourceUuid: secret.uuid, gatewayUuids: gateways.map((g) => g.uuid) })) {
      if (row.status !== 'DEPLOYED') continue;
      deployed.set(row.gatewayUuid, (deployed.get(row.gatewayUuid) ?? new Set()).add(secret.name));
    }
  }
  for (const gateway of gateways) {
    const missing = names.filter((name) => !deployed.get(gateway.uuid)?.has(name));
    if (missing.length === 0) continue;
    const listed = missing.map((name) => `Secret/${name}`).join(', ');
    unresolved.set(gateway.uuid, `refers to ${listed}, which ${missing.length === 1 ? 'is' : 'are'} not deployed to gateway "${gateway.name}"; nothing was sent: deploy ${listed} to it first`);
  }
  return unresolved;
}
