/**
 * What commands and the dashboard talk to. Two implementations: LocalClient runs the services
 * in this process against the database; RemoteClient calls a daemon over HTTP. Commands never
 * know which one they hold, so both modes print the same output and fail the same way.
 */
import type { AgentgwEvent } from '../domain/events.js';
import type { EventPage, EventQuery } from '../services/events.js';
import type { CreateWebhookInput, Webhook, WebhookDelivery } from '../services/webhooks.js';
import type {
  Environment,
  Gateway,
  GatewayFilter,
  GatewayHealth,
  GatewayMetricsReport,
  Page,
  WriteOptions,
} from '../domain/types.js';
import type { CreateEnvironmentInput, DeleteEnvironmentOptions, UpdateEnvironmentInput } from '../services/environments.js';
import type { DeleteGatewayOptions, RegisterGatewayInput, RegisterOptions, UpdateGatewayInput } from '../services/gateways.js';
import type {
  AppliedResource,
  Deployment,
  DeploymentFilter,
  DeploymentMatrix,
  DeployReport,
  DeployRequest,
  DriftReport,
  Resource,
  UndeployRequest,
} from '../domain/resources.js';
import type { DeployOptions } from '../services/deployments/index.js';
import type { ResourceHistory, RollbackRequest, Rollout, RolloutRequest } from '../domain/rollouts.js';
import type { ResourceFilter } from '../services/resources.js';
import type { GatewayHealthHistory, HealthHistoryOptions } from '../services/health-history.js';
import type { ApiToken, CreatedToken, CreateTokenInput } from '../services/tokens.js';

export type { CreateEnvironmentInput, UpdateEnvironmentInput, RegisterGatewayInput, RegisterOptions, UpdateGatewayInput };

export interface ClientDescription {
  mode: 'local' | 'remote';
  /** The database (local) or the daemon URL (remote), without secrets. */
  target: string;
  /** The active adapter type, when known. */
  adapter: string | null;
}

export interface EnvironmentsApi {
  create(input: CreateEnvironmentInput): Promise<Environment>;
  list(): Promise<Environment[]>;
  get(ref: string): Promise<Environment>;
  update(ref: string, input: UpdateEnvironmentInput, options?: WriteOptions): Promise<Environment>;
  delete(ref: string, options?: DeleteEnvironmentOptions): Promise<void>;
  gateways(ref: string): Promise<Gateway[]>;
}

export interface GatewaysApi {
  /** With `waitMs`, a gateway still provisioning is waited for (REST: `Prefer: wait=N`). */
  register(input: RegisterGatewayInput, options?: RegisterOptions): Promise<Gateway>;
  list(filter?: GatewayFilter): Promise<Gateway[]>;
  listPage(filter: GatewayFilter, page: { limit?: number; cursor?: string }): Promise<Page<Gateway>>;
  get(ref: string): Promise<Gateway>;
  update(ref: string, input: UpdateGatewayInput, options?: WriteOptions): Promise<Gateway>;
  /** With `drain`, undeploys everything from the gateway first instead of refusing (409). */
  delete(ref: string, options?: DeleteGatewayOptions): Promise<void>;
  /** Checks the gateway now and records the result (REST: POST …/health-checks). */
  health(ref: string): Promise<GatewayHealth>;
  /** The last recorded check, without calling the gateway (REST: GET …/health). */
  lastHealth(ref: string): Promise<GatewayHealth>;
  /** Status transitions, newest first. */
  healthHistory(ref: string, options?: HealthHistoryOptions): Promise<GatewayHealthHistory>;
  metrics(ref: string): Promise<GatewayMetricsReport>;
  environments(ref: string): Promise<Environment[]>;
  addEnvironment(ref: string, environmentRef: string): Promise<void>;
  removeEnvironment(ref: string, environmentRef: string): Promise<void>;
}

export interface ResourcesApi {
  /** One manifest or a list; all are validated before any is stored. */
  apply(manifests: unknown): Promise<AppliedResource[]>;
  list(filter?: ResourceFilter): Promise<Resource[]>;
  /** `Kind/name`, a name only one kind has, or a uuid. */
  get(ref: string): Promise<Resource>;
  delete(ref: string): Promise<void>;
  /** Every revision, with time, actor and a diff of the manifests. */
  history(ref: string): Promise<ResourceHistory>;
}

export interface DeploymentsApi {
  /** Progress is reported in local mode only; a daemon answers when the deploy is done. */
  deploy(request: DeployRequest, options?: DeployOptions): Promise<DeployReport>;
  undeploy(request: UndeployRequest, options?: DeployOptions): Promise<DeployReport>;
  list(filter?: DeploymentFilter): Promise<Deployment[]>;
  matrix(environment: string): Promise<DeploymentMatrix>;
  drift(environment: string): Promise<DriftReport>;
  /** An earlier revision deployed where another one runs (REST: POST /deployments/rollback). */
  rollback(request: RollbackRequest, options?: DeployOptions): Promise<DeployReport>;
}

/** Progressive rollouts; `start` and `resume` return at once, the rollout runs on (follow it with `get`). */
export interface RolloutsApi {
  start(request: RolloutRequest): Promise<Rollout>;
  list(filter?: { state?: string }): Promise<Rollout[]>;
  get(id: string): Promise<Rollout>;
  pause(id: string): Promise<Rollout>;
  resume(id: string): Promise<Rollout>;
  abort(id: string): Promise<Rollout>;
}

/** API tokens of the caller's organization; over a daemon, for a token with the admin scope only. */
export interface TokensApi {
  create(input: CreateTokenInput): Promise<CreatedToken>;
  list(): Promise<ApiToken[]>;
  /** Revoking a revoked token again is not an error. */
  revoke(name: string): Promise<ApiToken>;
}

/** The event log: pages of it, and following it as it grows. */
export interface EventsApi {
  list(query: EventQuery): Promise<EventPage>;
  /**
   * Every event after `query.afterId` (or from `query.since`, or from now) as it is written,
   * until `signal` aborts. In-process it reads the table; over a daemon it reads the stream and,
   * when the connection drops, resumes with Last-Event-ID. `onLive` hears when a stream connects
   * and when it drops (over a daemon only), so a follower can tell live data from stale.
   */
  follow(query: EventQuery, signal: AbortSignal, onLive?: (live: boolean) => void): AsyncIterable<AgentgwEvent>;
}

/** Webhooks of the caller's organization; deliveries are sent by a running daemon. */
export interface WebhooksApi {
  create(input: CreateWebhookInput): Promise<Webhook>;
  list(): Promise<Webhook[]>;
  get(name: string): Promise<Webhook>;
  delete(name: string): Promise<void>;
  deliveries(name: string): Promise<WebhookDelivery[]>;
}

export interface Client {
  describe(): ClientDescription;
  events: EventsApi;
  webhooks: WebhooksApi;
  environments: EnvironmentsApi;
  gateways: GatewaysApi;
  resources: ResourcesApi;
  deployments: DeploymentsApi;
  rollouts: RolloutsApi;
  tokens: TokensApi;
  close(): Promise<void>;
}
