/**
 * Deployments: resources put on gateways, one row per (resource, gateway).
 *
 * - **Deploy** fans out to every gateway of an environment that fits the kind (AI kinds to
 *   EGRESS gateways, RestApi to INGRESS) or to one gateway, at most `concurrency` at a time.
 *   Each gateway's row is written PENDING before the call and settled DEPLOYED or FAILED after
 *   it. A row already DEPLOYED at the latest revision is checked against the gateway and left
 *   alone when the gateway holds it, so re-running converges and touches only what differs.
 * - **Crash safety**: PENDING/UNDEPLOYING rows whose process is gone (same host, dead pid) or
 *   whose lease lapsed (another host) are settled by asking the gateway what it holds: at the
 *   start of every deploy, and when the daemon starts.
 * - **Safe decommission**: a gateway (or resource) with rows other than UNDEPLOYED is not
 *   deleted; the delete runs in a transaction that holds the gateway row, and the RESTRICT
 *   foreign keys refuse it should anything slip through. A delete takes a short lease on the
 *   gateway first, so deploys that arrive while it deprovisions are refused, told why.
 * - **What runs where**: listings, a resource × gateway matrix, and drift between the rows and
 *   what each gateway actually lists.
 * - **Secrets**: the manifest's secret values are opened only for the deploy call itself, and
 *   cut from whatever error comes back. A manifest naming a Secret (`{{ secret "NAME" }}`) goes
 *   only to gateways that hold that Secret, deployed by agentgw.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RESOURCE_KINDS, type DeployedResource, type GatewayTarget, type ResourceKind, type ResourceManifest } from '../adapters/adapter.js';
import { AdapterMismatchError, ConflictError, GatewayError, NotFoundError, ValidationError } from '../domain/errors.js';
import { secretReferences, withSecretValues } from '../domain/manifest-secrets.js';
import { parseResourceRef, specMatches } from '../domain/manifests.js';
import { hasDeployments } from '../domain/refusals.js';
import {
  gatewayTypeFor,
  type Deployment,
  type DeploymentFilter,
  type DeploymentMatrix,
  type DeployReport,
  type DeployRequest,
  type DriftItem,
  type DriftKind,
  type DriftReport,
  type TargetResult,
  type UndeployRequest,
} from '../domain/resources.js';
import {
  DeploymentRepository,
  type Attempt,
  type ClaimOutcome,
  type DeploymentQuery,
  type DeploymentRow,
  type Settlement,
} from '../store/repositories/deployments.js';
import { EnvironmentRepository, type EnvironmentRecord } from '../store/repositories/environments.js';
import { GatewayRepository, type GatewayRecord } from '../store/repositories/gateways.js';
import { isUuid } from '../store/repositories/refs.js';
import { manifestOf, ResourceRepository, type ResourceRecord, type RevisionRecord } from '../store/repositories/resources.js';
import type { ServiceContext } from './context.js';
import { toTarget } from './credentials.js';
import { rejectUnknownFields } from './input.js';
import { openSecretFields } from '../domain/sealed-manifest.js';
import { SecretScrubber } from '../secrets/scrubber.js';
import { forEachLimit } from './pool.js';

export const DEFAULT_DEPLOY_CONCURRENCY = 32;
export const MAX_DEPLOY_CONCURRENCY = 1000;
/**
 * How long an in-flight row of a process on another machine is trusted to be in progress. Longer
 * than any one gateway call can take with its timeout and retries.
 */
export const DEPLOY_LEASE_MS = 10 * 60_000;
const RECONCILE_CONCURRENCY = 16;
/** PENDING rows written per transaction. */
const CLAIM_BATCH = 250;
const LISTED_BLOCKERS = 10;

let ownAttemptOwner: string | undefined;

/**
 * This process, as written in attempt_owner: host, pid and a per-process id (pids get reused).
 * Made on first use: a command that deploys nothing does not load node:crypto for it.
 */
export function attemptOwner(): string {
  return (ownAttemptOwner ??= `${hostname()}/${process.pid}/${randomUUID()}`);
}

export interface DeployProgress {
  done: number;
  total: number;
  result: TargetResult;
}

export interface DeployOptions {
  /** Called after each gateway, in completion order. */
  onProgress?: (progress: DeployProgress) => void;
  /**
   * Once aborted, no further gateway is called: the calls in flight finish and are settled, and
   * the gateways not called yet are reported `interrupted`, their rows left as they were.
   */
  signal?: AbortSignal;
}

export interface DecommissionOptions {
  /** Undeploy everything from the gateway first, instead of refusing. */
  drain: boolean;
  /** The adapter's part (a cloud gateway is deprovisioned), run once nothing can deploy to it. */
  deregister: () => Promise<void>;
}

interface Targets {
  fitting: GatewayRecord[];
  skipped: TargetResult[];
  target: DeployReport['target'];
}

