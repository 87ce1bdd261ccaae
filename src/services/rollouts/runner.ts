/**
 * Drives one rollout, wave by wave, writing each step to its row before going on, so that a
 * process killed at any point leaves a rollout `resume` continues from where it was:
 * a wave `pending` is deployed (again: a deploy converges), a wave `deployed` waits out what is
 * left of its pause and is gated. Between steps the row is read back: a `pause` or an `abort`
 * given meanwhile stops the run (an abort rolls the completed waves back, unless told not to).
 */
import type { GateResult, RolloutState, RolloutWave } from '../../domain/rollouts.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import type { ResourceRecord } from '../../store/repositories/resources.js';
import { RolloutRepository, type RolloutRecord } from '../../store/repositories/rollouts.js';
import { attemptOwner } from '../deployments/leases.js';
import { byGateway } from '../deployments/results.js';
import { restorePrevious } from '../deployments/rollback.js';
import { rollOut } from '../deployments/rollout.js';
import type { DeploymentScope } from '../deployments/scope.js';
import { recordAtRevision } from '../revisions.js';
import { evaluateGates, prime } from './gates.js';
import { parseGate } from './plan.js';
import { gateEvents, rolloutEvent } from './rollout-events.js';
import type { EventType, NewEvent } from '../../domain/events.js';

/** How often a pause looks at the row (for a pause or an abort) and renews its lease. */
const CHECK_EVERY_MS = 500;
const RENEW_EVERY_MS = 30_000;

export interface RolloutPlan {
  /** Kind/name of the resource, as events name the rollout (absent in rollouts of older versions). */
  resource?: string;
  target: { environment: string } | { gateway: string };
  steps: string[];
  pauseMs: number;
  gates: string[];
  rollback: boolean;
  concurrency: number;
  waves: Array<Array<{ uuid: string; name: string }>>;
  /** Gateway uuid → the revision it ran before the rollout (null: none). */
  previous: Record<string, number | null>;
}

export interface RolloutProgress {
  waves: RolloutWave[];
}

export type PlannedRollout = RolloutRecord<RolloutPlan, RolloutProgress>;

export class RolloutRunner {
  private readonly rollouts: RolloutRepository;
  private readonly owner = attemptOwner();
  /** The organization's gateways, read once per run: waves name them by uuid. */
  private gatewayCache: Map<string, GatewayRecord> | undefined;

  constructor(private readonly scope: DeploymentScope) {
    this.rollouts = new RolloutRepository(scope.context.store, scope.context.organizationId);
  }

  /** Runs the rollout this process owns until it ends or is paused or aborted. */
  async run(uuid: string): Promise<void> {
    for (;;) {
      const rollout = (await this.rollouts.find(uuid)) as PlannedRollout | undefined;
      if (rollout === undefined || rollout.owner !== this.owner) return;
      if (rollout.state === 'aborted') return this.finishAbort(rollout);
      if (rollout.state !== 'running') return;
      const index = rollout.currentWave;
      const wave = rollout.progress.waves[index];
      if (wave === undefined) {
        await this.save(rollout, { state: 'succeeded', message: null }, [this.event(rollout, 'rollout.finished', { state: 'succeeded' })]);
        return;
      }
      if (wave.status === 'pending') await this.deployWave(rollout, wave);
      else if (wave.status === 'deployed') await this.gateWave(rollout, wave);
      else await this.save(rollout, { currentWave: index + 1 });
    }
  }

