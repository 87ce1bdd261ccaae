/**
 * An in-memory Client for the dashboard's component tests: the UI depends on the Client interface
 * only, so these tests drive it with a fleet they control (statuses, failures, slow answers) and
 * count the calls it makes. The real clients are exercised by the contract suite and the tmux e2e.
 */
import type { Rollout } from '../../src/domain/rollouts.js';
import type { AgentgwEvent } from '../../src/domain/events.js';
import type { Client, ClientDescription } from '../../src/client/client.js';
import { ConflictError, NotFoundError, UnavailableError, type AgentgwError } from '../../src/domain/errors.js';
import type { Deployment } from '../../src/domain/resources.js';
import type { Environment, Gateway, GatewayFilter, GatewayMetricsReport, GatewayStatus, GatewayType } from '../../src/domain/types.js';
import type { GatewayStatusEvent } from '../../src/services/health-history.js';

const T0 = '2026-01-01T00:00:00.000Z';

export function environment(name: string, description: string | null = null): Environment {
  return { uuid: `env-${name}`, organizationId: 'org', name, displayName: name[0]!.toUpperCase() + name.slice(1), description, createdAt: T0, updatedAt: T0 };
}

export function gateway(name: string, options: { type?: GatewayType; status?: GatewayStatus; environments?: Environment[]; responseTimeMs?: number | null; errorMessage?: string | null } = {}): Gateway {
  return {
    uuid: `uuid-${name}`,
    organizationId: 'org',
    name,
    displayName: name,
    type: options.type ?? 'EGRESS',
    status: options.status ?? 'ACTIVE',
    statusChangedAt: T0,
    endpoint: null,
    controlPlaneUrl: `http://127.0.0.1:9090/gateways/${name}`,
    region: null,
    adapterType: 'on-premise',
    adapterConfig: {},
    environments: (options.environments ?? []).map((e) => ({ uuid: e.uuid, name: e.name, displayName: e.displayName })),
    metadata: {},
    lastHeartbeat: T0,
    lastCheckedAt: T0,
    responseTimeMs: options.responseTimeMs === undefined ? 12 : options.responseTimeMs,
    errorMessage: options.errorMessage ?? null,
    createdAt: T0,
    updatedAt: T0,
    version: 1,
  };
}

export function deployment(on: Gateway, kind: Deployment['resource']['kind'], name: string, status: Deployment['status'] = 'DEPLOYED'): Deployment {
  return {
    uuid: `dep-${on.name}-${name}`,
    name: `${kind}/${name}@${on.name}`,
    resource: { uuid: `res-${name}`, kind, name, revision: 2 },
    gateway: { uuid: on.uuid, name: on.name },
    status,
    operation: 'deploy',
    revision: 2,
    deployedRevision: status === 'DEPLOYED' ? 2 : null,
    errorMessage: status === 'FAILED' ? 'the gateway answered 500' : null,
    createdAt: T0,
    updatedAt: T0,
  };
}

const unused = async (): Promise<never> => {
  throw new Error('not used by the dashboard');
};

export interface FakeClientOptions {
  gateways: Gateway[];
  environments: Environment[];
  description?: Partial<ClientDescription>;
}

export class FakeClient implements Client {
  gatewayList: Gateway[];
  environmentList: Environment[];
  /** When set, every call fails as an unreachable daemon would. */
  unreachable: string | null = null;
  /** When set, every call fails with it, as a daemon refusing the token would (401/403). */
  refusal: AgentgwError | null = null;
  /** Gateways whose metrics never answer, like a hung gateway's. */
  hangingMetrics = new Set<string>();
  /** Delay of `gateways.listPage`, to see whether polls overlap. */
  listDelayMs = 0;
  deploymentList: Deployment[] = [];
  /** Status transitions by gateway uuid, newest first, as the history API returns them. */
  history = new Map<string, GatewayStatusEvent[]>();
  /** `list`: reads of gateway pages; `pages`: what each asked for. */
  calls = { list: 0, pages: [] as Array<GatewayFilter & { limit?: number; cursor?: string }>, metrics: [] as string[], delete: [] as string[] };
  listInFlight = 0;
  maxListInFlight = 0;
  readonly description: ClientDescription;

  constructor(options: FakeClientOptions) {
    this.gatewayList = options.gateways;
    this.environmentList = options.environments;
    this.description = { mode: 'remote', target: 'http://127.0.0.1:8080', adapter: 'on-premise', ...options.description };
  }

  describe(): ClientDescription {
    return this.description;
  }

  async close(): Promise<void> {}

  setStatus(name: string, status: GatewayStatus, errorMessage: string | null = null): void {
    const at = new Date().toISOString();
    this.gatewayList = this.gatewayList.map((g) => {
      if (g.name !== name) return g;
      const event: GatewayStatusEvent = { from: g.status, to: status, reason: errorMessage, errorClass: null, occurredAt: at };
      this.history.set(g.uuid, [event, ...(this.history.get(g.uuid) ?? [])]);
      return { ...g, status, errorMessage, statusChangedAt: at, responseTimeMs: status === 'ACTIVE' ? g.responseTimeMs : null };
    });
  }

