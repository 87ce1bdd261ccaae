/** How gateways print in tables, shared by `gateway list` and `env gateways`. */
import type { Gateway } from '../domain/types.js';
import { age, statusWithAge } from '../output/age.js';
import type { Column } from '../output/format.js';

export const GATEWAY_COLUMNS: Column<Gateway>[] = [
  { header: 'NAME', value: (g) => g.name },
  { header: 'TYPE', value: (g) => g.type },
  { header: 'STATUS', value: (g) => statusWithAge(g) },
  { header: 'ENVIRONMENTS', value: (g) => g.environments.map((e) => e.name).join(',') || '-' },
  { header: 'URL', value: (g) => g.controlPlaneUrl ?? g.endpoint ?? '-' },
  { header: 'RESPONSE', value: (g) => (g.responseTimeMs === null ? '-' : `${g.responseTimeMs}ms`), wide: true },
  { header: 'HEARTBEAT', value: (g) => (g.lastHeartbeat === null ? '-' : `${age(g.lastHeartbeat)} ago`), wide: true },
  { header: 'ADAPTER', value: (g) => g.adapterType, wide: true },
  { header: 'UUID', value: (g) => g.uuid, wide: true },
];

export const GATEWAY_FIELDS: Column<Gateway>[] = [
  { header: 'Name', value: (g) => g.name },
  { header: 'Display name', value: (g) => g.displayName },
  { header: 'Type', value: (g) => g.type },
  { header: 'Status', value: (g) => statusWithAge(g) },
  { header: 'Environments', value: (g) => g.environments.map((e) => e.name).join(', ') || '-' },
  { header: 'Control plane', value: (g) => g.controlPlaneUrl ?? '-' },
  { header: 'Health', value: (g) => healthEndpoint(g) },
  { header: 'Endpoint', value: (g) => g.endpoint ?? '-' },
  { header: 'Region', value: (g) => g.region ?? '-' },
  { header: 'Adapter', value: (g) => g.adapterType },
  { header: 'Last heartbeat', value: (g) => g.lastHeartbeat ?? '-' },
  { header: 'Response time', value: (g) => (g.responseTimeMs === null ? '-' : `${g.responseTimeMs}ms`) },
  { header: 'Error', value: (g) => g.errorMessage ?? '-' },
  { header: 'UUID', value: (g) => g.uuid },
  { header: 'Created', value: (g) => g.createdAt },
  { header: 'Updated', value: (g) => g.updatedAt },
];

/** Where a gateway's health is read: the adminUrl it was given, or where agentgw found it. */
export function healthEndpoint(gateway: Gateway): string {
  const { adminUrl, healthUrl } = gateway.adapterConfig;
  if (typeof adminUrl === 'string') return `${adminUrl} (adminUrl)`;
  return typeof healthUrl === 'string' ? `${healthUrl} (found from the control-plane URL)` : '-';
}
