/**
 * The seed's IGatewayAdapter: the only way business logic reaches a gateway. Services depend on
 * this file alone; implementations live one folder each (`on-premise/`, `cloud/`) or come from a
 * module named in config (`custom`), and `createAdapter` in `factory.ts` picks exactly one.
 *
 * Adapters never touch the store: everything they need about a gateway arrives as a
 * {@link GatewayTarget}, with its secrets already decrypted.
 *
 * @example
 * const adapter = await createAdapter(config.gateway.adapter, context);
 * const health = await adapter.checkHealth(target, { timeoutMs: 5000 });
 */
import type { ResourceKind, ResourceManifest } from '../domain/resource-kinds.js';
import type { AdapterType, GatewayStatus, GatewayType, HealthErrorClass } from '../domain/types.js';

// The resource vocabulary is the domain's; adapters and their callers get it here too.
export { RESOURCE_API_VERSION, RESOURCE_KINDS, TRAFFIC_KINDS, type ResourceKind, type ResourceManifest, type TrafficKind } from '../domain/resource-kinds.js';

/** Credentials for a gateway, decrypted only inside the adapter call. */
export interface GatewayCredentials {
  username?: string;
  password?: string;
  /** A bearer token, instead of username and password. */
  token?: string;
  /** A cloud provider client secret, for gateways with their own. */
  clientSecret?: string;
  /** PEM private key for the TLS client certificate. */
  clientKey?: string;
  /**
   * The origin (scheme://host:port) these credentials were given for. Adapters attach them (the
   * Authorization header, the TLS client key) only to requests to this origin; absent, to the
   * target's controlPlaneUrl.
   */
  origin?: string;
}

/** Everything an adapter knows about one gateway. */
export interface GatewayTarget {
  uuid: string;
  name: string;
  type: GatewayType;
  adapterType: AdapterType;
  controlPlaneUrl: string | null;
  endpoint: string | null;
  region: string | null;
  /** Adapter-specific, non-secret settings (URLs, TLS, region, tier, …). */
  adapterConfig: Record<string, unknown>;
  credentials: GatewayCredentials;
  status: GatewayStatus;
}

/** A gateway about to be registered: no uuid yet. */
export type RegistrationTarget = Omit<GatewayTarget, 'uuid' | 'status'> & { uuid?: string };

/** What registration found out; the service stores it. */
export interface RegistrationResult {
  status: GatewayStatus;
  endpoint: string | null;
  controlPlaneUrl: string | null;
  region: string | null;
  /**
   * Settings the adapter adds (e.g. a detected `apiBasePath`, where health was found, a cloud
   * gateway id); null removes one it had added before.
   */
  adapterConfig: Record<string, unknown>;
  /** The health check made during registration, when one was made. */
  health: HealthStatus | null;
}

export interface HealthStatus {
  healthy: boolean;
  /** Cloud gateways still being provisioned report this instead of healthy/unhealthy. */
  provisioning?: boolean;
  /** A failure that retrying cannot fix (401/403, TLS, 404 on the health path): ERROR, not INACTIVE. */
  permanent?: boolean;
  responseTimeMs: number | null;
  errorClass: HealthErrorClass | null;
  errorMessage: string | null;
  checkedAt: Date;
  /** Set when a provisioning cloud gateway got its endpoint. */
  endpoint?: string | null;
}

/** A number the gateway could not give is null, with the reason in `unavailable`. */
export interface GatewayMetrics {
  resourceCount: number | null;
  providerCount: number | null;
  proxyCount: number | null;
  mcpCount: number | null;
  requestRate: number | null;
  errorRate: number | null;
  averageLatencyMs: number | null;
  /**
   * The 99th percentile of request durations since the previous read, from the gateway's
   * histogram. Optional so that a custom adapter written before it existed still loads; left out,
   * it reads as null ("the adapter does not measure it").
   */
  p99LatencyMs?: number | null;
  unavailable: Record<string, string>;
  collectedAt: Date;
}

/** The resource counts of GatewayMetrics, each reported or named in `unavailable` when it could not be read. */
export const COUNT_FIELDS = ['resourceCount', 'providerCount', 'proxyCount', 'mcpCount'] as const satisfies ReadonlyArray<keyof GatewayMetrics>;

export interface GatewayInfo {
  name: string;
  version: string | null;
  apiBasePath: string | null;
  details: Record<string, unknown>;
}

export interface DeployedResource {
  kind: ResourceKind;
  name: string;
  /** What the gateway holds, so drift can be compared to the desired spec. */
  manifest: ResourceManifest | null;
}

export interface DeploymentResult {
  kind: ResourceKind;
  name: string;
  /** `created` for a new resource, `updated` for a replaced one. */
  action: 'created' | 'updated';
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GatewayAdapter {
  readonly type: AdapterType;

  /**
   * Checks a gateway's adapterConfig and returns it normalised (URLs canonical, defaults set).
   * Throws ValidationError naming the field. No network.
   */
  validateConfig(adapterConfig: Record<string, unknown>): Record<string, unknown>;

  /** On-premise: reachability and health, before anything is stored. Cloud: starts provisioning. */
  registerGateway(target: RegistrationTarget): Promise<RegistrationResult>;
  /** Called when URLs or credentials changed: validates the new settings against the gateway. */
  updateGateway(target: GatewayTarget): Promise<RegistrationResult>;
  /** Cloud: deprovisions. On-premise: nothing to do on the gateway. */
  deregisterGateway(target: GatewayTarget): Promise<void>;
  getGatewayInfo(target: GatewayTarget, options?: CallOptions): Promise<GatewayInfo>;

  /** One health check, never retried: the monitor's thresholds are the retry. */
  checkHealth(target: GatewayTarget, options?: CallOptions): Promise<HealthStatus>;
  getMetrics(target: GatewayTarget, options?: CallOptions): Promise<GatewayMetrics>;

  /** Creates the resource, or replaces it when the gateway already holds one of that name. */
  deployResource(target: GatewayTarget, manifest: ResourceManifest, options?: CallOptions): Promise<DeploymentResult>;
  /** Removes a resource; a resource already gone is not an error. */
  undeployResource(target: GatewayTarget, kind: ResourceKind, name: string, options?: CallOptions): Promise<void>;
  getResource(target: GatewayTarget, kind: ResourceKind, name: string, options?: CallOptions): Promise<ResourceManifest | null>;
  listResources(target: GatewayTarget, kind: ResourceKind, options?: CallOptions): Promise<DeployedResource[]>;

  /** Releases sockets and timers. */
  close(): Promise<void>;
}

/** What the factory hands every adapter besides its own options. */
export interface AdapterContext {
  logger: AdapterLogger;
  /** Default timeouts and retry policy, from `gateway.adapter.onPremise` (shared by all adapters). */
  http: OutboundHttpSettings;
  network: EgressPolicySettings;
}

export interface AdapterLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

export interface RetryPolicy {
  maxAttempts: number;
  backoffMultiplier: number;
  maxBackoffMs: number;
}

export interface OutboundHttpSettings {
  defaultTimeoutMs: number;
  healthCheckTimeoutMs: number;
  retryPolicy: RetryPolicy;
  maxResponseBytes: number;
}

export interface EgressPolicySettings {
  /** CIDRs allowed even when a deny rule matches (never overrides the always-blocked ranges). */
  allow: string[];
  deny: string[];
  denyLoopback: boolean;
  denyPrivate: boolean;
}
