/**
 * The events a rollout writes with its steps ([R2 5/7] meets [R2 6/7]): started, each wave
 * deployed, each gate's result, a rollback, and how it finished. They go into the log in the
 * transaction of the row's step (RolloutRepository.update), so the log never tells of a step the
 * row does not hold.
 */
import type { EventType, NewEvent } from '../../domain/events.js';
import type { GateResult } from '../../domain/rollouts.js';
import type { ServiceContext } from '../context.js';
import { eventOf } from '../event-of.js';

interface RolloutLike {
  uuid: string;
  plan: { resource?: string };
}

export function rolloutEvent(context: ServiceContext, rollout: RolloutLike, type: EventType, data: Record<string, unknown> = {}): NewEvent {
  // Rollouts started before events carry no resource label; their uuid names them.
  return eventOf(context, type, { kind: 'rollout', uuid: rollout.uuid, name: rollout.plan.resource ?? rollout.uuid }, data, null);
}

export function gateEvents(context: ServiceContext, rollout: RolloutLike, wave: number, gates: readonly GateResult[]): NewEvent[] {
  return gates.map((gate) => rolloutEvent(context, rollout, 'rollout.gate_evaluated', { wave: wave + 1, ...gate }));
}
