/**
 * The tables as Kysely sees them. Timestamps are `Date` on PostgreSQL and ISO strings on
 * SQLite, JSON is `jsonb` or text: repositories go through the codec (`codec.ts`) and never
 * rely on either form.
 */
import type { ColumnType, Generated } from 'kysely';

export type Timestamp = ColumnType<Date | string, Date | string, Date | string>;
export type Json = ColumnType<unknown, unknown, unknown>;

export interface OrganizationTable {
  uuid: string;
  name: string;
  created_at: Timestamp;
}

export interface EnvironmentTable {
  uuid: string;
  organization_uuid: string;
  name: string;
  display_name: string;
  description: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GatewayTable {
  uuid: string;
  organization_uuid: string;
  name: string;
  display_name: string;
  gateway_type: string;
  control_plane_url: string | null;
  status: string;
  region: string | null;
  adapter_config: Json;
  endpoint: string | null;
  adapter_type: string;
  metadata: Json;
  /** AES-256-GCM envelope of the gateway's credentials, or null. */
  credentials: string | null;
  version: number;
  status_changed_at: Timestamp;
  last_heartbeat: Timestamp | null;
  last_checked_at: Timestamp | null;
  response_time_ms: number | null;
  error_message: string | null;
  error_class: string | null;
  consecutive_failures: number;
  consecutive_successes: number;
  next_check_at: Timestamp | null;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  /** Set while a delete is in progress: deploys refuse the gateway until then. */
  decommissioning_until: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GatewayEnvironmentMappingTable {
  id: Generated<number>;
  gateway_uuid: string;
  environment_uuid: string;
  /** The gateway's name, written by a trigger (migration 016): an environment's gateways by name are one index range. */
  gateway_name: Generated<string>;
  created_at: Timestamp;
}

export interface GatewayStatusEventTable {
  id: Generated<number>;
  gateway_uuid: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  error_class: string | null;
  occurred_at: Timestamp;
}

export interface ApiTokenTable {
  uuid: string;
  organization_uuid: string;
  name: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  token_digest: string;
  /** The granted scope: read, write or admin (each includes the ones before it). */
  scopes: string;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** A gateway-controller manifest: its latest revision (older ones are in resource_revisions). */
export interface ResourceTable {
  uuid: string;
  organization_uuid: string;
  kind: string;
  name: string;
  api_version: string;
  /** `{labels?, annotations?}` of the manifest. */
  metadata: Json;
  spec: Json;
  revision: number;
  /** SHA-256 of the canonical JSON of apiVersion, metadata, spec and a keyed digest of its secrets. */
  spec_digest: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The secret values of the spec (which holds `{set: true}` in their place), sealed; null when none. */
  secrets: string | null;
}

export interface ResourceRevisionTable {
  resource_uuid: string;
  revision: number;
  metadata: Json;
  spec: Json;
  spec_digest: string;
  created_at: Timestamp;
  /** The revision's secret values, sealed (migration 014; null before it, or when it has none). */
  secrets: string | null;
  actor: string | null;
}

/** A progressive deploy: waves of gateways with gates between them (migration 014). */
export interface RolloutTable {
  uuid: string;
  organization_uuid: string;
  resource_uuid: string;
  revision: number;
  state: string;
  current_wave: number;
  plan: Json;
  progress: Json;
  message: string | null;
  owner: string | null;
  actor: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One resource on one gateway; the foreign keys are ON DELETE RESTRICT. */
export interface DeploymentTable {
  uuid: string;
  resource_uuid: string;
  gateway_uuid: string;
  revision: number;
  deployed_revision: number | null;
  status: string;
  operation: string;
  error_message: string | null;
  attempt_id: string | null;
  attempt_owner: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One change, as the event log keeps it (see migrations/013_events.ts). */
export interface EventTable {
  id: Generated<number>;
  occurred_at: Timestamp;
  type: string;
  organization_uuid: string;
  subject_kind: string;
  subject_uuid: string;
  subject_name: string;
  gateway_uuid: string | null;
  actor: string;
  data: Json;
}

export interface WebhookTable {
  uuid: string;
  organization_uuid: string;
  name: string;
  url: string;
  event_types: Json;
  /** Sealed with the secret box. */
  secret: string;
  created_at: Timestamp;
}

/** One event to one webhook: pending until a 2xx answer, or failed once retries ran out. */
export interface WebhookDeliveryTable {
  uuid: string;
  webhook_uuid: string;
  event_id: number;
  status: string;
  attempts: number;
  next_attempt_at: Timestamp;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface Database {
  events: EventTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
  api_tokens: ApiTokenTable;
  organizations: OrganizationTable;
  environments: EnvironmentTable;
  gateways: GatewayTable;
  gateway_environment_mappings: GatewayEnvironmentMappingTable;
  gateway_status_events: GatewayStatusEventTable;
  resources: ResourceTable;
  resource_revisions: ResourceRevisionTable;
  deployments: DeploymentTable;
  rollouts: RolloutTable;
}
