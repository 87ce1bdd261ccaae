/**
 * What every deployment operation works with: the organization's repositories, the adapter's
 * view of a gateway, the lookups by name, and the fan-out over a request's gateways.
 */
import type { GatewayTarget } from '../../adapters/adapter.js';
import { AdapterMismatchError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { gatewayTypeFor, type TargetResult } from '../../domain/resources.js';
import { DeploymentRepository, type DeploymentRow } from '../../store/repositories/deployments.js';
import { EnvironmentRepository, type EnvironmentRecord } from '../../store/repositories/environments.js';
import { GatewayRepository, type GatewayRecord } from '../../store/repositories/gateways.js';
import { ResourceRepository, type ResourceRecord } from '../../store/repositories/resources.js';
import type { ServiceContext } from '../context.js';
import { toTarget } from '../credentials.js';
import { forEachLimit } from '../pool.js';
import { inProgress } from './leases.js';
import type { DeployOptions, Targets } from './results.js';

export class DeploymentScope {
  readonly deployments: DeploymentRepository;
  readonly resources: ResourceRepository;
  readonly gateways: GatewayRepository;
  readonly environments: EnvironmentRepository;

  constructor(readonly context: ServiceContext) {
    this.deployments = new DeploymentRepository(context.store, context.organizationId);
    this.resources = new ResourceRepository(context.store, context.organizationId);
    this.gateways = new GatewayRepository(context.store, context.organizationId);
    this.environments = new EnvironmentRepository(context.store, context.organizationId);
  }

  async fanOut(
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
  async targets(resource: ResourceRecord, request: { environment?: string; gateway?: string }, fitOnly: boolean): Promise<Targets> {
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
  inProgress(row: DeploymentRow, now: Date): boolean {
    return inProgress(row, now);
  }

  target(gateway: GatewayRecord): GatewayTarget {
    if (gateway.adapterType !== this.context.adapter.type) throw new AdapterMismatchError(gateway.name, gateway.adapterType, this.context.adapter.type);
    return toTarget(gateway, this.context.secrets);
  }

  async requireGateway(ref: string): Promise<GatewayRecord> {
    const found = await this.gateways.find(ref);
    if (!found) throw new NotFoundError('gateway', ref, { hint: 'list gateways with: agentgw gateway list' });
    return found;
  }

  async requireEnvironment(ref: string): Promise<EnvironmentRecord> {
    const found = await this.environments.find(ref);
    if (!found) throw new NotFoundError('environment', ref, { hint: 'list environments with: agentgw env list' });
    return found;
  }
}
