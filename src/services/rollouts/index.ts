/**
 * Progressive rollouts: a resource's latest revision sent in waves (`--steps 1,25%,100%`), with
 * a pause and gates after each wave, and the completed waves rolled back when a gate fails.
 * Each rollout is a row (see runner.ts), run in the background of the process that starts or
 * resumes it; callers follow it by reading it (`get`) until it is no longer running.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { FINISHED_STATES, type Rollout, type RolloutRequest, type RolloutState, type RolloutWave } from '../../domain/rollouts.js';
import { RolloutRepository, type RolloutRecord } from '../../store/repositories/rollouts.js';
import { isUuid } from '../../store/repositories/refs.js';
import type { ServiceContext } from '../context.js';
import { rejectUnknownFields } from '../input.js';
import { attemptOwner, ownerGone } from '../deployments/leases.js';
import { checkConcurrency, resolveResource } from '../deployments/results.js';
import { reconcile } from '../deployments/reconcile.js';
import { DeploymentScope } from '../deployments/scope.js';
import { MAX_PAUSE_MS, parseGate, planWaves } from './plan.js';
import { RolloutRunner, type PlannedRollout, type RolloutPlan } from './runner.js';
import { rolloutEvent } from './rollout-events.js';

/** Runs of this process, so that closing it can wait for them to write their last step. */
const running = new Map<string, Promise<void>>();

/** Resolves once every rollout this process runs has stopped. */
export async function rolloutsSettled(): Promise<void> {
  while (running.size > 0) await Promise.allSettled([...running.values()]);
}

export class RolloutService {
  private readonly scope: DeploymentScope;
  private readonly rollouts: RolloutRepository;

  constructor(private readonly context: ServiceContext) {
    this.scope = new DeploymentScope(context);
    this.rollouts = new RolloutRepository(context.store, context.organizationId);
  }

