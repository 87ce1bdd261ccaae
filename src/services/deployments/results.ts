/**
 * What deployment operations share: their options, the report they return, how a row is shown,
 * and the batch that settles successful calls.
 */
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import type { DeploymentRow, DeploymentRepository, Settlement } from '../../store/repositories/deployments.js';
import { isUuid } from '../../store/repositories/refs.js';
import type { ResourceRecord, ResourceRepository } from '../../store/repositories/resources.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { parseResourceRef } from '../../domain/manifests.js';
import type { Deployment, DeployReport, TargetResult } from '../../domain/resources.js';

export const DEFAULT_DEPLOY_CONCURRENCY = 32;
export const MAX_DEPLOY_CONCURRENCY = 1000;

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

/** The gateways a request reaches: those that take the resource, and those skipped (told why). */
export interface Targets {
  fitting: GatewayRecord[];
  skipped: TargetResult[];
  target: DeployReport['target'];
}

/**
 * Successful calls, settled a batch at a time (one UPDATE each). A batch that cannot be written
 * turns its results into failures: the rows stay PENDING and are reconciled later.
 */
export class SettleBatch {
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

export function checkConcurrency(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_DEPLOY_CONCURRENCY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DEPLOY_CONCURRENCY) {
    throw ValidationError.field('concurrency', `must be a whole number from 1 to ${MAX_DEPLOY_CONCURRENCY}`);
  }
  return value;
}

export function byGateway(rows: DeploymentRow[]): Map<string, DeploymentRow> {
  return new Map(rows.map((row) => [row.gatewayUuid, row]));
}

/** What a deploy does to a gateway, by its row: create what it never held, update the rest. */
export function plannedAction(row: DeploymentRow | undefined): 'create' | 'update' {
  return row === undefined || row.deployedRevision === null ? 'create' : 'update';
}

/** A target the command did not call: it was interrupted first. */
export function interruptedResult(gateway: GatewayRecord, action: TargetResult['action'], revision: number, row: DeploymentRow | undefined): TargetResult {
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

export function report(
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

export function label(row: DeploymentRow): string {
  return `${row.resourceKind}/${row.resourceName}@${row.gatewayName}`;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
