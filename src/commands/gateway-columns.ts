/** How gateways print, shared by `gateway list`, `env gateways` and `gateway get`. */
import type { Gateway, GatewayFilter } from '../domain/types.js';
import { age, when } from '../output/age.js';
import type { Column } from '../output/format.js';
import { columnsOf } from './define.js';

/** Piped, these columns are printed tab-separated in this order, as `--help` says (a test holds them together). */
export const GATEWAY_COLUMNS: Column<Gateway>[] = [
  { header: 'NAME', value: (g) => g.name, identifier: true },
  { header: 'TYPE', value: (g) => g.type, priority: 8 },
  { header: 'STATUS', value: (g) => g.status, status: true, priority: 10 },
  { header: 'CHECKED', value: (g) => age(g.lastCheckedAt), priority: 7 },
  { header: 'ENVIRONMENTS', value: (g) => g.environments.map((e) => e.name).join(',') || '-', text: true, priority: 6 },
  { header: 'URL', value: (g) => g.controlPlaneUrl ?? g.endpoint ?? '-', text: true, priority: 4 },
  { header: 'AGE', value: (g) => age(g.createdAt), priority: 5 },
  { header: 'CHANGED', value: (g) => age(g.statusChangedAt), wide: true, priority: 3 },
  { header: 'RESPONSE', value: (g) => (g.responseTimeMs === null ? '-' : `${g.responseTimeMs}ms`), wide: true, priority: 3 },
  { header: 'HEARTBEAT', value: (g) => age(g.lastHeartbeat), wide: true, priority: 2 },
  { header: 'ADAPTER', value: (g) => g.adapterType, wide: true, priority: 2 },
  { header: 'UUID', value: (g) => g.uuid, wide: true, priority: 1 },
];

/** The columns help of every gateway list. */
export const GATEWAY_LIST_COLUMNS = columnsOf(GATEWAY_COLUMNS);

export const GATEWAY_FIELDS: Column<Gateway>[] = [
  { header: 'Name', value: (g) => g.name },
  { header: 'Display name', value: (g) => g.displayName },
  { header: 'Type', value: (g) => g.type },
  { header: 'Status', value: (g) => g.status, status: true },
  { header: 'Status since', value: (g) => when(g.statusChangedAt) },
  { header: 'Last checked', value: (g) => when(g.lastCheckedAt) },
  { header: 'Environments', value: (g) => g.environments.map((e) => e.name).join(', ') || '-' },
  { header: 'Control plane', value: (g) => g.controlPlaneUrl ?? '-' },
  { header: 'Health', value: (g) => healthEndpoint(g) },
  { header: 'Endpoint', value: (g) => g.endpoint ?? '-' },
  { header: 'Region', value: (g) => g.region ?? '-' },
  { header: 'Adapter', value: (g) => g.adapterType },
  { header: 'Last heartbeat', value: (g) => when(g.lastHeartbeat) },
  { header: 'Response time', value: (g) => (g.responseTimeMs === null ? '-' : `${g.responseTimeMs}ms`) },
  { header: 'Error', value: (g) => g.errorMessage ?? '-' },
  { header: 'UUID', value: (g) => g.uuid },
  { header: 'Created', value: (g) => when(g.createdAt) },
  { header: 'Updated', value: (g) => when(g.updatedAt) },
];

/** Where a gateway's health is read: the adminUrl it was given, or where agentgw found it. */
export function healthEndpoint(gateway: Gateway): string {
  const { adminUrl, healthUrl } = gateway.adapterConfig;
  if (typeof adminUrl === 'string') return `${adminUrl} (adminUrl)`;
  return typeof healthUrl === 'string' ? `${healthUrl} (found from the control-plane URL)` : '-';
}

/** "No ACTIVE EGRESS gateways found in environment production." and the like. */
export function noGatewaysFound(filter: GatewayFilter): string {
  if (filter.status === undefined && filter.type === undefined && filter.environment === undefined) {
    return 'No gateways registered yet. Register one with: agentgw gateway register NAME --control-plane-url URL';
  }
  const kind = [filter.status, filter.type].filter((word) => word !== undefined).join(' ');
  return `No ${kind === '' ? '' : `${kind} `}gateways found${filter.environment === undefined ? '' : ` in environment ${filter.environment}`}.`;
}