  private async deployWave(rollout: PlannedRollout, wave: RolloutWave): Promise<void> {
    const resource = await this.resource(rollout, rollout.revision);
    const gateways = await this.gatewaysOf(rollout, rollout.currentWave);
    const rows = byGateway(await this.scope.deployments.list({ resourceUuid: resource.uuid, gatewayUuids: gateways.map((g) => g.uuid) }));
    const results = await rollOut(this.scope, resource, { fitting: gateways, skipped: [], target: rollout.plan.target }, rows, rollout.plan.concurrency, {});
    const failed = results.filter((result) => !result.ok);
    const missing = rollout.plan.waves[rollout.currentWave]!.filter((g) => !gateways.some((found) => found.uuid === g.uuid)).map((g) => `${g.name}: the gateway was deleted`);
    const failures = [...failed.map((result) => `${result.gateway}: ${result.error ?? 'failed'}`), ...missing];
    const now = this.scope.context.clock();
    if (failures.length > 0) {
      const done = { ...wave, status: 'failed' as const, deployedAt: now.toISOString(), failures };
      return this.stop(rollout, done, `wave ${wave.index + 1} could not be deployed: ${failures.join('; ')}`);
    }
    await prime(this.scope, this.gates(rollout), gateways);
    const deployedAt = this.scope.context.clock();
    await this.save(rollout, { progress: withWave(rollout, { ...wave, status: 'deployed', deployedAt: deployedAt.toISOString(), pauseUntil: new Date(deployedAt.getTime() + rollout.plan.pauseMs).toISOString() }) }, [
      this.event(rollout, 'rollout.wave_deployed', { wave: wave.index + 1, gateways: wave.gateways }),
    ]);
  }

  private async gateWave(rollout: PlannedRollout, wave: RolloutWave): Promise<void> {
    if (!(await this.waitUntil(rollout.uuid, new Date(wave.pauseUntil ?? 0)))) return;
    const gates = rollout.plan.gates.length === 0 ? [] : await evaluateGates(this.scope, this.gates(rollout), await this.gatewaysOf(rollout, rollout.currentWave));
    const failed = gates.filter((gate) => !gate.passed);
    const evaluated = gateEvents(this.scope.context, rollout, wave.index, gates);
    if (failed.length === 0) {
      await this.save(rollout, { progress: withWave(rollout, { ...wave, status: 'passed', gates }), currentWave: rollout.currentWave + 1 }, evaluated);
      return;
    }
    await this.stop(rollout, { ...wave, status: 'failed', gates }, `gate failed on wave ${wave.index + 1}: ${failed.map(describeFailure).join('; ')}`, evaluated);
  }

  /** A failed wave: the completed waves go back (unless --no-rollback), and the rollout ends. */
  private async stop(rollout: PlannedRollout, wave: RolloutWave, message: string, events: NewEvent[] = []): Promise<void> {
    const progress = withWave(rollout, wave);
    if (!rollout.plan.rollback) {
      const said = `${message}; left as it is (--no-rollback)`;
      await this.save(rollout, { state: 'failed', progress, message: said }, [...events, this.event(rollout, 'rollout.finished', { state: 'failed', message: said })]);
      return;
    }
    const restored = await this.restore(rollout, rollout.currentWave);
    const state = restored === null ? 'rolled_back' : 'failed';
    const said = `${message}; ${restored ?? 'rolled back to the revisions they ran before'}`;
    await this.save(rollout, { state, progress, message: said }, [
      ...events,
      this.event(rollout, 'rollout.rolled_back', { throughWave: wave.index + 1, complete: restored === null, ...(restored === null ? {} : { failures: restored }) }),
      this.event(rollout, 'rollout.finished', { state, message: said }),
    ]);
  }

  /** An abort asked for while this process ran it. */
  private async finishAbort(rollout: PlannedRollout): Promise<void> {
    if (!rollout.plan.rollback) return;
    const restored = await this.restore(rollout, rollout.currentWave);
    await this.rollouts.update(rollout.uuid, { states: ['aborted'] }, { message: `aborted; ${restored ?? 'rolled back to the revisions they ran before'}` }, this.scope.context.clock(), [
      this.event(rollout, 'rollout.rolled_back', { throughWave: rollout.currentWave + 1, complete: restored === null, ...(restored === null ? {} : { failures: restored }) }),
    ]);
  }

