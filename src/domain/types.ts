/**
 * The resources of the REST API, in the seed's field names. The CLI's `-o json` prints exactly
 * these, and both clients (local and remote) return them.
 */

export const GATEWAY_TYPES = ['EGRESS', 'INGRESS'] as const;
export type GatewayType = (typeof GATEWAY_TYPES)[number];

export const GATEWAY_STATUSES = ['ACTIVE', 'INACTIVE', 'PROVISIONING', 'ERROR'] as const;
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];

export const ADAPTER_TYPES = ['on-premise', 'cloud', 'custom'] as const;
export type AdapterType = (typeof ADAPTER_TYPES)[number];

/** Why a health check failed, coarse enough to act on. */
export const HEALTH_ERROR_CLASSES = ['timeout', 'refused', 'dns', 'tls', 'http_4xx', 'http_5xx', 'auth', 'blocked', 'network'] as const;
export type HealthErrorClass = (typeof HEALTH_ERROR_CLASSES)[number];

export interface EnvironmentSummary {
  uuid: string;
  name: string;
  displayName: string;
}

export interface Environment extends EnvironmentSummary {
  organizationId: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A secret in a read: whether it is set, never its value. */
export interface SecretPresence {
  set: true;
}

export interface Gateway {
  uuid: string;
  organizationId: string;
  name: string;
  displayName: string;
  type: GatewayType;
  status: GatewayStatus;
  /** When `status` last changed; lets readers see how stale a status is. */
  statusChangedAt: string;
  endpoint: string | null;
  controlPlaneUrl: string | null;
  region: string | null;
  adapterType: AdapterType;
  /** The gateway's adapter config with every secret replaced by `{set: true}`. */
  adapterConfig: Record<string, unknown>;
  environments: EnvironmentSummary[];
  metadata: Record<string, unknown>;
  lastHeartbeat: string | null;
  lastCheckedAt: string | null;
  responseTimeMs: number | null;
  errorMessage: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface GatewayHealth {
  gatewayId: string;
  status: GatewayStatus;
  lastHeartbeat: string | null;
  /** "45ms", as the seed shows it; `responseTimeMs` carries the number. */
  responseTime: string | null;
  responseTimeMs: number | null;
  errorMessage: string | null;
  errorClass: HealthErrorClass | null;
  /** When the check was made; null for a gateway never checked yet (a cloud one just registered). */
  checkedAt: string | null;
}

export interface GatewayMetricsReport {
  gatewayId: string;
  resourceCount: number | null;
  providerCount: number | null;
  proxyCount: number | null;
  mcpCount: number | null;
  requestRate: number | null;
  errorRate: number | null;
  /** "120ms", as the seed shows it. */
  averageLatency: string | null;
  averageLatencyMs: number | null;
  /** "480ms": the 99th percentile since the previous read, from the gateway's duration histogram. */
  p99Latency: string | null;
  p99LatencyMs: number | null;
  /** For every field that is null: why (source not configured, unreachable, first scrape). */
  unavailable: Record<string, string>;
  timestamp: string;
  /** The control plane's own view: resources its deployment records say the gateway holds. */
  deploymentCount?: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Options of a write to a versioned resource, for services and clients alike. */
export interface WriteOptions {
  /** The version the caller last read (from an ETag); the write fails with 412 if it moved on. */
  ifVersion?: number;
}

export interface GatewayFilter {
  type?: GatewayType;
  /** An environment's uuid or name. */
  environment?: string;
  status?: GatewayStatus;
}
