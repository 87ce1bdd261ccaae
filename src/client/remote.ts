/**
 * The client of a running daemon. Every call maps onto one REST endpoint of the seed; errors
 * come back as problem+json and are rebuilt into the same AgentgwError the services would have
 * thrown in-process, so remote mode prints the same message and exits with the same code.
 */
import { fromProblem, type AgentgwError, UnavailableError, type ProblemDocument } from '../domain/errors.js';
import type { Environment, Gateway, GatewayFilter, GatewayHealth, GatewayMetricsReport, Page, WriteOptions } from '../domain/types.js';
import type { GatewayHealthHistory } from '../services/health-history.js';
import type { ApiToken, CreatedToken } from '../services/tokens.js';
import type { AppliedResource, Deployment, DeploymentMatrix, DeployReport, DriftReport, Resource } from '../domain/resources.js';
import type { ResourceHistory, Rollout } from '../domain/rollouts.js';
import type { Client, ClientDescription } from './client.js';
import type { EventPage, EventQuery } from '../services/events.js';
import type { Webhook, WebhookDelivery } from '../services/webhooks.js';
import { followStream } from './event-stream-client.js';
import { DaemonTimeoutError, requestDaemon, type DaemonResponse } from './daemon-http.js';

const REQUEST_TIMEOUT_MS = 120_000;
const LIST_PAGE_SIZE = 1000;

interface Exchange {
  status: number;
  body: unknown;
  etag: string | null;
}