export class DeploymentService {
  private readonly deployments: DeploymentRepository;
  private readonly resources: ResourceRepository;
  private readonly gateways: GatewayRepository;
  private readonly environments: EnvironmentRepository;

  constructor(private readonly context: ServiceContext) {
    this.deployments = new DeploymentRepository(context.store, context.organizationId);
    this.resources = new ResourceRepository(context.store, context.organizationId);
    this.gateways = new GatewayRepository(context.store, context.organizationId);
    this.environments = new EnvironmentRepository(context.store, context.organizationId);
  }

  /** Deploys the resource's latest revision to every target that does not hold it yet. */
  async deploy(request: DeployRequest, options: DeployOptions = {}): Promise<DeployReport> {
    rejectUnknownFields(request, ['resource', 'environment', 'gateway', 'dryRun', 'concurrency'], 'deploy request');
    const concurrency = checkConcurrency(request.concurrency);
    const dryRun = request.dryRun === true;
    const resource = await resolveResource(this.resources, request.resource);
    const targets = await this.targets(resource, request, true);
    if (!dryRun) await this.reconcile();
    const rows = byGateway(await this.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: targets.fitting.map((g) => g.uuid) }));
    let results: TargetResult[];
    if (dryRun) {
      const unresolved = await this.unresolvedSecrets(resource, targets.fitting);
      results = await this.fanOut(
        targets,
        concurrency,
        options,
        (gateway) => this.planOne(resource, gateway, rows.get(gateway.uuid), unresolved.get(gateway.uuid)),
        (gateway) => interruptedResult(gateway, plannedAction(rows.get(gateway.uuid)), resource.revision, rows.get(gateway.uuid)),
      );
    } else {
      results = await this.rollOut(resource, targets, rows, concurrency, options);
    }
    return report(resource, targets.target, 'deploy', dryRun, concurrency, results);
  }

  /** Takes the resource off every target that has it (by the control plane's records). */
  async undeploy(request: UndeployRequest, options: DeployOptions = {}): Promise<DeployReport> {
    rejectUnknownFields(request, ['resource', 'environment', 'gateway', 'dryRun', 'concurrency'], 'undeploy request');
    const concurrency = checkConcurrency(request.concurrency);
    const dryRun = request.dryRun === true;
    const resource = await resolveResource(this.resources, request.resource);
    const targets = await this.targets(resource, request, false);
    if (!dryRun) await this.reconcile();
    const rows = byGateway(await this.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: targets.fitting.map((g) => g.uuid) }));
    if (dryRun) {
      const results = await this.fanOut(
        targets,
        concurrency,
        options,
        (gateway) => this.planRemoval(resource, gateway, rows.get(gateway.uuid)),
        (gateway) => interruptedResult(gateway, 'remove', resource.revision, rows.get(gateway.uuid)),
      );
      return report(resource, targets.target, 'undeploy', true, concurrency, results);
    }
    const attempt: Attempt = { id: randomUUID(), owner: attemptOwner() };
    const now = this.context.clock();
    const claimable = [...rows.values()].filter((row) => row.status !== 'UNDEPLOYED' && !this.inProgress(row, now));
    await this.deployments.claimUndeploy(
      claimable.map((row) => row.uuid),
      attempt,
      now,
    );
    const claimed = new Set(claimable.map((row) => row.uuid));
    const removed = new SettleBatch(this.deployments, attempt.id, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, this.context.clock, concurrency);
    const removeFrom = async (gateway: GatewayRecord): Promise<TargetResult> => {
      const row = rows.get(gateway.uuid);
      const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: row?.revision ?? resource.revision };
      if (row === undefined || row.status === 'UNDEPLOYED') {
        return { ...base, action: 'no-op', status: row?.status ?? null, ok: true, error: null, detail: 'not deployed here' };
      }
      if (!claimed.has(row.uuid)) {
        return { ...base, action: 'remove', status: row.status, ok: false, error: 'a deploy of this resource to the gateway is in progress; retry when it ends', detail: null };
      }
      return this.undeployOne(resource, gateway, row, attempt, removed);
    };
    const results = await this.fanOut(targets, concurrency, options, removeFrom, (gateway) => interruptedResult(gateway, 'remove', resource.revision, rows.get(gateway.uuid)));
    await removed.flush();
    const uncalled = results.filter((result) => result.interrupted === true).flatMap((result) => {
      const row = rows.get(result.gatewayId);
      return row !== undefined && claimed.has(row.uuid) ? [{ uuid: row.uuid, previous: row }] : [];
    });
    await this.deployments.release(attempt.id, uncalled);
    return report(resource, targets.target, 'undeploy', false, concurrency, results);
  }

  async list(filter: DeploymentFilter = {}): Promise<Deployment[]> {
    rejectUnknownFields(filter, ['environment', 'gateway', 'resource'], 'deployment filter');
    const query: DeploymentQuery = {};
    if (filter.environment !== undefined) query.environmentUuid = (await this.requireEnvironment(filter.environment)).uuid;
    if (filter.gateway !== undefined) query.gatewayUuids = [(await this.requireGateway(filter.gateway)).uuid];
    if (filter.resource !== undefined) query.resourceUuid = (await resolveResource(this.resources, filter.resource)).uuid;
    return (await this.deployments.list(query)).map(presentDeployment);
  }

  /** Resources × gateways of an environment: one row per resource deployed to any of them. */
  async matrix(environmentRef: string): Promise<DeploymentMatrix> {
    const environment = await this.requireEnvironment(environmentRef);
    const gateways = await this.gateways.list({ environment: environment.uuid });
    const rows = await this.deployments.list({ environmentUuid: environment.uuid });
    const resources = new Map<string, DeploymentMatrix['resources'][number]>();
    for (const row of rows) {
      let entry = resources.get(row.resourceUuid);
      if (entry === undefined) {
        entry = {
          uuid: row.resourceUuid,
          kind: row.resourceKind,
          name: row.resourceName,
          revision: row.resourceRevision,
          cells: Object.fromEntries(gateways.map((g) => [g.name, null])),
        };
        resources.set(row.resourceUuid, entry);
      }
      entry.cells[row.gatewayName] = {
        status: row.status,
        revision: row.revision,
        deployedRevision: row.deployedRevision,
        current: row.deployedRevision === row.resourceRevision,
      };
    }
    return {
      environment: { uuid: environment.uuid, name: environment.name },
      gateways: gateways.map((g) => ({ uuid: g.uuid, name: g.name, type: g.type, status: g.status })),
      resources: [...resources.values()],
    };
  }

  /** Desired state (the rows) against what each gateway of the environment lists. */
  async drift(environmentRef: string): Promise<DriftReport> {
    const environment = await this.requireEnvironment(environmentRef);
    const gateways = await this.gateways.list({ environment: environment.uuid });
    const rows = await this.deployments.list({ environmentUuid: environment.uuid });
    const revisions = await this.resources.revisions([...new Set(rows.map((r) => r.resourceUuid))]);
    const known = new Map((await this.resources.list()).map((r) => [`${r.kind}/${r.name}`, r]));
    const rowsByGateway = new Map<string, DeploymentRow[]>();
    for (const row of rows) rowsByGateway.set(row.gatewayUuid, [...(rowsByGateway.get(row.gatewayUuid) ?? []), row]);
    const items: DriftItem[] = [];
    await forEachLimit(gateways, DEFAULT_DEPLOY_CONCURRENCY, async (gateway) => {
      items.push(...(await this.driftOf(gateway, rowsByGateway.get(gateway.uuid) ?? [], revisions, known)));
    });
    items.sort((a, b) => a.gateway.localeCompare(b.gateway) || `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
    const summary: Record<DriftKind, number> = { missing: 0, unexpected: 0, outdated: 0, modified: 0, unreachable: 0 };
    for (const item of items) summary[item.drift]++;
    return { environment: { uuid: environment.uuid, name: environment.name }, inSync: items.length === 0, gatewaysChecked: gateways.length, items, summary };
  }

  /**
   * Settles in-flight rows abandoned by a process that is gone: the gateway is asked whether it
   * holds the resource, and at which revision. Rows of live processes are left alone. Returns
   * how many rows it settled.
   */
  async reconcile(): Promise<number> {
    const now = this.context.clock();
    const everyone = new DeploymentRepository(this.context.store, null);
    const abandoned = (await everyone.inFlight()).filter((row) => !this.inProgress(row, now));
    let settled = 0;
    await forEachLimit(abandoned, RECONCILE_CONCURRENCY, async (row) => {
      try {
        const count = await this.reconcileOne(everyone, row);
        settled += count;
      } catch (error) {
        this.context.logger.warn(`could not reconcile deployment ${row.resourceKind}/${row.resourceName}@${row.gatewayName}: ${messageOf(error)}`);
      }
    });
    if (settled > 0) this.context.logger.info(`reconciled ${settled} interrupted deployment(s)`);
    return settled;
  }

  /** How many resources the control plane believes a gateway holds. */
  async countDeployed(gatewayUuid: string): Promise<number> {
    return this.deployments.countDeployed(gatewayUuid);
  }

  /**
   * Deletes a gateway safely: refused (409, listing them) while deployments may still be on it,
   * unless `drain` undeploys them first. The final delete holds the gateway row and is backed by
   * the RESTRICT key, so a deploy racing it can never leave a deployment behind.
   */
  async decommissionGateway(gateway: GatewayRecord, options: DecommissionOptions): Promise<void> {
    if (!options.drain) await this.confirmFailed(await this.deployments.list({ gatewayUuids: [gateway.uuid], statuses: ['FAILED'] }));
    const now = this.context.clock();
    const mark = await this.deployments.markDecommissioning(gateway.uuid, new Date(now.getTime() + DEPLOY_LEASE_MS), now, options.drain);
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
      if (options.drain) await this.drain(gateway);
      await options.deregister();
      const result = await this.deployments.deleteGateway(gateway.uuid);
      if (!result.deleted) {
        if (result.blocking.length > 0) throw hasDeployments('gateway', gateway.name, result.blocking.map(presentDeployment));
        throw new NotFoundError('gateway', gateway.name);
      }
    } catch (error) {
      await this.deployments.clearDecommissioning(gateway.uuid).catch(() => {});
      throw error;
    }
  }

  /** Deletes a resource and its revisions; refused while it may still be on a gateway. */
  async deleteResource(resource: ResourceRecord): Promise<void> {
    await this.confirmFailed(await this.deployments.list({ resourceUuid: resource.uuid, statuses: ['FAILED'] }));
    const result = await this.deployments.deleteResource(resource.uuid);
    if (result.deleted) return;
    if (result.blocking.length > 0) throw hasDeployments('resource', `${resource.kind}/${resource.name}`, result.blocking.map(presentDeployment));
    throw new NotFoundError('resource', `${resource.kind}/${resource.name}`);
  }

  // ------------------------------------------------------------------ one gateway

  /**
   * A deploy in three steps, so the database is not in the way of the calls: (1) gateways whose
   * row says they hold this revision are asked, and left alone when they do; (2) every other
   * target gets its PENDING row, a few hundred per transaction, before any call is made; (3) the
   * gateways are called, `concurrency` at a time, and successes are settled in batches (a crash
   * before a batch is written leaves PENDING rows, which reconciliation settles).
   */
  private async rollOut(
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
    const unresolved = await this.unresolvedSecrets(resource, targets.fitting);

    // 1. Verify what the records say is already there; plan the rest.
    const planned: Array<{ gateway: GatewayRecord; target: GatewayTarget; action: 'create' | 'update' }> = [];
    await forEachLimit(targets.fitting, concurrency, async (gateway) => {
      const row = rows.get(gateway.uuid);
      let action = plannedAction(row);
      if (options.signal?.aborted) return notCalled(gateway, action);
      let target: GatewayTarget;
      try {
        target = this.target(gateway);
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
        const held = await this.context.adapter.getResource(target, resource.kind, resource.name).catch(() => undefined);
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
        outcomes = await this.deployments.claimDeploy(resource.uuid, resource.revision, chunk.map((p) => p.gateway.uuid), attempt, this.context.clock());
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
    const settled = new SettleBatch(this.deployments, attempt.id, { status: 'DEPLOYED', deployedRevision: resource.revision, errorMessage: null }, this.context.clock, concurrency);
    const claimedPlans = planned.filter((p) => claimed.has(p.gateway.uuid));
    const secrets = claimedPlans.length === 0 ? [] : openSecretFields(resource.secrets, this.context.secrets);
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
          const outcome = await this.context.adapter.deployResource(target, manifest);
          const result: TargetResult = { ...base(gateway), action: outcome.action === 'created' ? 'create' : 'update', status: 'DEPLOYED', ok: true, error: null, detail: null };
          settled.add(deploymentUuid, result);
          finish(result);
        } catch (error) {
          const message = scrubber.scrub(messageOf(error));
          await this.deployments.settle([deploymentUuid], attempt.id, { status: 'FAILED', errorMessage: message }, this.context.clock()).catch(() => 0);
          finish({ ...base(gateway), action, status: 'FAILED', ok: false, error: message, detail: null });
        }
      },
    );
    await settled.flush();
    await this.deployments.release(attempt.id, uncalled);
    return results.sort((a, b) => a.gateway.localeCompare(b.gateway));
  }

  /** Dry run: what deploying would do on one gateway, asking the gateway what it holds. */
  private async planOne(resource: ResourceRecord, gateway: GatewayRecord, row: DeploymentRow | undefined, unresolved: string | undefined): Promise<TargetResult> {
    const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: resource.revision, status: row?.status ?? null };
    const recorded = row?.status === 'DEPLOYED' && row.deployedRevision === resource.revision;
    if (unresolved !== undefined) {
      return { ...base, action: recorded ? 'no-op' : row?.deployedRevision === null || row === undefined ? 'create' : 'update', ok: false, error: unresolved, detail: null };
    }
    let held: ResourceManifest | null;
    try {
      held = await this.context.adapter.getResource(this.target(gateway), resource.kind, resource.name);
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

  /** Dry run of an undeploy: what removing the resource from one gateway would do. */
  private async planRemoval(resource: ResourceRecord, gateway: GatewayRecord, row: DeploymentRow | undefined): Promise<TargetResult> {
    const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: row?.revision ?? resource.revision, status: row?.status ?? null };
    if (row === undefined || row.status === 'UNDEPLOYED') return { ...base, action: 'no-op', ok: true, error: null, detail: 'not deployed here' };
    if (this.inProgress(row, this.context.clock())) {
      return { ...base, action: 'remove', ok: false, error: 'a deploy of this resource to the gateway is in progress; retry when it ends', detail: null };
    }
    try {
      const held = await this.context.adapter.getResource(this.target(gateway), resource.kind, resource.name);
      return { ...base, action: 'remove', reachable: true, ok: true, error: null, detail: held === null ? 'not on the gateway: only the record is cleared' : null };
    } catch (error) {
      return { ...base, action: 'remove', reachable: false, ok: false, error: `unreachable: ${messageOf(error)}`, detail: null };
    }
  }

  /** Removes one resource from one gateway; with `batch`, the success is settled with others. */
  private async undeployOne(
    resource: Pick<ResourceRecord, 'kind' | 'name'>,
    gateway: GatewayRecord,
    row: DeploymentRow,
    attempt: Attempt,
    batch?: SettleBatch,
  ): Promise<TargetResult> {
    const base = { gateway: gateway.name, gatewayId: gateway.uuid, revision: row.revision, action: 'remove' as const };
    try {
      await this.context.adapter.undeployResource(this.target(gateway), resource.kind, resource.name);
      const result: TargetResult = { ...base, status: 'UNDEPLOYED', ok: true, error: null, detail: null };
      if (batch) batch.add(row.uuid, result);
      else await this.deployments.settle([row.uuid], attempt.id, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, this.context.clock());
      return result;
    } catch (error) {
      const message = messageOf(error);
      await this.deployments.settle([row.uuid], attempt.id, { status: 'FAILED', errorMessage: message }, this.context.clock()).catch(() => 0);
      return { ...base, status: 'FAILED', ok: false, error: message, detail: null };
    }
  }

  /** What one gateway holds against what its rows say it should. */
  private async driftOf(
    gateway: GatewayRecord,
    rows: DeploymentRow[],
    revisions: Map<string, RevisionRecord[]>,
    known: Map<string, ResourceRecord>,
  ): Promise<DriftItem[]> {
    const item = (drift: DriftKind, fields: Partial<DriftItem> & { detail: string }): DriftItem => ({
      gateway: gateway.name,
      gatewayId: gateway.uuid,
      drift,
      kind: null,
      name: null,
      expectedRevision: null,
      actualRevision: null,
      ...fields,
    });
    let target: GatewayTarget;
    const held = new Map<string, DeployedResource>();
    try {
      target = this.target(gateway);
      const listings = await Promise.all(RESOURCE_KINDS.map((kind) => this.context.adapter.listResources(target, kind)));
      for (const resource of listings.flat()) held.set(`${resource.kind}/${resource.name}`, resource);
    } catch (error) {
      return [item('unreachable', { detail: `cannot list what the gateway holds: ${messageOf(error)}` })];
    }
    const items: DriftItem[] = [];
    const wanted = new Set<string>();
    for (const row of rows) {
      if (row.operation !== 'deploy' || row.status === 'UNDEPLOYED') continue;
      const key = `${row.resourceKind}/${row.resourceName}`;
      wanted.add(key);
      const fields = { kind: row.resourceKind, name: row.resourceName, expectedRevision: row.resourceRevision };
      const found = held.get(key);
      if (found === undefined) {
        const why = row.status === 'FAILED' ? `the last deploy failed: ${row.errorMessage ?? 'unknown error'}` : `recorded ${row.status} at revision ${row.revision}`;
        items.push(item('missing', { ...fields, detail: `not on the gateway (${why})` }));
        continue;
      }
      const spec = found.manifest?.spec ?? (await this.context.adapter.getResource(target, row.resourceKind, row.resourceName).catch(() => null))?.spec;
      if (spec === undefined) continue; // the gateway lists names only and would not show this one: presence is all we know
      const actual = matchRevision(row.resourceKind, spec, revisions.get(row.resourceUuid) ?? [], row.deployedRevision);
      if (actual === row.resourceRevision) continue;
      if (actual !== null) {
        items.push(item('outdated', { ...fields, actualRevision: actual, detail: `holds revision ${actual}; the latest is ${row.resourceRevision}` }));
      } else {
        items.push(item('modified', { ...fields, detail: 'holds a spec that matches no revision (changed on the gateway?)' }));
      }
    }
    for (const [key, resource] of held) {
      if (wanted.has(key)) continue;
      const record = known.get(key);
      const row = rows.find((r) => `${r.resourceKind}/${r.resourceName}` === key);
      const detail =
        row !== undefined
          ? `agentgw recorded it ${row.status}${row.operation === 'undeploy' ? ' (undeployed)' : ''}, but the gateway holds it`
          : record !== undefined
            ? 'known to agentgw but never deployed to this gateway'
            : 'unknown to agentgw';
      items.push(item('unexpected', { kind: resource.kind, name: resource.name, expectedRevision: record?.revision ?? null, detail }));
    }
    return items;
  }

  /** Settles one abandoned row from what the gateway holds; returns 1 when it settled it. */
  private async reconcileOne(everyone: DeploymentRepository, row: DeploymentRow): Promise<number> {
    const gateway = await new GatewayRepository(this.context.store, row.organizationId).find(row.gatewayUuid);
    if (gateway === undefined || row.attemptId === null) return 0;
    const now = () => this.context.clock();
    let held: ResourceManifest | null;
    try {
      held = await this.context.adapter.getResource(this.target(gateway), row.resourceKind, row.resourceName);
    } catch (error) {
      return everyone.settle([row.uuid], row.attemptId, { status: 'FAILED', errorMessage: `interrupted; the gateway could not be asked what it holds: ${messageOf(error)}` }, now());
    }
    if (held === null) {
      if (row.operation === 'undeploy') return everyone.settle([row.uuid], row.attemptId, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, now());
      return everyone.settle([row.uuid], row.attemptId, { status: 'FAILED', deployedRevision: null, errorMessage: 'interrupted before the gateway took it; deploy again' }, now());
    }
    const revisions = (await new ResourceRepository(this.context.store, row.organizationId).revisions([row.resourceUuid])).get(row.resourceUuid) ?? [];
    const actual = matchRevision(row.resourceKind, held.spec, revisions, row.revision);
    if (row.operation === 'deploy' && actual === row.revision) {
      return everyone.settle([row.uuid], row.attemptId, { status: 'DEPLOYED', deployedRevision: actual, errorMessage: null }, now());
    }
    const holds = actual === null ? 'a spec matching no revision' : `revision ${actual}`;
    const what = row.operation === 'undeploy' ? 'undeploy interrupted' : 'deploy interrupted';
    return everyone.settle([row.uuid], row.attemptId, { status: 'FAILED', deployedRevision: actual, errorMessage: `${what}; the gateway holds ${holds}` }, now());
  }

  /**
   * FAILED rows may or may not be on their gateway. Asks each gateway; the ones it does not hold
   * become UNDEPLOYED and stop standing in the way. Unanswered ones stay FAILED (and in the way).
   */
  private async confirmFailed(rows: DeploymentRow[]): Promise<void> {
    await forEachLimit(rows, RECONCILE_CONCURRENCY, async (row) => {
      if (row.attemptId === null) return;
      const gateway = await this.gateways.find(row.gatewayUuid);
      if (gateway === undefined) return;
      try {
        const held = await this.context.adapter.getResource(this.target(gateway), row.resourceKind, row.resourceName);
        if (held === null) {
          await this.deployments.settle([row.uuid], row.attemptId, { status: 'UNDEPLOYED', deployedRevision: null, errorMessage: null }, this.context.clock());
        }
      } catch {
        // Unknown: it stays FAILED, which keeps the gateway from being deleted.
      }
    });
  }

  /** Undeploys every resource of a gateway being decommissioned; throws when any stays. */
  private async drain(gateway: GatewayRecord): Promise<void> {
    const now = this.context.clock();
    const rows = (await this.deployments.list({ gatewayUuids: [gateway.uuid] })).filter((row) => row.status !== 'UNDEPLOYED');
    const busy = rows.filter((row) => this.inProgress(row, now));
    if (busy.length > 0) {
      throw new ConflictError('AGW_DEPLOY_IN_PROGRESS', `gateway "${gateway.name}" has ${busy.length} deployment(s) in progress: ${busy.map(label).join(', ')}`, {
        hint: 'retry when they have finished',
      });
    }
    const attempt: Attempt = { id: randomUUID(), owner: attemptOwner() };
    await this.deployments.claimUndeploy(
      rows.map((row) => row.uuid),
      attempt,
      now,
    );
    const failures: string[] = [];
    await forEachLimit(rows, DEFAULT_DEPLOY_CONCURRENCY, async (row) => {
      const result = await this.undeployOne({ kind: row.resourceKind, name: row.resourceName }, gateway, row, attempt);
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

  /**
   * For each gateway that lacks a Secret the resource refers to (`{{ secret "NAME" }}`), why it
   * cannot take the resource: the controller would refuse it, or worse, resolve nothing.
   */
  private async unresolvedSecrets(resource: ResourceRecord, gateways: readonly GatewayRecord[]): Promise<Map<string, string>> {
    const names = [...new Set(secretReferences(resource.spec).map((reference) => reference.name))];
    const unresolved = new Map<string, string>();
    if (names.length === 0 || gateways.length === 0) return unresolved;
    const secrets = (await this.resources.list({ kind: 'Secret' })).filter((record) => names.includes(record.name));
    const deployed = new Map<string, Set<string>>();
    for (const secret of secrets) {
      for (const row of await this.deployments.list({ resourceUuid: secret.uuid, gatewayUuids: gateways.map((g) => g.uuid) })) {
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

  private async fanOut(
    targets: Targets,
    concurrency: number,
    options: DeployOptions,
    work: (gateway: GatewayRecord) => Promise<TargetResult>,
    notCalled: (gateway: GatewayRecord) => TargetResult,
  ): Promise<TargetResult[]> {
    const results: TargetResult[] = [...targets.skipped];
    const total = targets.fitting.length;
    let done = 0;
    await forEachLimit(targets.fitting, concurrency, async (gateway) => {
      if (options.signal?.aborted) {
        results.push(notCalled(gateway));
        return;
      }
      const result = await work(gateway);
      results.push(result);
      options.onProgress?.({ done: ++done, total, result });
    });
    return results.sort((a, b) => a.gateway.localeCompare(b.gateway));
  }

  /** The gateways a request names; with `fitOnly`, those of another type are skipped (env) or refused (gateway). */
  private async targets(resource: ResourceRecord, request: { environment?: string; gateway?: string }, fitOnly: boolean): Promise<Targets> {
    const hasEnvironment = request.environment !== undefined && request.environment !== null;
    const hasGateway = request.gateway !== undefined && request.gateway !== null;
    if (hasEnvironment === hasGateway) {
      throw new ValidationError('name exactly one target: an environment or a gateway', [{ path: 'environment', message: 'give environment or gateway, not both or neither' }], {
        hint: 'pass --env NAME (every fitting gateway of it) or --gateway NAME',
      });
    }
    const wanted = gatewayTypeFor(resource.kind);
    if (hasGateway) {
      const gateway = await this.requireGateway(request.gateway!);
      if (fitOnly && wanted !== null && gateway.type !== wanted) {
        throw ValidationError.field('gateway', `gateway "${gateway.name}" is ${gateway.type}; ${resource.kind} resources go to ${wanted} gateways`);
      }
      return { fitting: [gateway], skipped: [], target: { gateway: gateway.name } };
    }
    const environment = await this.requireEnvironment(request.environment!);
    const all = await this.gateways.list({ environment: environment.uuid });
    const fitting = fitOnly && wanted !== null ? all.filter((g) => g.type === wanted) : all;
    const skipped: TargetResult[] = all
      .filter((g) => !fitting.includes(g))
      .map((g) => ({
        gateway: g.name,
        gatewayId: g.uuid,
        action: 'skip',
        status: null,
        revision: resource.revision,
        ok: true,
        error: null,
        detail: `${g.type} gateway; ${resource.kind} resources go to ${wanted} gateways`,
      }));
    return { fitting, skipped, target: { environment: environment.name } };
  }

  /** A row some live process is working on right now (its gateway call may still land). */
  private inProgress(row: DeploymentRow, now: Date): boolean {
    if (row.status !== 'PENDING' && row.status !== 'UNDEPLOYING') return false;
    return !isAbandoned(row, now);
  }

  private target(gateway: GatewayRecord): GatewayTarget {
    if (gateway.adapterType !== this.context.adapter.type) throw new AdapterMismatchError(gateway.name, gateway.adapterType, this.context.adapter.type);
    return toTarget(gateway, this.context.secrets);
  }

  private async requireGateway(ref: string): Promise<GatewayRecord> {
    const found = await this.gateways.find(ref);
    if (!found) throw new NotFoundError('gateway', ref, { hint: 'list gateways with: agentgw gateway list' });
    return found;
  }

  private async requireEnvironment(ref: string): Promise<EnvironmentRecord> {
    const found = await this.environments.find(ref);
    if (!found) throw new NotFoundError('environment', ref, { hint: 'list environments with: agentgw env list' });
    return found;
  }
}

/**
 * Successful calls, settled a batch at a time (one UPDATE each). A batch that cannot be written
 * turns its results into failures: the rows stay PENDING and are reconciled later.
 */
class SettleBatch {
  private pending: Array<{ uuid: string; result: TargetResult }> = [];
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly attemptId: string,
    private readonly settlement: Settlement,
    private readonly clock: () => Date,
    private readonly size: number,
  ) {}

  add(uuid: string, result: TargetResult): void {
    this.pending.push({ uuid, result });
    if (this.pending.length >= this.size) void this.flush();
  }

  /** Writes what is pending; resolves once every batch so far is written (or given up). */
  flush(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length > 0) {
      this.written = this.written.then(async () => {
        try {
          await this.deployments.settle(
            batch.map((b) => b.uuid),
            this.attemptId,
            this.settlement,
            this.clock(),
          );
        } catch (error) {
          for (const { result } of batch) {
            Object.assign(result, { ok: false, status: 'PENDING', error: `the gateway took it, but the outcome could not be recorded (it will be reconciled): ${messageOf(error)}` });
          }
        }
      });
    }
    return this.written;
  }
}

/** By `Kind/name`, by a name only one kind has, or by uuid. */
export async function resolveResource(resources: ResourceRepository, ref: unknown): Promise<ResourceRecord> {
  if (typeof ref !== 'string' || ref === '') throw ValidationError.field('resource', 'is required: Kind/name, or a name');
  if (isUuid(ref)) {
    const found = await resources.findByUuid(ref);
    if (found) return found;
  }
  const { kind, name } = parseResourceRef(ref);
  const found = await resources.findByName(name, kind);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new NotFoundError('resource', ref, { hint: 'list resources with: agentgw resource list, or add one with: agentgw apply -f FILE' });
  }
  const names = found.map((r) => `${r.kind}/${r.name}`);
  throw new ValidationError(`resource name "${name}" is ambiguous: ${names.join(', ')}`, [{ path: 'resource', message: 'ambiguous; name it as Kind/name' }], {
    hint: `e.g. ${names[0]}`,
  });
}

export function presentDeployment(row: DeploymentRow): Deployment {
  return {
    uuid: row.uuid,
    name: label(row),
    resource: { uuid: row.resourceUuid, kind: row.resourceKind, name: row.resourceName, revision: row.resourceRevision },
    gateway: { uuid: row.gatewayUuid, name: row.gatewayName },
    status: row.status,
    operation: row.operation,
    revision: row.revision,
    deployedRevision: row.deployedRevision,
    errorMessage: row.errorMessage,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Whether an in-flight row's process is gone: its lease lapsed, or it ran on this host and its
 * process no longer exists (or had our pid: we are its successor).
 */
function isAbandoned(row: DeploymentRow, now: Date): boolean {
  if (now.getTime() - row.updatedAt.getTime() > DEPLOY_LEASE_MS) return true;
  const owner = row.attemptOwner;
  if (owner === null) return true;
  if (owner === attemptOwner()) return false;
  const parts = owner.split('/');
  const pid = Number(parts.at(-2));
  if (parts.slice(0, -2).join('/') !== hostname()) return false;
  if (pid === process.pid) return true;
  return !processAlive(pid);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The revision the gateway's copy of a spec is: the newest that matches, exactly first, then
 * tolerating defaults. Revisions that differ only in secret values look the same on a gateway
 * (it never returns them): among those, `recorded` (the revision the gateway was last given) is
 * the one it holds. So a changed API key whose deploy has not run shows as outdated.
 */
function matchRevision(kind: ResourceKind, spec: Record<string, unknown>, revisions: RevisionRecord[], recorded: number | null): number | null {
  for (const exact of [true, false]) {
    const matching = revisions.filter((r) => specMatches(kind, r.spec, spec, exact)).map((r) => r.revision);
    if (matching.length > 0) return recorded !== null && matching.includes(recorded) ? recorded : matching[0]!;
  }
  return null;
}

function checkConcurrency(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_DEPLOY_CONCURRENCY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DEPLOY_CONCURRENCY) {
    throw ValidationError.field('concurrency', `must be a whole number from 1 to ${MAX_DEPLOY_CONCURRENCY}`);
  }
  return value;
}

function byGateway(rows: DeploymentRow[]): Map<string, DeploymentRow> {
  return new Map(rows.map((row) => [row.gatewayUuid, row]));
}

/** What a deploy does to a gateway, by its row: create what it never held, update the rest. */
function plannedAction(row: DeploymentRow | undefined): 'create' | 'update' {
  return row === undefined || row.deployedRevision === null ? 'create' : 'update';
}

/** A target the command did not call: it was interrupted first. */
function interruptedResult(gateway: GatewayRecord, action: TargetResult['action'], revision: number, row: DeploymentRow | undefined): TargetResult {
  return {
    gateway: gateway.name,
    gatewayId: gateway.uuid,
    action,
    status: row?.status ?? null,
    revision: row?.revision ?? revision,
    ok: false,
    error: null,
    detail: 'not called: interrupted',
    interrupted: true,
  };
}

function report(
  resource: ResourceRecord,
  target: DeployReport['target'],
  operation: DeployReport['operation'],
  dryRun: boolean,
  concurrency: number,
  results: TargetResult[],
): DeployReport {
  const count = (test: (r: TargetResult) => boolean) => results.filter(test).length;
  return {
    resource: { uuid: resource.uuid, kind: resource.kind, name: resource.name, revision: resource.revision },
    target,
    operation,
    dryRun,
    concurrency,
    results,
    summary: {
      total: results.length,
      changed: count((r) => r.ok && (r.action === 'create' || r.action === 'update' || r.action === 'remove')),
      unchanged: count((r) => r.ok && r.action === 'no-op'),
      skipped: count((r) => r.action === 'skip'),
      failed: count((r) => !r.ok && r.interrupted !== true),
    },
    ...(results.some((r) => r.interrupted === true) ? { interrupted: true } : {}),
  };
}

function label(row: DeploymentRow): string {
  return `${row.resourceKind}/${row.resourceName}@${row.gatewayName}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
