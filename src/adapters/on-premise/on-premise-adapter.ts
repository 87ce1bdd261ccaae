/**
 * The on-premise adapter: talks to a WSO2 gateway-controller over its REST API
 * (`management-openapi.yaml`, or `legacy-2026-02-openapi.yaml` for older controllers), its
 * admin health endpoint, and its Prometheus endpoint.
 *
 * @example
 * const adapter = new OnPremiseAdapter(context);
 * await adapter.registerGateway({ name: 'gw-1', controlPlaneUrl: 'http://gw:9090', ... });
 */
import { GatewayError, ValidationError } from '../../domain/errors.js';
import { canonicalUrl, checkHttpUrl, FieldErrors } from '../../domain/validation.js';
import type {
  AdapterContext,
  CallOptions,
  DeployedResource,
  DeploymentResult,
  GatewayAdapter,
  GatewayInfo,
  GatewayMetrics,
  GatewayTarget,
  HealthStatus,
  RegistrationResult,
  RegistrationTarget,
  ResourceKind,
  ResourceManifest,
} from '../adapter.js';
import { RESOURCE_KINDS } from '../adapter.js';
import { createHttpClient } from '../http/client.js';
import { HttpFailure, type HttpClient, type HttpRequest, type HttpResponse, type TlsOptions } from '../http/types.js';
import { collectionPath, CURRENT_API_BASE_PATH, LEGACY_API_BASE_PATH, listKey } from './collections.js';
import { PrometheusRates } from './prometheus.js';

const COUNT_FIELDS = ['resourceCount', 'providerCount', 'proxyCount', 'mcpCount'] as const;
const RATE_FIELDS = ['requestRate', 'errorRate', 'averageLatency'] as const;

const CONFIG_KEYS = [
  'controlPlaneUrl',
  'adminUrl',
  'metricsUrl',
  'endpoint',
  'apiBasePath',
  'username',
  'caCert',
  'clientCert',
  'insecureSkipVerify',
] as const;

/** What the adapter reads from a gateway's adapterConfig (secrets come as credentials). */
interface OnPremiseSettings {
  controlPlaneUrl: string;
  adminUrl: string | null;
  metricsUrl: string | null;
  apiBasePath: string;
  tls: TlsOptions | undefined;
}

export class OnPremiseAdapter implements GatewayAdapter {
  readonly type = 'on-premise' as const;
  readonly #http: HttpClient;
  readonly #rates = new PrometheusRates();

  constructor(private readonly context: AdapterContext) {
    this.#http = createHttpClient(context.http, context.network, context.logger);
  }