/** What one call adds to a request: headers (e.g. `Prefer`) and a longer wait for an answer. */
interface RequestExtras {
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class RemoteClient implements Client {
  readonly environments: Client['environments'];
  readonly gateways: Client['gateways'];
  readonly resources: Client['resources'];
  readonly deployments: Client['deployments'];
  readonly rollouts: Client['rollouts'];
  readonly tokens: Client['tokens'];
  readonly events: Client['events'];
  readonly webhooks: Client['webhooks'];
  #adapter: string | null = null;

  private constructor(
    private readonly baseUrl: string,
    private readonly token: string | null,
  ) {
    const id = encodeURIComponent;
    this.webhooks = {
      create: (input) => this.json<Webhook>('POST', '/api/v1/webhooks', input),
      list: async () => (await this.json<{ webhooks: Webhook[] }>('GET', '/api/v1/webhooks')).webhooks,
      get: (name) => this.json<Webhook>('GET', `/api/v1/webhooks/${encodeURIComponent(name)}`),
      delete: async (name) => {
        await this.send('DELETE', `/api/v1/webhooks/${encodeURIComponent(name)}`);
      },
      deliveries: async (name) => (await this.json<{ deliveries: WebhookDelivery[] }>('GET', `/api/v1/webhooks/${encodeURIComponent(name)}/deliveries`)).deliveries,
    };
    this.events = {
      list: (query) => this.json<EventPage>('GET', `/api/v1/events${eventQuery(query, true)}`),
      follow: (query, signal, onLive) =>
        followStream(
          {
            url: new URL(`${this.baseUrl}/api/v1/events/stream${eventQuery(query, false)}`),
            headers: this.token === null ? {} : { authorization: `Bearer ${this.token}` },
            refusal: (status, body) => problemOf(status, safeJson(body), this.baseUrl),
          },
          query.afterId,
          signal,
          onLive,
        ),
    };
    this.environments = {
      create: (input) => this.json<Environment>('POST', '/api/v1/environments', input),
      list: async () => (await this.json<{ environments: Environment[] }>('GET', '/api/v1/environments')).environments,
      get: (ref) => this.json<Environment>('GET', `/api/v1/environments/${id(ref)}`),
      update: (ref, input, options) => this.json<Environment>('PUT', `/api/v1/environments/${id(ref)}`, input, options),
      delete: async (ref, options) => {
        await this.send('DELETE', `/api/v1/environments/${id(ref)}${options?.force ? '?force=true' : ''}`, undefined, options);
      },
      gateways: async (ref) => (await this.json<{ gateways: Gateway[] }>('GET', `/api/v1/environments/${id(ref)}/gateways`)).gateways,
    };
    this.gateways = {
      register: (input, options = {}) => {
        if (options.waitMs === undefined || options.waitMs <= 0) return this.json<Gateway>('POST', '/api/v1/gateways', input);
        // RFC 7240: the daemon answers once provisioning ends or the wait is over, whichever is first.
        const seconds = Math.ceil(options.waitMs / 1000);
        const path = `/api/v1/gateways${options.keepFailed ? '?keepFailed=true' : ''}`;
        return this.json<Gateway>('POST', path, input, undefined, { headers: { prefer: `wait=${seconds}` }, timeoutMs: options.waitMs + REQUEST_TIMEOUT_MS });
      },
      list: (filter = {}) => this.listAll(filter),
      listPage: (filter, page) => this.listPage(filter, page),
      get: (ref) => this.json<Gateway>('GET', `/api/v1/gateways/${id(ref)}`),
      update: (ref, input, options) => this.json<Gateway>('PUT', `/api/v1/gateways/${id(ref)}`, input, options),
      delete: async (ref, options) => {
        await this.send('DELETE', `/api/v1/gateways/${id(ref)}${options?.drain ? '?drain=true' : ''}`, undefined, options);
      },
      health: (ref) => this.json<GatewayHealth>('POST', `/api/v1/gateways/${id(ref)}/health-checks`),
      lastHealth: (ref) => this.json<GatewayHealth>('GET', `/api/v1/gateways/${id(ref)}/health`),
      healthHistory: (ref, options) =>
        this.json<GatewayHealthHistory>('GET', `/api/v1/gateways/${id(ref)}/health/history${options?.limit === undefined ? '' : `?limit=${options.limit}`}`),
      metrics: (ref) => this.json<GatewayMetricsReport>('GET', `/api/v1/gateways/${id(ref)}/metrics`),
      environments: async (ref) => (await this.json<{ environments: Environment[] }>('GET', `/api/v1/gateways/${id(ref)}/environments`)).environments,
      addEnvironment: async (ref, environmentRef) => {
        await this.send('POST', `/api/v1/gateways/${id(ref)}/environments/${id(environmentRef)}`);
      },
      removeEnvironment: async (ref, environmentRef) => {
        await this.send('DELETE', `/api/v1/gateways/${id(ref)}/environments/${id(environmentRef)}`);
      },
    };
    // `Kind/name` addresses /resources/{kind}/{name}; a bare name or uuid, /resources/{ref}.
    const resourcePath = (ref: string) => `/api/v1/resources/${ref.split('/').map(id).join('/')}`;
    const query = (params: Record<string, string | number | boolean | undefined>) => {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
      const text = search.toString();
      return text === '' ? '' : `?${text}`;
    };
    this.resources = {
      apply: async (manifests) => (await this.json<{ resources: AppliedResource[] }>('POST', '/api/v1/resources', manifests)).resources,
      list: async (filter = {}) => (await this.json<{ resources: Resource[] }>('GET', `/api/v1/resources${query({ ...filter })}`)).resources,
      get: (ref) => this.json<Resource>('GET', resourcePath(ref)),
      delete: async (ref) => {
        await this.send('DELETE', resourcePath(ref));
      },
      history: async (ref) => {
        // Revisions are addressed by Kind/name only; a bare name or uuid is looked up first.
        const named = ref.includes('/') ? ref : await this.json<Resource>('GET', resourcePath(ref)).then((r) => `${r.kind}/${r.name}`);
        return this.json<ResourceHistory>('GET', `${resourcePath(named)}/revisions`);
      },
    };
    this.deployments = {
      deploy: (request) => this.json<DeployReport>('POST', '/api/v1/deployments', request),
      undeploy: (request) => this.json<DeployReport>('DELETE', `/api/v1/deployments${query({ ...request })}`),
      list: async (filter = {}) => (await this.json<{ deployments: Deployment[] }>('GET', `/api/v1/deployments${query({ ...filter })}`)).deployments,
      matrix: (environment) => this.json<DeploymentMatrix>('GET', `/api/v1/deployments/matrix${query({ environment })}`),
      drift: (environment) => this.json<DriftReport>('GET', `/api/v1/drift${query({ environment })}`),
      rollback: (request) => this.json<DeployReport>('POST', '/api/v1/deployments/rollback', request),
    };
    this.rollouts = {
      start: (request) => this.json<Rollout>('POST', '/api/v1/rollouts', request),
      list: async (filter = {}) => (await this.json<{ rollouts: Rollout[] }>('GET', `/api/v1/rollouts${query({ ...filter })}`)).rollouts,
      get: (ref) => this.json<Rollout>('GET', `/api/v1/rollouts/${id(ref)}`),
      pause: (ref) => this.json<Rollout>('POST', `/api/v1/rollouts/${id(ref)}/pause`),
      resume: (ref) => this.json<Rollout>('POST', `/api/v1/rollouts/${id(ref)}/resume`),
      abort: (ref) => this.json<Rollout>('POST', `/api/v1/rollouts/${id(ref)}/abort`),
    };
    this.tokens = {
      create: ({ name, scope, expiresInMs }) =>
        this.json<CreatedToken>('POST', '/api/v1/tokens', {
          name,
          ...(scope === undefined ? {} : { scope }),
          ...(expiresInMs === undefined ? {} : { expiresInSeconds: Math.ceil(expiresInMs / 1000) }),
        }),
      list: async () => (await this.json<{ tokens: ApiToken[] }>('GET', '/api/v1/tokens')).tokens,
      revoke: (name) => this.json<ApiToken>('DELETE', `/api/v1/tokens/${id(name)}`),
    };
  }

  /** A client of the daemon at `url`, which must answer its health probe. */
  static async connect(url: string, token: string | null): Promise<RemoteClient> {
    const client = new RemoteClient(url.replace(/\/+$/, ''), token);
    let health: unknown;
    try {
      health = await client.json<unknown>('GET', '/healthz');
    } catch (error) {
      // Something answered, but not an agentgw daemon's health probe.
      if ((error as AgentgwError).code === 'AGW_BAD_RESPONSE' || (error as AgentgwError).code === 'AGW_ROUTE_NOT_FOUND') throw notADaemon(client.baseUrl);
      throw error;
    }
    const adapter = (health as { adapter?: unknown } | null)?.adapter;
    if (typeof adapter !== 'string') throw notADaemon(client.baseUrl);
    client.#adapter = adapter;
    return client;
  }

  describe(): ClientDescription {
    return { mode: 'remote', target: this.baseUrl, adapter: this.#adapter };
  }

  async close(): Promise<void> {}

  private async listPage(filter: GatewayFilter, page: { limit?: number; cursor?: string }): Promise<Page<Gateway>> {
    const query = new URLSearchParams();
    if (filter.type) query.set('type', filter.type);
    if (filter.environment) query.set('environment', filter.environment);
    if (filter.status) query.set('status', filter.status);
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    if (page.cursor !== undefined) query.set('cursor', page.cursor);
    const body = await this.json<{ gateways: Gateway[]; nextCursor?: string | null }>('GET', `/api/v1/gateways?${query}`);
    return { items: body.gateways, nextCursor: body.nextCursor ?? null };
  }

  private async listAll(filter: GatewayFilter): Promise<Gateway[]> {
    const all: Gateway[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listPage(filter, { limit: LIST_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return all;
  }

  private async json<T>(method: string, path: string, body?: unknown, options?: WriteOptions, extras?: RequestExtras): Promise<T> {
    return (await this.send(method, path, body, options, extras)).body as T;
  }

  private async send(method: string, path: string, body?: unknown, options?: WriteOptions, extras: RequestExtras = {}): Promise<Exchange> {
    const headers: Record<string, string> = { accept: 'application/json', ...extras.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    if (options?.ifVersion !== undefined) headers['if-match'] = `"v${options.ifVersion}"`;
    let response: DaemonResponse;
    try {
      response = await requestDaemon({
        method,
        url: new URL(`${this.baseUrl}${path}`),
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: extras.timeoutMs ?? REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      throw unreachable(this.baseUrl, error);
    }
    const parsed = response.text === '' ? undefined : safeJson(response.text);
    if (response.status >= 200 && response.status < 300) return { status: response.status, body: parsed, etag: response.etag };
    throw problemOf(response.status, parsed, this.baseUrl);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function problemOf(status: number, body: unknown, baseUrl: string): AgentgwError {
  const problem = body as (Partial<ProblemDocument> & { exitCode?: unknown }) | undefined;
  if (problem && typeof problem === 'object' && typeof problem.code === 'string' && typeof problem.detail === 'string') {
    // The daemon says which exit code the error has in-process, so both modes end the same way.
    const exitCode = typeof problem.exitCode === 'number' ? problem.exitCode : undefined;
    return fromProblem({ type: '', title: problem.code, status, ...problem, exitCode } as ProblemDocument);
  }
  return fromProblem({
    type: 'about:blank',
    title: 'AGW_BAD_RESPONSE',
    status,
    code: 'AGW_BAD_RESPONSE',
    detail: `the daemon at ${baseUrl} answered HTTP ${status} without a problem document`,
  });
}

function notADaemon(baseUrl: string): UnavailableError {
  return new UnavailableError(`${baseUrl} is not an agentgw daemon: its /healthz did not answer like one`, {
    hint: 'check --server / AGENTGW_SERVER: it is the URL `agentgw serve` printed when it started',
  });
}

function unreachable(baseUrl: string, error: unknown): UnavailableError {
  const code = (error as { code?: string } | null)?.code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host name not found'
        : error instanceof DaemonTimeoutError
          ? 'no answer in time'
          : (error as Error).message;
  return new UnavailableError(`cannot reach the agentgw daemon at ${baseUrl}: ${reason}`, {
    hint: 'start it with: agentgw serve, or check --server / AGENTGW_SERVER',
  });
}

/** The query string of an events request; a stream takes no page (its place is Last-Event-ID). */
function eventQuery(query: EventQuery, page: boolean): string {
  const params = new URLSearchParams();
  for (const type of query.types ?? []) params.append('type', type);
  if (query.gateway !== undefined) params.set('gateway', query.gateway);
  if (query.since !== undefined) params.set('since', query.since);
  if (page && query.limit !== undefined) params.set('limit', String(query.limit));
  if (page && query.cursor !== undefined) params.set('cursor', query.cursor);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
