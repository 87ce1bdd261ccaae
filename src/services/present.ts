/** Turns stored records into the REST resources of the seed (DESIGN §2.1). */
import type { Environment, EnvironmentSummary, Gateway } from '../domain/types.js';
import type { EnvironmentRecord } from '../store/repositories/environments.js';
import type { GatewayRecord } from '../store/repositories/gateways.js';

export function presentEnvironment(record: EnvironmentRecord): Environment {
  return {
    uuid: record.uuid,
    organizationId: record.organizationId,
    name: record.name,
    displayName: record.displayName,
    description: record.description,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

export function presentGateway(record: GatewayRecord, environments: EnvironmentSummary[]): Gateway {
  return {
    uuid: record.uuid,
    organizationId: record.organizationId,
    name: record.name,
    displayName: record.displayName,
    type: record.type,
    status: record.status,
    statusChangedAt: record.statusChangedAt,
    endpoint: record.endpoint,
    controlPlaneUrl: record.controlPlaneUrl,
    region: record.region,
    adapterType: record.adapterType,
    // Stored without secrets: a secret field holds only {set: true}.
    adapterConfig: record.adapterConfig,
    environments,
    metadata: publicMetadata(record.metadata),
    lastHeartbeat: record.lastHeartbeat,
    lastCheckedAt: record.lastCheckedAt,
    responseTimeMs: record.responseTimeMs,
    errorMessage: record.errorMessage,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    version: record.version,
  };
}

/** Metadata keys starting with "_" are the control plane's own bookkeeping. */
function publicMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  // Most metadata has none: a list of a thousand gateways then copies instead of filtering.
  for (const key in metadata) {
    if (key.startsWith('_')) return Object.fromEntries(Object.entries(metadata).filter(([name]) => !name.startsWith('_')));
  }
  return { ...metadata };
}
