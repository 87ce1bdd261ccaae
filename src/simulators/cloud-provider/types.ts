/**
 * Public shapes of the cloud-provider simulator: what a test or `agentgw dev cloud-sim` hands it
 * and gets back. The API it serves is docs/cloud-provisioning-openapi.yaml.
 */

export const CLOUD_SIM_STATUSES = ['PROVISIONING', 'ACTIVE', 'ERROR', 'DELETING'] as const;
export type CloudSimStatus = (typeof CLOUD_SIM_STATUSES)[number];

export interface CloudSimAutoScaling {
  minInstances: number;
  maxInstances: number;
}

export interface CloudSimMetrics {
  requestRate: number | null;
  /** Percent of requests that failed. */
  errorRate: number | null;
  averageLatencyMs: number | null;
}

export interface CloudSimulatorOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 0 (a free port chosen by the system). */
  port?: number;
  /** The one OAuth client the token endpoint accepts. */
  clientId: string;
  clientSecret: string;
  /** How long a gateway stays PROVISIONING. Defaults to 500 ms. */
  provisioningDelayMs?: number;
  /** How long a deleted gateway stays DELETING before it is gone (404). Defaults to provisioningDelayMs. */
  deprovisioningDelayMs?: number;
  /** `expires_in` of issued tokens; a token is refused once it has passed. Defaults to 3600. */
  tokenTtlSeconds?: number;
  /** Provisioning in these regions ends in ERROR ("region R has no capacity"). */
  failRegions?: string[];
  /**
   * The managementUrl of a gateway that has just become ACTIVE, e.g. a gateway-controller
   * simulator's `addGateway({ name: id })` (the id, unlike the name, is never reused). If it
   * throws, provisioning ends in ERROR with its message. Without it, managementUrl is
   * `{url}/mgmt/{id}`, where this simulator answers 404.
   */
  managementUrlFor?: (name: string, id: string) => string;
  /** Called when a gateway that got a managementUrl is gone, to release what managementUrlFor set up. */
  onDeprovisioned?: (name: string, id: string) => void;
  /** Milliseconds since the epoch; drives provisioning, deprovisioning and token expiry. */
  clock?: () => number;
}

/** A gateway as the provider holds it. */
export interface CloudSimGateway {
  id: string;
  name: string;
  status: CloudSimStatus;
  region: string;
  tier: string;
  autoScaling: CloudSimAutoScaling;
  endpoint: string | null;
  managementUrl: string | null;
  message: string | null;
  createdAt: string;
}

export interface CloudSimStats {
  /** Every POST /oauth2/token, accepted or not. */
  tokenRequests: number;
  tokensIssued: number;
  /** API calls answered 401 for a missing, unknown or expired token. */
  unauthorized: number;
  /** Requests seen, keyed `METHOD /path` with ids replaced by `{id}` (e.g. `GET /gateways/{id}/health`). */
  requests: Record<string, number>;
}

export interface CloudSimulator {
  /** `http://HOST:PORT`, without a trailing slash: the apiEndpoint to configure. */
  readonly url: string;
  readonly port: number;
  /** Every gateway the provider holds, DELETING ones included, oldest first. */
  gateways(): CloudSimGateway[];
  stats(): CloudSimStats;
  /** Invalidates every issued token: the next API call with one is answered 401. */
  expireTokens(): void;
  /** What GET /gateways/{id}/health reports for an ACTIVE gateway (by id or name). */
  setHealth(gateway: string, status: 'healthy' | 'unhealthy'): void;
  /** What GET /gateways/{id}/metrics reports for an ACTIVE gateway (by id or name). */
  setMetrics(gateway: string, metrics: Partial<CloudSimMetrics>): void;
  /** Drops a gateway at once, as if it had been deprovisioned outside agentgw. False when there was none. */
  removeGateway(gateway: string): boolean;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}
