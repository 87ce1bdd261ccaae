/** The events the deployment repository writes beside its rows, acting for the current actor. */
import { currentActor } from '../../domain/acting.js';
import type { EventType, NewEvent } from '../../domain/events.js';
import type { DeploymentStatus } from '../../domain/resources.js';
import type { DeploymentRow } from './deployments.js';

/** The event a settlement to `status` records, or null for a status that settles nothing yet. */
export function settlementEventType(status: DeploymentStatus): EventType | null {
  if (status === 'DEPLOYED') return 'deployment.deployed';
  if (status === 'FAILED') return 'deployment.failed';
  if (status === 'UNDEPLOYED') return 'deployment.undeployed';
  return null;
}

export function deploymentEvents(rows: readonly DeploymentRow[], time: Date): NewEvent[] {
  const actor = currentActor();
  return rows.flatMap((row) => {
    const type = settlementEventType(row.status);
    if (type === null) return [];
    return [
      {
        type,
        organizationId: row.organizationId,
        subject: { kind: 'deployment' as const, uuid: row.uuid, name: `${row.resourceKind}/${row.resourceName}@${row.gatewayName}` },
        actor,
        time,
        gatewayUuid: row.gatewayUuid,
        data: {
          resource: { uuid: row.resourceUuid, kind: row.resourceKind, name: row.resourceName },
          gateway: { uuid: row.gatewayUuid, name: row.gatewayName },
          operation: row.operation,
          revision: row.revision,
          deployedRevision: row.deployedRevision,
          errorMessage: row.errorMessage,
        },
      },
    ];
  });
}

export function gatewayDeletedEvent(gateway: { uuid: string; name: string; organization_uuid: string }, time: Date): NewEvent {
  return {
    type: 'gateway.deleted',
    organizationId: gateway.organization_uuid,
    subject: { kind: 'gateway', uuid: gateway.uuid, name: gateway.name },
    actor: currentActor(),
    time,
    gatewayUuid: gateway.uuid,
    data: {},
  };
}
