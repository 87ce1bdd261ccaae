/**
 * Public shapes of the gateway-controller simulator: what a test, a benchmark or the
 * `agentgw dev gateway-sim` command hands it and gets back.
 */
import type { ResourceKind, ResourceManifest } from '../../adapters/adapter.js';

/**
 * Misbehaviour injected into one simulated gateway. Every knob is independent; when several are
 * set, `down` wins over `hang`, which wins over everything else, and `latencyMs` delays whatever
 * answer is finally given.
 */
export interface Faults {
  /** Added before every answer of this gateway (management, health and metrics). */
  latencyMs?: number;
  /**
   * Fraction (0..1) of management and health requests answered 500 with the spec's error body.
   * Applied deterministically (every 1/errorRate-th request), so tests can count on it.
   */
  errorRate?: number;
  /** The socket is destroyed as soon as the request arrives: the client sees a reset. */
  down?: boolean;
  /** The request is accepted and never answered until the simulator closes. */
  hang?: boolean;
  /** Every request of this gateway, health included, is answered 401. */
  unauthorized?: boolean;
  /**
   * The `status` the health endpoint reports instead of `healthy`; any other value is answered
   * with HTTP 503 so that probes going by status code see the gateway as unhealthy too.
   */
  healthStatus?: string;
}

/**
 * Synthetic data-plane traffic behind the Prometheus endpoint. Counters are a pure function of the
 * time elapsed since the gateway started, so two scrapes give back exactly the configured rates.
 */
export interface TrafficProfile {
  requestsPerSecond: number;
  /** Fraction (0..1) of requests counted as errors. */
  errorRatio: number;
  /** Mean request duration; durations are exponentially distributed around it. */
  meanLatencyMs: number;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

export interface SimulatedGatewayOptions {
  /** Letters, digits, `.`, `_` and `-`; it becomes a URL path segment. */
  name: string;
  /**
   * Serves the 2026-02 API shape: no `/api/management/v1` prefix, `/apis`, and `/health` on the
   * management port, with no admin API.
   */
  legacy?: boolean;
  /** When set, the management API requires these HTTP Basic credentials. */
  auth?: BasicCredentials;
  /** Reported as an extra `version` field of the health answer. */
  version?: string;
  faults?: Faults;
  traffic?: TrafficProfile;
  /** Resources the gateway already holds when it starts; each must pass the API's validation. */
  resources?: ResourceManifest[];
}

/** `fleet`: many gateways under `/gateways/NAME` (on both listeners); `single`: one gateway at `/`, like a real controller. */
export type SimulatorMode = 'fleet' | 'single';

export interface GatewaySimulatorOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** The management listener's port. Defaults to 0 (a free port chosen by the system). */
  port?: number;
  /**
   * The admin listener's port. Defaults to `port` + 2, as on a real controller (9090 → 9092);
   * with port 0, to a free port whose + 2 is free too.
   */
  adminPort?: number;
  gateways?: SimulatedGatewayOptions[];
  /** Defaults to `fleet`. In `single` mode a gateway named `gw-1` is created when none is given. */
  mode?: SimulatorMode;
  /** Milliseconds since the epoch; drives resource timestamps, health-check stamps and metrics. */
  clock?: () => number;
}

export interface SimulatedResource {
  kind: ResourceKind;
  name: string;
  /** The manifest as stored (write-only secrets included, server-managed `status` dropped). */
  manifest: ResourceManifest;
}

export interface GatewayStats {
  totalRequests: number;
  /** Requests seen, keyed `METHOD /path` relative to the gateway's URL, query string dropped. */
  requests: Record<string, number>;
  healthChecks: number;
  /** When health checks arrived (ms since the epoch), oldest first; the last 1000 are kept. */
  healthCheckTimestamps: number[];
}

export interface GatewaySummary {
  name: string;
  url: string;
  adminUrl: string;
  legacy: boolean;
  version: string;
  /** Whether the management API requires credentials (the credentials themselves are not shown). */
  auth: boolean;
  faults: Faults;
  traffic: TrafficProfile;
}

export interface GatewaySimulator {
  /** The management listener's port. */
  readonly port: number;
  /** The admin listener's port. */
  readonly adminPort: number;
  /** `http://HOST:PORT` of the management listener, without a trailing slash. */
  readonly baseUrl: string;
  /** `http://HOST:ADMIN_PORT`, without a trailing slash. */
  readonly adminBaseUrl: string;
  readonly mode: SimulatorMode;
  /** The controlPlaneUrl of a gateway: its management API (in `single` mode, the base URL). */
  urlOf(name: string): string;
  /** The root of a gateway's admin API (`…/api/admin/v1/health` below it); legacy gateways have none. */
  adminUrlOf(name: string): string;
  /** The gateway's Prometheus endpoint, for a metricsUrl. */
  metricsUrlOf(name: string): string;
  /** Adds a gateway and returns its URL; throws when the name is taken or the options are invalid. */
  addGateway(options: SimulatedGatewayOptions): string;
  /** Returns false when there was no such gateway. */
  removeGateway(name: string): boolean;
  /** Merges the given knobs into the gateway's faults (`undefined` clears one) and returns the result. */
  setFaults(name: string, faults: Partial<Faults>): Faults;
  setTraffic(name: string, profile: TrafficProfile): void;
  resources(name: string): SimulatedResource[];
  stats(name: string): GatewayStats;
  gateways(): GatewaySummary[];
  /** Stops listening and drops every connection, hung requests included. */
  close(): Promise<void>;
}
