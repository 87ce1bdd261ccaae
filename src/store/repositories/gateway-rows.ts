/**
 * A gateways row as it is read (the columns of GATEWAY_COLUMNS) and the record made of it; shared
 * by the gateway repositories and the health monitor's leases.
 */
import type { Selectable } from 'kysely';
import type { AdapterType, EnvironmentSummary, GatewayStatus, GatewayType, HealthErrorClass } from '../../domain/types.js';
import type { Codec } from '../codec.js';
import type { GatewayTable } from '../schema.js';

/** A gateway as stored. Its times are ISO 8601 text, as the REST resource carries them (Codec.readIsoTime). */
export interface GatewayRecord {
  uuid: string;
  organizationId: string;
  name: string;
  displayName: string;
  type: GatewayType;
  status: GatewayStatus;
  statusChangedAt: string;
  controlPlaneUrl: string | null;
  endpoint: string | null;
  region: string | null;
  adapterType: AdapterType;
  adapterConfig: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** The sealed credentials envelope, or null. */
  credentials: string | null;
  version: number;
  lastHeartbeat: string | null;
  lastCheckedAt: string | null;
  responseTimeMs: number | null;
  errorMessage: string | null;
  errorClass: HealthErrorClass | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  createdAt: string;
  updatedAt: string;
  /** The gateway's environments (sorted by name), when the read asked for them. */
  environments?: EnvironmentSummary[];
}

export const COLUMNS = [
  'g.uuid',
  'g.organization_uuid',
  'g.name',
  'g.display_name',
  'g.gateway_type',
  'g.status',
  'g.status_changed_at',
  'g.control_plane_url',
  'g.endpoint',
  'g.region',
  'g.adapter_type',
  'g.adapter_config',
  'g.metadata',
  'g.credentials',
  'g.version',
  'g.last_heartbeat',
  'g.last_checked_at',
  'g.response_time_ms',
  'g.error_message',
  'g.error_class',
  'g.consecutive_failures',
  'g.consecutive_successes',
  'g.created_at',
  'g.updated_at',
] as const;

/** The same columns, unqualified, for RETURNING (named, not `*`: see the resources repository). */
export const RETURNED_COLUMNS = COLUMNS.map((column) => column.slice(2) as Unqualified<(typeof COLUMNS)[number]>);
type Unqualified<C> = C extends `g.${infer Name}` ? Name : never;

/**
 * A row read as an array of values (Store.directReads.values) as the object Kysely would have given: the
 * columns of COLUMNS in their order, then environments when the read selected them.
 */
export function gatewayRowOf(values: unknown[]): GatewayRow & { environments?: unknown } {
  const v = values;
  // Each value is of its column's type: the driver read them as it reads a row's.
  return {
    uuid: v[0], organization_uuid: v[1], name: v[2], display_name: v[3], gateway_type: v[4], status: v[5], status_changed_at: v[6],
    control_plane_url: v[7], endpoint: v[8], region: v[9], adapter_type: v[10], adapter_config: v[11], metadata: v[12], credentials: v[13],
    version: v[14], last_heartbeat: v[15], last_checked_at: v[16], response_time_ms: v[17], error_message: v[18], error_class: v[19],
    consecutive_failures: v[20], consecutive_successes: v[21], created_at: v[22], updated_at: v[23], environments: v[24],
  } as GatewayRow & { environments?: unknown };
}

/** A gateways row, as a {@link GatewayRecord} is read from it. */
export type GatewayRow = Pick<Selectable<GatewayTable>, Unqualified<(typeof COLUMNS)[number]>>;

export function toGatewayRecord(codec: Codec, row: GatewayRow): GatewayRecord {
  return {
    uuid: row.uuid,
    organizationId: row.organization_uuid,
    name: row.name,
    displayName: row.display_name,
    type: row.gateway_type as GatewayType,
    status: row.status as GatewayStatus,
    statusChangedAt: codec.readIsoTime(row.status_changed_at),
    controlPlaneUrl: row.control_plane_url,
    endpoint: row.endpoint,
    region: row.region,
    adapterType: row.adapter_type as AdapterType,
    adapterConfig: codec.readJson<Record<string, unknown> | null>(row.adapter_config) ?? {},
    metadata: codec.readJson<Record<string, unknown> | null>(row.metadata) ?? {},
    credentials: row.credentials,
    version: Number(row.version),
    lastHeartbeat: codec.readIsoTimeOrNull(row.last_heartbeat),
    lastCheckedAt: codec.readIsoTimeOrNull(row.last_checked_at),
    responseTimeMs: row.response_time_ms === null ? null : Number(row.response_time_ms),
    errorMessage: row.error_message,
    errorClass: row.error_class as HealthErrorClass | null,
    consecutiveFailures: Number(row.consecutive_failures),
    consecutiveSuccesses: Number(row.consecutive_successes),
    createdAt: codec.readIsoTime(row.created_at),
    updatedAt: codec.readIsoTime(row.updated_at),
  };
}

/** toGatewayRecord, with the environments a read selected beside the row. */
export function toGatewayRecordWith(codec: Codec, row: GatewayRow & { environments?: unknown }): GatewayRecord {
  const record = toGatewayRecord(codec, row);
  if (row.environments !== undefined) record.environments = codec.readJson<EnvironmentSummary[]>(row.environments);
  return record;
}