  /** Puts the gateways of waves 0..`through` back; null when all went back, else what failed. */
  async restore(rollout: PlannedRollout, through: number): Promise<string | null> {
    const touched = rollout.progress.waves.slice(0, through + 1).filter((wave) => wave.status !== 'pending' || wave.index === through);
    const known = await this.knownGateways();
    const gateways = touched.flatMap((wave) => rollout.plan.waves[wave.index]!.flatMap((g) => known.get(g.uuid) ?? []));
    const resource = await this.resource(rollout, null);
    const previous = new Map(Object.entries(rollout.plan.previous));
    const results = await restorePrevious(this.scope, resource, gateways, previous, rollout.plan.concurrency);
    const failed = results.filter((result) => !result.ok);
    return failed.length === 0 ? null : `could not roll back ${failed.map((result) => `${result.gateway} (${result.error ?? 'failed'})`).join(', ')}`;
  }

  /** Waits until `until`, looking at the row meanwhile; false when the rollout stopped being ours to run. */
  private async waitUntil(uuid: string, until: Date): Promise<boolean> {
    let renewed = Date.now();
    for (;;) {
      const left = until.getTime() - this.scope.context.clock().getTime();
      const current = await this.rollouts.find(uuid);
      if (current === undefined || current.owner !== this.owner || current.state !== 'running') return false;
      if (left <= 0) return true;
      if (Date.now() - renewed >= RENEW_EVERY_MS) {
        await this.rollouts.update(uuid, { states: ['running'], owner: this.owner }, {}, this.scope.context.clock());
        renewed = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, CHECK_EVERY_MS)));
    }
  }

  private gates(rollout: PlannedRollout) {
    return rollout.plan.gates.map((gate, index) => parseGate(gate, index));
  }

  /** A wave's gateways that still exist (a deleted one is reported by the wave). */
  private async gatewaysOf(rollout: PlannedRollout, wave: number): Promise<GatewayRecord[]> {
    const known = await this.knownGateways();
    return rollout.plan.waves[wave]!.flatMap((g) => known.get(g.uuid) ?? []);
  }

  private async knownGateways(): Promise<Map<string, GatewayRecord>> {
    return (this.gatewayCache ??= new Map((await this.scope.gateways.list({})).map((gateway) => [gateway.uuid, gateway])));
  }

  private async resource(rollout: PlannedRollout, revision: number | null): Promise<ResourceRecord> {
    const current = await this.scope.resources.findByUuid(rollout.resourceUuid);
    if (current === undefined) throw new Error(`the resource of rollout ${rollout.uuid} was deleted`);
    return revision === null ? current : recordAtRevision(this.scope.resources, current, revision);
  }

  private event(rollout: PlannedRollout, type: EventType, data: Record<string, unknown>): NewEvent {
    return rolloutEvent(this.scope.context, rollout, type, data);
  }

  /** Writes a step while the rollout is still ours and running; a pause or abort given meanwhile wins. */
  private async save(rollout: PlannedRollout, change: { state?: RolloutState; currentWave?: number; progress?: RolloutProgress; message?: string | null }, events: NewEvent[] = []): Promise<void> {
    const written = await this.rollouts.update(rollout.uuid, { states: ['running'], owner: this.owner }, change, this.scope.context.clock(), events);
    if (!written && change.progress !== undefined) {
      // Paused or aborted meanwhile: what the wave did is still recorded, the state is left as set.
      await this.rollouts.update(rollout.uuid, { states: ['paused', 'aborted'] }, { progress: change.progress, ...(change.currentWave === undefined ? {} : { currentWave: change.currentWave }) }, this.scope.context.clock());
    }
  }
}

function withWave(rollout: PlannedRollout, wave: RolloutWave): RolloutProgress {
  return { waves: rollout.progress.waves.map((w) => (w.index === wave.index ? wave : w)) };
}

function describeFailure(gate: GateResult): string {
  return `${gate.gateway} ${gate.gate} measured ${gate.measured ?? 'nothing'}${gate.detail ? ` (${gate.detail})` : ''}`;
}
