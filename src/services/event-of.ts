/** Builds the event a service writes beside its change, from the context it acts in. */
import type { EventSubject, EventType, NewEvent } from '../domain/events.js';
import type { ServiceContext } from './context.js';

export function eventOf(
  context: Pick<ServiceContext, 'organizationId' | 'actor' | 'clock'>,
  type: EventType,
  subject: EventSubject,
  data: Record<string, unknown> = {},
  gatewayUuid: string | null = subject.kind === 'gateway' ? subject.uuid : null,
): NewEvent {
  return { type, organizationId: context.organizationId, subject, actor: context.actor, data, time: context.clock(), gatewayUuid };
}
