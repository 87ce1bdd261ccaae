/**
 * The changes agentgw records, as the event log, the REST API (`/api/v1/events`), the stream and
 * the CLI show them. An event is written in the same transaction as the change it records.
 */

export const EVENT_TYPES = [
  'environment.created',
  'environment.updated',
  'environment.deleted',
  'gateway.registered',
  'gateway.updated',
  'gateway.deleted',
  'gateway.environment_added',
  'gateway.environment_removed',
  'gateway.status_changed',
  'deployment.deployed',
  'deployment.failed',
  'deployment.undeployed',
  'token.created',
  'token.revoked',
  'webhook.created',
  'webhook.deleted',
  'rollout.started',
  'rollout.wave_deployed',
  'rollout.gate_evaluated',
  'rollout.rolled_back',
  'rollout.finished',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type EventSubjectKind = 'environment' | 'gateway' | 'deployment' | 'token' | 'webhook' | 'rollout';

export interface EventSubject {
  kind: EventSubjectKind;
  uuid: string;
  name: string;
}

/** One recorded change. `id` only grows, so a reader resumes after the last id it saw. */
export interface AgentgwEvent {
  id: number;
  time: string;
  type: EventType;
  organizationId: string;
  subject: EventSubject;
  /** The API token's name, `local:<os user>` in-process, `system:<part>` for agentgw's own work. */
  actor: string;
  data: Record<string, unknown>;
}

/** What a writer gives: the log assigns id and keeps the time it is given. */
export type NewEvent = Omit<AgentgwEvent, 'id' | 'time'> & {
  time: Date;
  /** The gateway the change concerns, for `?gateway=`: the subject itself, or a deployment's. */
  gatewayUuid: string | null;
};

/** The actor of changes the health monitor makes. */
export const MONITOR_ACTOR = 'system:health-monitor';

export interface EventFilter {
  types?: readonly EventType[];
  /** A gateway's uuid: its own events and its deployments'. */
  gatewayUuid?: string;
  since?: Date;
  /** Only events after this id. */
  afterId?: number;
  limit?: number;
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