  validateConfig(adapterConfig: Record<string, unknown>): Record<string, unknown> {
    const errors = new FieldErrors();
    for (const key of Object.keys(adapterConfig)) {
      if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
        errors.add(`adapterConfig.${key}`, `unknown setting for the on-premise adapter; known: ${CONFIG_KEYS.join(', ')}, password, token, clientKey`);
      }
    }
    const normalised: Record<string, unknown> = {};
    if (checkHttpUrl(errors, 'adapterConfig.controlPlaneUrl', adapterConfig.controlPlaneUrl)) {
      normalised.controlPlaneUrl = canonicalUrl(adapterConfig.controlPlaneUrl as string);
    }
    for (const key of ['adminUrl', 'metricsUrl', 'endpoint'] as const) {
      const value = adapterConfig[key];
      if (value === undefined || value === null) continue;
      if (checkHttpUrl(errors, `adapterConfig.${key}`, value)) normalised[key] = canonicalUrl(value as string);
    }
    const basePath = adapterConfig.apiBasePath ?? 'auto';
    if (basePath === 'auto' || basePath === CURRENT_API_BASE_PATH || basePath === LEGACY_API_BASE_PATH) normalised.apiBasePath = basePath;
    else errors.add('adapterConfig.apiBasePath', `must be "auto", "${CURRENT_API_BASE_PATH}" or "" (legacy controllers)`);
    for (const key of ['username', 'caCert', 'clientCert'] as const) {
      const value = adapterConfig[key];
      if (value === undefined || value === null) continue;
      if (typeof value === 'string') normalised[key] = value;
      else errors.add(`adapterConfig.${key}`, 'must be a string');
    }
    if (adapterConfig.insecureSkipVerify !== undefined) {
      if (typeof adapterConfig.insecureSkipVerify === 'boolean') normalised.insecureSkipVerify = adapterConfig.insecureSkipVerify;
      else errors.add('adapterConfig.insecureSkipVerify', 'must be true or false');
    }
    errors.throwIfAny('on-premise gateway settings');
    return normalised;
  }

  async registerGateway(target: RegistrationTarget): Promise<RegistrationResult> {
    return this.connect({ ...target, uuid: target.uuid ?? '', status: 'PROVISIONING' });
  }

  async updateGateway(target: GatewayTarget): Promise<RegistrationResult> {
    return this.connect(target);
  }

  /** On-premise gateways run on their own; forgetting one needs nothing from it. */
  async deregisterGateway(): Promise<void> {}

  async getGatewayInfo(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayInfo> {
    const settings = this.settings(target);
    const health = await this.request(target, { method: 'GET', url: this.healthUrl(settings), retry: true, ...timeout(options) });
    const body = parseJson(health.body) as Record<string, unknown> | undefined;
    const version = typeof body?.version === 'string' ? body.version : null;
    return { name: target.name, version, apiBasePath: settings.apiBasePath, details: body ?? {} };
  }

  async checkHealth(target: GatewayTarget, options: CallOptions = {}): Promise<HealthStatus> {
    const settings = this.settings(target);
    const timeoutMs = options.timeoutMs ?? this.context.http.healthCheckTimeoutMs;
    const started = performance.now();
    try {
      let response = await this.send(target, { method: 'GET', url: this.healthUrl(settings), timeoutMs, retry: false, ...signal(options) });
      // An admin URL given without its API prefix may belong to an older controller that only has /health.
      if (response.status === 404 && settings.adminUrl !== null) {
        response = await this.send(target, { method: 'GET', url: `${settings.adminUrl}/health`, timeoutMs, retry: false, ...signal(options) });
      }
      const responseTimeMs = Math.round(performance.now() - started);
      if (response.status >= 200 && response.status < 300) {
        return { healthy: true, responseTimeMs, errorClass: null, errorMessage: null, checkedAt: new Date() };
      }
      const permanent = response.status === 401 || response.status === 403 || response.status === 404;
      return {
        healthy: false,
        permanent,
        responseTimeMs,
        errorClass: response.status === 401 || response.status === 403 ? 'auth' : response.status >= 500 ? 'http_5xx' : 'http_4xx',
        errorMessage: `health endpoint answered HTTP ${response.status}`,
        checkedAt: new Date(),
      };
    } catch (error) {
      return { ...failedCheck(error), responseTimeMs: null, checkedAt: new Date() };
    }
  }

  async getMetrics(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayMetrics> {
    const unavailable: Record<string, string> = {};
    const listings = await Promise.allSettled(RESOURCE_KINDS.map((kind) => this.listResources(target, kind, options)));
    const counts = new Map<ResourceKind, number>();
    for (const [index, listing] of listings.entries()) {
      if (listing.status === 'fulfilled') counts.set(RESOURCE_KINDS[index]!, listing.value.length);
      else for (const field of COUNT_FIELDS) unavailable[field] ??= `cannot list resources: ${describe(listing.reason)}`;
    }
    const complete = counts.size === RESOURCE_KINDS.length;
    const metrics: GatewayMetrics = {
      resourceCount: complete ? [...counts.values()].reduce((a, b) => a + b, 0) : null,
      providerCount: complete ? counts.get('LlmProvider')! : null,
      proxyCount: complete ? counts.get('LlmProxy')! : null,
      mcpCount: complete ? counts.get('Mcp')! : null,
      requestRate: null,
      errorRate: null,
      averageLatencyMs: null,
      unavailable,
      collectedAt: new Date(),
    };
    const metricsUrl = this.settings(target).metricsUrl;
    if (metricsUrl === null) {
      for (const field of RATE_FIELDS) unavailable[field] = 'metricsUrl is not configured for this gateway';
      return metrics;
    }
    try {
      const rates = await this.#rates.measure(target.uuid || target.name, () => this.scrape(target, metricsUrl, options));
      metrics.requestRate = rates.requestRate;
      metrics.errorRate = rates.errorRate;
      metrics.averageLatencyMs = rates.averageLatencyMs;
      Object.assign(unavailable, rates.unavailable);
    } catch (error) {
      for (const field of RATE_FIELDS) unavailable[field] = `cannot scrape ${metricsUrl}: ${describe(error)}`;
    }
    return metrics;
  }

  async deployResource(target: GatewayTarget, manifest: ResourceManifest, options: CallOptions = {}): Promise<DeploymentResult> {
    const base = this.collectionUrl(target, manifest.kind);
    const name = manifest.metadata.name;
    const created = await this.request(target, { method: 'POST', url: base, json: manifest, retry: false, ...timeout(options) });
    if (created.status === 201 || created.status === 200) return { kind: manifest.kind, name, action: 'created' };
    if (created.status !== 409) throw this.failure(target, `deploy ${manifest.kind} "${name}"`, created);
    const replaced = await this.request(target, { method: 'PUT', url: `${base}/${encodeURIComponent(name)}`, json: manifest, retry: true, ...timeout(options) });
    if (replaced.status === 200 || replaced.status === 201) return { kind: manifest.kind, name, action: 'updated' };
    throw this.failure(target, `update ${manifest.kind} "${name}"`, replaced);
  }

  async undeployResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<void> {
    const url = `${this.collectionUrl(target, kind)}/${encodeURIComponent(name)}`;
    const response = await this.request(target, { method: 'DELETE', url, retry: true, ...timeout(options) });
    if (response.status === 200 || response.status === 204 || response.status === 404) return;
    throw this.failure(target, `undeploy ${kind} "${name}"`, response);
  }

  async getResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<ResourceManifest | null> {
    const url = `${this.collectionUrl(target, kind)}/${encodeURIComponent(name)}`;
    const response = await this.request(target, { method: 'GET', url, retry: true, ...timeout(options) });
    if (response.status === 404) return null;
    if (response.status !== 200) throw this.failure(target, `read ${kind} "${name}"`, response);
    return toManifest(unwrapItem(parseJson(response.body)), kind);
  }

  async listResources(target: GatewayTarget, kind: ResourceKind, options: CallOptions = {}): Promise<DeployedResource[]> {
    const response = await this.request(target, { method: 'GET', url: this.collectionUrl(target, kind), retry: true, ...timeout(options) });
    if (response.status !== 200) throw this.failure(target, `list ${kind} resources`, response);
    const body = parseJson(response.body) as Record<string, unknown> | undefined;
    const key = listKey(kind, this.apiBasePath(target));
    const items = body?.[key];
    if (!Array.isArray(items)) throw new GatewayError('AGW_GATEWAY_BAD_RESPONSE', `${target.name}: list ${kind} returned no "${key}" array`);
    return items.flatMap((item): DeployedResource[] => {
      const manifest = toManifest(item, kind);
      if (manifest) return [{ kind, name: manifest.metadata.name, manifest }];
      // Legacy controllers list summaries: the name, without the spec.
      const id = (item as { id?: unknown } | null)?.id;
      return typeof id === 'string' ? [{ kind, name: id, manifest: null }] : [];
    });
  }

  async close(): Promise<void> {
    this.#http.close();
  }

  /** Reachability, health, API flavour and credentials, checked before anything is stored. */
  private async connect(target: GatewayTarget): Promise<RegistrationResult> {
    const settings = this.settings(target);
    const health = await this.checkHealth(target);
    if (!health.healthy) {
      throw new GatewayError('AGW_GATEWAY_UNREACHABLE', `gateway-controller at ${settings.controlPlaneUrl} is not healthy: ${health.errorMessage ?? 'no answer'}`, {
        hint: 'check the URL and that the gateway-controller is running; nothing was stored',
        details: { errorClass: health.errorClass },
      });
    }
    const apiBasePath = settings.apiBasePath === 'auto' ? await this.detectApiBasePath(target) : settings.apiBasePath;
    // A listing proves the credentials work (the health endpoint is unauthenticated).
    const probe = await this.request(target, {
      method: 'GET',
      url: `${settings.controlPlaneUrl}${collectionPath('LlmProvider', apiBasePath)}`,
      retry: true,
    });
    if (probe.status === 401 || probe.status === 403) {
      throw new GatewayError('AGW_GATEWAY_AUTH', `gateway-controller at ${settings.controlPlaneUrl} rejected the credentials (HTTP ${probe.status})`, {
        hint: 'pass --username and --password (or --password-stdin) for the management API',
      });
    }
    if (probe.status !== 200) throw this.failure(target, 'list LLM providers', probe);
    return {
      status: 'ACTIVE',
      controlPlaneUrl: settings.controlPlaneUrl,
      endpoint: typeof target.adapterConfig.endpoint === 'string' ? target.adapterConfig.endpoint : null,
      region: target.region,
      adapterConfig: { apiBasePath },
      health,
    };
  }

  /** Current controllers answer under /api/management/v1; older ones at the root. */
  private async detectApiBasePath(target: GatewayTarget): Promise<string> {
    const base = this.settings(target).controlPlaneUrl;
    const current = await this.request(target, { method: 'GET', url: `${base}${CURRENT_API_BASE_PATH}/llm-providers`, retry: true });
    if (current.status !== 404) return CURRENT_API_BASE_PATH;
    const legacy = await this.request(target, { method: 'GET', url: `${base}/llm-providers`, retry: true });
    if (legacy.status !== 404) return LEGACY_API_BASE_PATH;
    throw new GatewayError('AGW_GATEWAY_NOT_A_CONTROLLER', `${base} does not serve the gateway-controller management API (HTTP 404 on both API layouts)`, {
      hint: 'check that controlPlaneUrl points at the management port (9090 by default)',
    });
  }

  private settings(target: GatewayTarget): OnPremiseSettings {
    const config = target.adapterConfig;
    const controlPlaneUrl = target.controlPlaneUrl ?? (typeof config.controlPlaneUrl === 'string' ? config.controlPlaneUrl : null);
    if (controlPlaneUrl === null) throw ValidationError.field('adapterConfig.controlPlaneUrl', 'is required for on-premise gateways');
    const tls: TlsOptions = {};
    if (typeof config.caCert === 'string') tls.caCert = config.caCert;
    if (typeof config.clientCert === 'string') tls.clientCert = config.clientCert;
    if (target.credentials.clientKey !== undefined) tls.clientKey = target.credentials.clientKey;
    if (config.insecureSkipVerify === true) tls.insecureSkipVerify = true;
    return {
      controlPlaneUrl,
      adminUrl: typeof config.adminUrl === 'string' ? config.adminUrl : null,
      metricsUrl: typeof config.metricsUrl === 'string' ? config.metricsUrl : null,
      apiBasePath: typeof config.apiBasePath === 'string' ? config.apiBasePath : 'auto',
      tls: Object.keys(tls).length === 0 ? undefined : tls,
    };
  }

  private healthUrl(settings: OnPremiseSettings): string {
    if (settings.adminUrl === null) return `${settings.controlPlaneUrl}/health`;
    return settings.adminUrl.endsWith('/api/admin/v1') ? `${settings.adminUrl}/health` : `${settings.adminUrl}/api/admin/v1/health`;
  }

  private collectionUrl(target: GatewayTarget, kind: ResourceKind): string {
    return `${this.settings(target).controlPlaneUrl}${collectionPath(kind, this.apiBasePath(target))}`;
  }

  /** The detected base path; a gateway stored before detection ran is treated as current. */
  private apiBasePath(target: GatewayTarget): string {
    const basePath = this.settings(target).apiBasePath;
    return basePath === 'auto' ? CURRENT_API_BASE_PATH : basePath;
  }

  private async scrape(target: GatewayTarget, metricsUrl: string, options: CallOptions): Promise<string> {
    const response = await this.request(target, { method: 'GET', url: metricsUrl, retry: true, ...timeout(options) });
    if (response.status !== 200) throw new GatewayError('AGW_METRICS_UNAVAILABLE', `metrics endpoint answered HTTP ${response.status}`);
    return response.body;
  }

  /** A request whose transport failures become GatewayErrors naming the gateway. */
  private request(target: GatewayTarget, request: HttpRequest): Promise<HttpResponse> {
    return this.send(target, request).catch((error: unknown) => {
      throw toGatewayError(target, error);
    });
  }

  /** A request with the gateway's credentials and TLS settings; transport failures are HttpFailures. */
  private send(target: GatewayTarget, request: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    const { username, password, token } = target.credentials;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    else if (username !== undefined && password !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    const tls = this.settings(target).tls;
    return this.#http.request({ ...request, headers, ...(tls === undefined ? {} : { tls }) });
  }

  /** An error for an unexpected answer: the status and the controller's own message, never the raw body. */
  private failure(target: GatewayTarget, action: string, response: HttpResponse): GatewayError {
    const body = parseJson(response.body) as { message?: unknown; errors?: Array<{ field?: unknown; message?: unknown }> } | undefined;
    const message = typeof body?.message === 'string' ? `: ${body.message.slice(0, 300)}` : '';
    const fieldErrors = Array.isArray(body?.errors)
      ? body.errors.slice(0, 10).map((e) => ({ path: String(e.field ?? ''), message: String(e.message ?? '').slice(0, 300) }))
      : [];
    const code = response.status === 401 || response.status === 403 ? 'AGW_GATEWAY_AUTH' : response.status === 409 ? 'AGW_GATEWAY_CONFLICT' : response.status < 500 ? 'AGW_GATEWAY_REJECTED' : 'AGW_GATEWAY_FAILED';
    return new GatewayError(code, `${target.name}: ${action} failed with HTTP ${response.status}${message}`, {
      ...(fieldErrors.length > 0 ? { errors: fieldErrors } : {}),
      details: { gateway: target.name, status: response.status },
    });
  }
}

function timeout(options: CallOptions): { timeoutMs?: number; signal?: AbortSignal } {
  return { ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...signal(options) };
}

function signal(options: CallOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

function toGatewayError(target: GatewayTarget, error: unknown): Error {
  if (error instanceof HttpFailure) {
    return new GatewayError(`AGW_GATEWAY_${error.kind.toUpperCase()}`, `${target.name}: ${error.message}`, {
      details: { gateway: target.name, kind: error.kind },
    });
  }
  return error as Error;
}

function failedCheck(error: unknown): Pick<HealthStatus, 'healthy' | 'permanent' | 'errorClass' | 'errorMessage'> {
  if (!(error instanceof HttpFailure)) throw error;
  const errorClass = error.kind === 'timeout' || error.kind === 'refused' || error.kind === 'dns' || error.kind === 'tls' || error.kind === 'blocked' ? error.kind : 'network';
  // A blocked address or a certificate problem will not fix itself.
  return { healthy: false, permanent: errorClass === 'tls' || errorClass === 'blocked', errorClass, errorMessage: error.message };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Current controllers answer a GET with the resource itself; legacy ones wrap it as
 * `{status, api|provider|proxy|mcp|template: {id, configuration}}`.
 */
function unwrapItem(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && 'kind' in body) return body;
  for (const key of ['api', 'provider', 'proxy', 'mcp', 'template']) {
    const inner = (body as Record<string, unknown> | undefined)?.[key] as { configuration?: unknown } | undefined;
    if (inner !== null && typeof inner === 'object' && inner.configuration !== undefined) return inner.configuration;
  }
  return body;
}

function toManifest(item: unknown, kind: ResourceKind): ResourceManifest | null {
  if (item === null || typeof item !== 'object') return null;
  const record = item as Record<string, unknown>;
  const metadata = record.metadata as { name?: unknown } | undefined;
  if (typeof metadata?.name !== 'string') return null;
  return {
    apiVersion: typeof record.apiVersion === 'string' ? record.apiVersion : 'gateway.api-platform.wso2.com/v1',
    kind,
    metadata: { name: metadata.name },
    spec: (record.spec as Record<string, unknown> | undefined) ?? {},
  };
}