  /** Plans the waves, writes the rollout and starts running it in this process. */
  async start(request: RolloutRequest): Promise<Rollout> {
    rejectUnknownFields(request, ['resource', 'environment', 'gateway', 'strategy', 'steps', 'pauseMs', 'gates', 'noRollback', 'concurrency'], 'rollout request');
    if (request.strategy !== undefined && request.strategy !== 'canary') throw ValidationError.field('strategy', 'a rollout is a canary; deploy to all at once with POST /deployments');
    const concurrency = checkConcurrency(request.concurrency);
    const pauseMs = request.pauseMs ?? 0;
    if (!Number.isInteger(pauseMs) || pauseMs < 0 || pauseMs > MAX_PAUSE_MS) throw ValidationError.field('pauseMs', `must be whole milliseconds from 0 to ${MAX_PAUSE_MS} (24h)`);
    const gates = request.gates ?? [];
    if (!Array.isArray(gates)) throw ValidationError.field('gates', 'must be a list, e.g. ["errorRate<1%"]');
    const parsed = gates.map((gate, index) => parseGate(gate, index));
    const resource = await resolveResource(this.scope.resources, request.resource);
    const unfinished = (await this.rollouts.list(['running', 'paused'])).find((r) => r.resourceUuid === resource.uuid);
    if (unfinished !== undefined) {
      throw new ConflictError('AGW_ROLLOUT_IN_PROGRESS', `${resource.kind}/${resource.name} has a rollout ${unfinished.state}: ${unfinished.uuid}`, {
        hint: `let it finish, or: agentgw rollout resume ${unfinished.uuid} | agentgw rollout abort ${unfinished.uuid}`,
      });
    }
    const targets = await this.scope.targets(resource, request, true);
    const waves = planWaves(request.steps, targets.fitting);
    if (waves.length === 0) throw ValidationError.field('environment', `no gateway takes ${resource.kind} resources there: nothing to roll out`);
    await reconcile(this.scope);
    const rows = await this.scope.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: targets.fitting.map((g) => g.uuid) });
    const previous: RolloutPlan['previous'] = Object.fromEntries(targets.fitting.map((g) => [g.uuid, null]));
    for (const row of rows) if (row.status !== 'UNDEPLOYED') previous[row.gatewayUuid] = row.deployedRevision;
    const plan: RolloutPlan = {
      resource: `${resource.kind}/${resource.name}`,
      target: 'environment' in targets.target && targets.target.environment !== undefined ? { environment: targets.target.environment } : { gateway: targets.target.gateway! },
      steps: request.steps.map(String),
      pauseMs,
      gates: parsed.map((gate) => gate.text),
      rollback: request.noRollback !== true,
      concurrency,
      waves: waves.map((wave) => wave.map((g) => ({ uuid: g.uuid, name: g.name }))),
      previous,
    };
    const progress = { waves: waves.map((wave, index): RolloutWave => ({ index, gateways: wave.map((g) => g.name), status: 'pending', deployedAt: null, pauseUntil: null, failures: [], gates: [] })) };
    const uuid = randomUUID();
    await this.rollouts.create(
      { uuid, resourceUuid: resource.uuid, revision: resource.revision, state: 'running', currentWave: 0, plan, progress, message: null, owner: attemptOwner(), actor: this.context.actor },
      this.context.clock(),
      [rolloutEvent(this.context, { uuid, plan }, 'rollout.started', { revision: resource.revision, target: plan.target, steps: plan.steps, gates: plan.gates, waves: plan.waves.length })],
    );
    this.runInBackground(uuid);
    return this.get(uuid);
  }

  async list(filter: { state?: string } = {}): Promise<Rollout[]> {
    rejectUnknownFields(filter, ['state'], 'rollout filter');
    const states = filter.state === undefined ? undefined : [stateOf(filter.state)];
    const records = await this.rollouts.list(states);
    const resources = await this.scope.resources.findMany(records.map((r) => r.resourceUuid));
    return records.map((record) => present(record as PlannedRollout, resources.get(record.resourceUuid)));
  }

  async get(id: string): Promise<Rollout> {
    const record = await this.require(id);
    return present(record, await this.scope.resources.findByUuid(record.resourceUuid));
  }

  /** Stops after the step in progress; `resume` continues. */
  async pause(id: string): Promise<Rollout> {
    const record = await this.require(id);
    if (!(await this.rollouts.update(record.uuid, { states: ['running'] }, { state: 'paused' }, this.context.clock()))) throw notInState(record, 'paused', ['running']);
    return this.get(id);
  }

  /** Continues a paused rollout, or one whose process is gone, from the step it was at. */
  async resume(id: string): Promise<Rollout> {
    const record = await this.require(id);
    const now = this.context.clock();
    const orphaned = record.state === 'running' && ownerGone(record.owner, record.updatedAt, now);
    if (record.state === 'running' && !orphaned) {
      throw new ConflictError('AGW_ROLLOUT_RUNNING', `rollout ${record.uuid} is running in another process (${record.owner ?? 'unknown'})`, {
        hint: `follow it with: agentgw rollout status ${record.uuid}, or pause it first`,
      });
    }
    if (record.state !== 'paused' && !orphaned) throw notInState(record, 'resumed', ['paused', 'running (its process gone)']);
    const claimed = await this.rollouts.update(record.uuid, { states: [record.state], owner: record.owner }, { state: 'running', owner: attemptOwner() }, now);
    if (!claimed) throw new ConflictError('AGW_ROLLOUT_CHANGED', `rollout ${record.uuid} changed while it was being resumed`, { hint: 'look at it with: agentgw rollout status ID, and retry' });
    this.runInBackground(record.uuid);
    return this.get(id);
  }

  /** Stops for good; the completed waves are rolled back unless it was started with --no-rollback. */
  async abort(id: string): Promise<Rollout> {
    const record = await this.require(id);
    const now = this.context.clock();
    const live = record.state === 'running' && !ownerGone(record.owner, record.updatedAt, now);
    const aborted = [rolloutEvent(this.context, record, 'rollout.finished', { state: 'aborted' })];
    if (!(await this.rollouts.update(record.uuid, { states: ['running', 'paused'] }, { state: 'aborted', message: 'aborted' }, now, aborted))) throw notInState(record, 'aborted', ['running', 'paused']);
    // A live runner sees the abort at its next step and rolls back itself; otherwise it is done here.
    if (!live && record.plan.rollback) {
      const restored = await new RolloutRunner(this.scope).restore(record, record.currentWave);
      await this.rollouts.update(record.uuid, { states: ['aborted'] }, { message: `aborted; ${restored ?? 'rolled back to the revisions they ran before'}` }, this.context.clock(), [
        rolloutEvent(this.context, record, 'rollout.rolled_back', { throughWave: record.currentWave + 1, complete: restored === null, ...(restored === null ? {} : { failures: restored }) }),
      ]);
    }
    return this.get(id);
  }

  /** Rollouts not finished whose process is gone, or paused: what `serve` reports at start. */
  async unfinished(): Promise<Rollout[]> {
    const now = this.context.clock();
    const records = (await this.rollouts.list(['running', 'paused'])).filter((r) => r.state === 'paused' || ownerGone(r.owner, r.updatedAt, now));
    const resources = await this.scope.resources.findMany(records.map((r) => r.resourceUuid));
    return records.map((record) => present(record as PlannedRollout, resources.get(record.resourceUuid)));
  }

  private runInBackground(uuid: string): void {
    const run = new RolloutRunner(this.scope)
      .run(uuid)
      .catch(async (error: unknown) => {
        const message = `stopped by an error: ${error instanceof Error ? error.message : String(error)}; resume it with: agentgw rollout resume ${uuid}`;
        this.context.logger.warn(`rollout ${uuid} ${message}`);
        await this.rollouts.update(uuid, { states: ['running'], owner: attemptOwner() }, { state: 'paused', message }, this.context.clock()).catch(() => false);
      })
      .finally(() => running.delete(uuid));
    running.set(uuid, run);
  }

  private async require(id: string): Promise<PlannedRollout> {
    const found = isUuid(id) ? await this.rollouts.find(id) : undefined;
    if (found === undefined) throw new NotFoundError('rollout', id, { hint: 'list rollouts with: agentgw rollout list' });
    return found as PlannedRollout;
  }
}

function present(record: PlannedRollout, resource: { uuid: string; kind: Rollout['resource']['kind']; name: string } | undefined): Rollout {
  return {
    uuid: record.uuid,
    resource: { uuid: record.resourceUuid, kind: resource?.kind ?? 'LlmProvider', name: resource?.name ?? '(deleted)' },
    revision: record.revision,
    target: record.plan.target,
    state: record.state as RolloutState,
    currentWave: record.currentWave,
    steps: record.plan.steps,
    pauseMs: record.plan.pauseMs,
    gates: record.plan.gates,
    rollback: record.plan.rollback,
    waves: record.progress.waves,
    message: record.message,
    actor: record.actor,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

function stateOf(value: string): RolloutState {
  const states: readonly string[] = ['running', 'paused', ...FINISHED_STATES];
  if (!states.includes(value)) throw ValidationError.field('state', `must be one of ${states.join(', ')}`);
  return value as RolloutState;
}

function notInState(record: RolloutRecord, verb: string, states: string[]): ConflictError {
  return new ConflictError('AGW_ROLLOUT_STATE', `rollout ${record.uuid} is ${record.state}; only a rollout ${states.join(' or ')} can be ${verb}`, {
    hint: `see it with: agentgw rollout status ${record.uuid}`,
  });
}