  /** The gateways in the daemon's order: by name. */
  private sortedGateways(): Gateway[] {
    if (this.sorted?.from !== this.gatewayList) this.sorted = { from: this.gatewayList, list: [...this.gatewayList].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
    return this.sorted.list;
  }

  private sorted: { from: Gateway[]; list: Gateway[] } | undefined;

  private check(): void {
    if (this.refusal !== null) throw this.refusal;
    if (this.unreachable !== null) throw new UnavailableError(this.unreachable, { hint: 'is `agentgw serve` running?' });
  }

  private find(ref: string): Gateway {
    const found = this.gatewayList.find((g) => g.uuid === ref || g.name === ref);
    if (!found) throw new NotFoundError('gateway', ref);
    return found;
  }

  readonly environments: Client['environments'] = {
    create: unused,
    list: async () => {
      this.check();
      return this.environmentList;
    },
    get: async (ref) => {
      this.check();
      const found = this.environmentList.find((e) => e.uuid === ref || e.name === ref);
      if (!found) throw new NotFoundError('environment', ref);
      return found;
    },
    update: unused,
    delete: unused,
    gateways: async (ref) => {
      this.check();
      return this.gatewayList.filter((g) => g.environments.some((e) => e.uuid === ref || e.name === ref));
    },
  };

  readonly gateways: Client['gateways'] = {
    register: unused,
    list: unused,
    // As the daemon pages: filtered, by name, `limit` after the cursor (here the last name itself).
    listPage: async (filter, page) => {
      this.calls.list += 1;
      this.calls.pages.push({ ...filter, ...page });
      this.listInFlight += 1;
      this.maxListInFlight = Math.max(this.maxListInFlight, this.listInFlight);
      try {
        if (this.listDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.listDelayMs));
        this.check();
        const after = page.cursor;
        const matching = this.sortedGateways().filter(
          (g) =>
            (filter.type === undefined || g.type === filter.type) &&
            (filter.status === undefined || g.status === filter.status) &&
            (filter.environment === undefined || g.environments.some((e) => e.uuid === filter.environment || e.name === filter.environment)) &&
            (after === undefined || g.name > after),
        );
        const limit = page.limit ?? 100;
        const items = matching.slice(0, limit);
        return { items, nextCursor: matching.length > limit ? items.at(-1)!.name : null };
      } finally {
        this.listInFlight -= 1;
      }
    },
    get: async (ref) => {
      this.check();
      return this.find(ref);
    },
    update: unused,
    delete: async (ref) => {
      this.check();
      const found = this.find(ref);
      if (this.deploymentList.some((d) => d.gateway.uuid === found.uuid && d.status !== 'UNDEPLOYED')) {
        throw new ConflictError('AGW_GATEWAY_HAS_DEPLOYMENTS', `gateway "${found.name}" has deployed resources`, { hint: 'undeploy them first' });
      }
      this.calls.delete.push(found.name);
      this.gatewayList = this.gatewayList.filter((g) => g !== found);
    },
    health: unused,
    lastHealth: unused,
    healthHistory: async (ref) => {
      this.check();
      return { events: this.history.get(this.find(ref).uuid) ?? [] };
    },
    metrics: async (ref): Promise<GatewayMetricsReport> => {
      this.check();
      const found = this.find(ref);
      this.calls.metrics.push(found.name);
      if (this.hangingMetrics.has(found.name)) await new Promise(() => {});
      return {
        gatewayId: found.uuid,
        resourceCount: 7,
        providerCount: 2,
        proxyCount: 4,
        mcpCount: 1,
        requestRate: 12.5,
        errorRate: 0.8,
        averageLatency: '120ms',
        averageLatencyMs: 120,
        p99Latency: '480ms',
        p99LatencyMs: 480,
        unavailable: {},
        timestamp: new Date().toISOString(),
      };
    },
    environments: async (ref) => {
      this.check();
      const found = this.find(ref);
      return this.environmentList.filter((e) => found.environments.some((s) => s.uuid === e.uuid));
    },
    addEnvironment: unused,
    removeEnvironment: unused,
  };

  readonly resources: Client['resources'] = { apply: unused, list: unused, get: unused, delete: unused, history: unused };

  /** Rollouts the dashboard lists as running. */
  rolloutList: Rollout[] = [];

  readonly rollouts: Client['rollouts'] = { start: unused, list: async () => this.rolloutList, get: unused, pause: unused, resume: unused, abort: unused };

  readonly tokens: Client['tokens'] = { create: unused, list: unused, revoke: unused };

  readonly webhooks: Client['webhooks'] = { create: unused, list: unused, get: unused, delete: unused, deliveries: unused };

  /** Followers of the event stream, each waiting for its next event. */
  #followers = new Set<(event: AgentgwEvent) => void>();
  /** When set, a follow says its stream is connected, as the daemon's client does. */
  liveStream = false;
  #onLive = new Set<(live: boolean) => void>();

  /** The stream drops (the daemon went away), as the daemon's client reports it. */
  dropStream(): void {
    for (const onLive of this.#onLive) onLive(false);
  }

  /** Sends an event to every follower of the stream, as a daemon would. */
  pushEvent(event: AgentgwEvent): void {
    for (const follower of this.#followers) follower(event);
  }

  readonly events: Client['events'] = {
    list: unused,
    follow: (_query, signal, onLive) => {
      if (this.liveStream && onLive !== undefined) {
        this.#onLive.add(onLive);
        onLive(true);
      }
      const queue: AgentgwEvent[] = [];
      let wake: (() => void) | null = null;
      const follower = (event: AgentgwEvent) => {
        queue.push(event);
        wake?.();
      };
      this.#followers.add(follower);
      signal.addEventListener('abort', () => {
        this.#followers.delete(follower);
        wake?.();
      }, { once: true });
      return {
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<AgentgwEvent>> => {
            while (queue.length === 0 && !signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
            const event = queue.shift();
            return event === undefined ? { done: true, value: undefined } : { done: false, value: event };
          },
        }),
      };
    },
  };

  readonly deployments: Client['deployments'] = {
    deploy: unused,
    undeploy: unused,
    list: async (filter = {}) => {
      this.check();
      return this.deploymentList.filter((d) => filter.gateway === undefined || d.gateway.uuid === filter.gateway || d.gateway.name === filter.gateway);
    },
    matrix: unused,
    drift: unused,
    rollback: unused,
  };
}
