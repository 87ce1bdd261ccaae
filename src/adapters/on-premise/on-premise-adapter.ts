/**
 * The on-premise adapter: talks to a WSO2 gateway-controller over its REST API
 * (`management-openapi.yaml`, or `legacy-2026-02-openapi.yaml` for older controllers), its
 * admin health endpoint (found from the management URL when no adminUrl is given: see
 * `health-endpoints.ts`), and its Prometheus endpoint.
 *
 * @example
 * const adapter = new OnPremiseAdapter(context);
 * await adapter.registerGateway({ name: 'gw-1', controlPlaneUrl: 'http://gw:9090', ... });
 */
import { GatewayError, ValidationError } from '../../domain/errors.js';
import { transportCode } from '../../domain/error-codes.js';
import { splitSecrets, withoutSecretFields } from '../../domain/manifest-secrets.js';
import { canonicalUrl, checkHttpUrl, FieldErrors } from '../../domain/validation.js';
import { SecretScrubber } from '../../secrets/scrubber.js';
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
import { COUNT_FIELDS, RESOURCE_API_VERSION, TRAFFIC_KINDS } from '../adapter.js';
import { createHttpClient } from '../http/client.js';
import { HttpFailure, type HttpClient, type HttpRequest, type HttpResponse, type TlsOptions } from '../http/types.js';
import { COLLECTIONS, collectionPath, CURRENT_API_BASE_PATH, hasCollection, LEGACY_API_BASE_PATH, listKey } from './collections.js';
import { ADMIN_HEALTH_PATH, ADMIN_PORT, adminBaseUrl, healthCandidates, isHealthAnswer, LEGACY_HEALTH_PATH } from './health-endpoints.js';
import { fromLegacyManifest, toLegacyManifest } from './legacy-shape.js';
import { PrometheusRates } from './prometheus.js';

const RATE_FIELDS = ['requestRate', 'errorRate', 'averageLatency'] as const;

const CONFIG_KEYS = [
  'controlPlaneUrl',
  'adminUrl',
  'healthUrl',
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
  /** Where health was found at registration, when no adminUrl was given. */
  healthUrl: string | null;
  metricsUrl: string | null;
  apiBasePath: string;
  /** TLS for every request: the CA to trust, whether to verify. */
  tls: TlsOptions | undefined;
  /** The client certificate and key, for requests to the credentials' origin only. */
  clientTls: TlsOptions | undefined;
  /** The origin the credentials were given for. */
  credentialsOrigin: string | null;
}

export interface OnPremiseAdapterOptions {
  /** Milliseconds since the epoch, for the time between two Prometheus scrapes. */
  clock?: () => number;
  /** How a cold start waits between its two scrapes; tests pass one that advances their clock. */
  sleep?: (ms: number) => Promise<void>;
}

export class OnPremiseAdapter implements GatewayAdapter {
  readonly type = 'on-premise' as const;
  readonly #http: HttpClient;
  readonly #rates: PrometheusRates;
  /** API layouts detected for gateways whose stored apiBasePath is still `auto`, by controlPlaneUrl. */
  readonly #detected = new Map<string, Promise<string>>();
  /** Health URLs found for gateways stored without adminUrl or healthUrl, by controlPlaneUrl. */
  readonly #healthUrls = new Map<string, string>();

  constructor(
    private readonly context: AdapterContext,
    options: OnPremiseAdapterOptions = {},
  ) {
    this.#http = createHttpClient(context.http, context.network, context.logger);
    this.#rates = new PrometheusRates(options.sleep, options.clock);
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
      normalised.controlPlaneUrl = managementRoot(canonicalUrl(adapterConfig.controlPlaneUrl as string));
    }
    for (const key of ['adminUrl', 'healthUrl', 'metricsUrl', 'endpoint'] as const) {
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
    if (target.adapterConfig.healthUrl !== undefined) {
      throw ValidationError.field('adapterConfig.healthUrl', 'is found by agentgw when the gateway is registered; to choose the health endpoint, set adminUrl');
    }
    return this.connect({ ...target, uuid: target.uuid ?? '', status: 'PROVISIONING' });
  }

  async updateGateway(target: GatewayTarget): Promise<RegistrationResult> {
    return this.connect(target);
  }

  /** On-premise gateways run on their own; forgetting one needs nothing from it. */
  async deregisterGateway(): Promise<void> {}

  async getGatewayInfo(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayInfo> {
    const settings = this.settings(target);
    const health = await this.probeHealth(target, settings, options.timeoutMs ?? this.context.http.defaultTimeoutMs, options).catch((error: unknown) => {
      throw error instanceof HealthNotFound ? error.toGatewayError() : toGatewayError(target, error);
    });
    if (health.status < 200 || health.status >= 300) throw this.failure(target, 'read the health endpoint', health);
    const body = parseJson(health.body) as Record<string, unknown> | undefined;
    const version = typeof body?.version === 'string' ? body.version : null;
    const apiBasePath = await this.apiBasePath(target, options);
    return { name: target.name, version, apiBasePath, details: body ?? {} };
  }

  async checkHealth(target: GatewayTarget, options: CallOptions = {}): Promise<HealthStatus> {
    const settings = this.settings(target);
    const timeoutMs = options.timeoutMs ?? this.context.http.healthCheckTimeoutMs;
    const started = performance.now();
    try {
      const response = await this.probeHealth(target, settings, timeoutMs, options);
      return assessHealth(response, Math.round(performance.now() - started), settings.adminUrl !== null);
    } catch (error) {
      const failed = error instanceof HealthNotFound ? error.asCheck() : failedCheck(error);
      return { ...failed, responseTimeMs: null, checkedAt: new Date() };
    }
  }

  async getMetrics(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayMetrics> {
    const unavailable: Record<string, string> = {};
    const listings = await Promise.allSettled(TRAFFIC_KINDS.map((kind) => this.listResources(target, kind, options)));
    const counts = new Map<ResourceKind, number>();
    for (const [index, listing] of listings.entries()) {
      if (listing.status === 'fulfilled') counts.set(TRAFFIC_KINDS[index]!, listing.value.length);
      else for (const field of COUNT_FIELDS) unavailable[field] ??= `cannot list resources: ${describe(listing.reason)}`;
    }
    const complete = counts.size === TRAFFIC_KINDS.length;
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
      for (const field of RATE_FIELDS) unavailable[field] = `no metrics URL: set one with \`agentgw gateway update ${target.name} --metrics-url URL\``;
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
    const apiBasePath = await this.apiBasePath(target, options);
    const base = this.collectionUrl(target, manifest.kind, apiBasePath);
    const name = manifest.metadata.name;
    const body = apiBasePath === LEGACY_API_BASE_PATH ? toLegacyManifest(manifest) : manifest;
    // What the manifest carries for the gateway alone must not come back in an error it echoes.
    const secrets = splitSecrets(manifest.kind, manifest.spec).fields.map((field) => field.value);
    const created = await this.request(target, { method: 'POST', url: base, json: body, retry: false, ...timeout(options) });
    if (created.status === 201 || created.status === 200) return { kind: manifest.kind, name, action: 'created' };
    if (created.status !== 409) throw this.failure(target, `deploy ${manifest.kind} "${name}"`, created, secrets);
    const replaced = await this.request(target, { method: 'PUT', url: `${base}/${encodeURIComponent(name)}`, json: body, retry: true, ...timeout(options) });
    if (replaced.status === 200 || replaced.status === 201) return { kind: manifest.kind, name, action: 'updated' };
    // The conflict was not with a resource of this name (controllers also refuse a second
    // display name + version): the 409 is the answer that explains it.
    if (replaced.status === 404) throw this.failure(target, `deploy ${manifest.kind} "${name}"`, created, secrets);
    throw this.failure(target, `update ${manifest.kind} "${name}"`, replaced, secrets);
  }

  async undeployResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<void> {
    const apiBasePath = await this.apiBasePath(target, options);
    // A controller without the collection cannot hold the resource: it is already off.
    if (!hasCollection(kind, apiBasePath)) return;
    const url = `${this.collectionUrl(target, kind, apiBasePath)}/${encodeURIComponent(name)}`;
    const response = await this.request(target, { method: 'DELETE', url, retry: true, ...timeout(options) });
    if (response.status === 200 || response.status === 204 || response.status === 404) return;
    throw this.failure(target, `undeploy ${kind} "${name}"`, response);
  }

  async getResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<ResourceManifest | null> {
    const apiBasePath = await this.apiBasePath(target, options);
    if (!hasCollection(kind, apiBasePath)) return null;
    const url = `${this.collectionUrl(target, kind, apiBasePath)}/${encodeURIComponent(name)}`;
    const response = await this.request(target, { method: 'GET', url, retry: true, ...timeout(options) });
    if (response.status === 404) return null;
    if (response.status !== 200) throw this.failure(target, `read ${kind} "${name}"`, response);
    const body = parseJson(response.body);
    if (apiBasePath !== LEGACY_API_BASE_PATH) return this.readManifest(target, body, kind, `read ${kind} "${name}"`);
    // Legacy controllers wrap the resource: {status, provider: {id, configuration, metadata}}.
    const wrapped = (body as Record<string, { configuration?: unknown } | undefined> | undefined)?.[COLLECTIONS[kind].legacyDetailKey];
    return fromLegacyManifest(this.readManifest(target, wrapped?.configuration, kind, `read ${kind} "${name}"`));
  }

  async listResources(target: GatewayTarget, kind: ResourceKind, options: CallOptions = {}): Promise<DeployedResource[]> {
    const apiBasePath = await this.apiBasePath(target, options);
    if (!hasCollection(kind, apiBasePath)) return [];
    const response = await this.request(target, { method: 'GET', url: this.collectionUrl(target, kind, apiBasePath), retry: true, ...timeout(options) });
    if (response.status !== 200) throw this.failure(target, `list ${kind} resources`, response);
    const body = parseJson(response.body) as Record<string, unknown> | undefined;
    const key = listKey(kind, apiBasePath);
    const items = body?.[key];
    if (!Array.isArray(items)) throw new GatewayError('AGW_GATEWAY_BAD_RESPONSE', `${target.name}: list ${kind} returned no "${key}" array`);
    return items.flatMap((item): DeployedResource[] => {
      // Legacy controllers list summaries: the id, without the spec.
      if (apiBasePath === LEGACY_API_BASE_PATH) {
        const id = (item as { id?: unknown } | null)?.id;
        return typeof id === 'string' ? [{ kind, name: id, manifest: null }] : [];
      }
      const manifest = toManifest(item, kind);
      return manifest === null ? [] : [{ kind, name: manifest.metadata.name, manifest }];
    });
  }

  async close(): Promise<void> {
    this.#http.close();
  }

  /**
   * Reachability, health, API flavour and credentials, checked before anything is stored. Without
   * an adminUrl, health is looked for afresh (the management URL may have changed) and where it
   * was found is returned as healthUrl; with one, a healthUrl found before is dropped.
   */
  private async connect(target: GatewayTarget): Promise<RegistrationResult> {
    const settings = this.settings(target);
    let health: HealthStatus;
    let healthUrl: string | null = null;
    if (settings.adminUrl !== null) {
      health = await this.checkHealth(target);
    } else {
      const found = await this.discoverHealth(target, settings, this.context.http.healthCheckTimeoutMs, {}).catch((error: unknown) => {
        throw error instanceof HealthNotFound ? error.toGatewayError(true) : toGatewayError(target, error);
      });
      healthUrl = found.url;
      health = assessHealth(found.response, found.response.elapsedMs, false);
    }
    if (!health.healthy) {
      throw new GatewayError('AGW_GATEWAY_UNREACHABLE', `gateway-controller at ${settings.controlPlaneUrl} is not healthy: ${health.errorMessage ?? 'no answer'}`, {
        hint: 'check the URL and that the gateway-controller is running; nothing was stored',
        details: { errorClass: health.errorClass },
      });
    }
    // Detected afresh: the URL may now point at another controller than the cached answer's.
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
      // The seed's Gateway Response: an on-premise gateway is reached where it is managed, unless told otherwise.
      endpoint: typeof target.adapterConfig.endpoint === 'string' ? target.adapterConfig.endpoint : settings.controlPlaneUrl,
      region: target.region,
      adapterConfig: { apiBasePath, healthUrl },
      health,
    };
  }

  /** Current controllers answer under /api/management/v1; older ones at the root. */
  private async detectApiBasePath(target: GatewayTarget, options: CallOptions = {}): Promise<string> {
    const base = this.settings(target).controlPlaneUrl;
    const current = await this.request(target, { method: 'GET', url: `${base}${CURRENT_API_BASE_PATH}/llm-providers`, retry: true, ...timeout(options) });
    // A 404 says "not here"; a 5xx says nothing about the layout, and guessing would send every
    // later call to the wrong paths.
    if (current.status >= 500) throw this.failure(target, 'detect the management API layout', current);
    if (current.status !== 404) return CURRENT_API_BASE_PATH;
    const legacy = await this.request(target, { method: 'GET', url: `${base}/llm-providers`, retry: true, ...timeout(options) });
    if (legacy.status >= 500) throw this.failure(target, 'detect the management API layout', legacy);
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
    if (config.insecureSkipVerify === true) tls.insecureSkipVerify = true;
    const clientTls: TlsOptions = { ...tls };
    if (typeof config.clientCert === 'string') clientTls.clientCert = config.clientCert;
    if (target.credentials.clientKey !== undefined) clientTls.clientKey = target.credentials.clientKey;
    return {
      controlPlaneUrl,
      adminUrl: typeof config.adminUrl === 'string' ? config.adminUrl : null,
      healthUrl: typeof config.healthUrl === 'string' ? config.healthUrl : null,
      metricsUrl: typeof config.metricsUrl === 'string' ? config.metricsUrl : null,
      apiBasePath: typeof config.apiBasePath === 'string' ? config.apiBasePath : 'auto',
      tls: Object.keys(tls).length === 0 ? undefined : tls,
      clientTls: Object.keys(clientTls).length === 0 ? undefined : clientTls,
      credentialsOrigin: originOf(target.credentials.origin ?? controlPlaneUrl),
    };
  }

  /**
   * GET on the health endpoint. With an adminUrl: the admin API's `/api/admin/v1/health`,
   * falling back to the `/health` alias that older controllers serve instead, within one time
   * budget. Otherwise the healthUrl found at registration; a gateway stored without one (before
   * agentgw looked for it) has it looked for once per process.
   */
  private async probeHealth(target: GatewayTarget, settings: OnPremiseSettings, timeoutMs: number, options: CallOptions): Promise<HttpResponse> {
    if (settings.adminUrl === null) {
      const known = settings.healthUrl ?? this.#healthUrls.get(settings.controlPlaneUrl);
      if (known !== undefined) return this.send(target, { method: 'GET', url: known, timeoutMs, retry: false, ...signal(options) });
      const found = await this.discoverHealth(target, settings, timeoutMs / healthCandidates(settings.controlPlaneUrl).length, options);
      this.#healthUrls.set(settings.controlPlaneUrl, found.url);
      return found.response;
    }
    const deadline = performance.now() + timeoutMs;
    const adminBase = adminBaseUrl(settings.adminUrl);
    const response = await this.send(target, { method: 'GET', url: `${adminBase}${ADMIN_HEALTH_PATH}`, timeoutMs, retry: false, ...signal(options) });
    if (response.status !== 404) return response;
    const remainingMs = Math.max(1, Math.round(deadline - performance.now()));
    return this.send(target, { method: 'GET', url: `${adminBase}${LEGACY_HEALTH_PATH}`, timeoutMs: remainingMs, retry: false, ...signal(options) });
  }

  /**
   * Tries the health URLs a controller with this management URL may serve (see
   * `health-endpoints.ts`), each for up to `perCandidateMs`, and resolves with the first that
   * answers like a health endpoint, healthy or not. Throws HealthNotFound naming each URL tried
   * and why it was passed over.
   */
  private async discoverHealth(
    target: GatewayTarget,
    settings: OnPremiseSettings,
    perCandidateMs: number,
    options: CallOptions,
  ): Promise<{ url: string; response: HttpResponse }> {
    const attempts: HealthAttempt[] = [];
    const ask = (url: string) => this.send(target, { method: 'GET', url, timeoutMs: Math.max(1, Math.round(perCandidateMs)), retry: false, ...signal(options) });
    for (const url of healthCandidates(settings.controlPlaneUrl)) {
      try {
        // A kept-alive connection the server closed just as it was reused fails with a reset,
        // which says nothing about the URL: it is asked once more. (A check of a known health URL
        // is not: the monitor's thresholds are its retry.)
        const response = await ask(url).catch((error: unknown) => {
          if (error instanceof HttpFailure && error.kind === 'network') return ask(url);
          throw error;
        });
        if (isHealthAnswer(response.status, response.body)) return { url, response };
        attempts.push({ url, cause: response.status === 404 ? 'HTTP 404' : `HTTP ${response.status}, not a health answer`, failure: null });
      } catch (error) {
        if (!(error instanceof HttpFailure) || error.kind === 'aborted') throw error;
        attempts.push({ url, cause: error.message.startsWith(`${error.url}: `) ? error.message.slice(error.url.length + 2) : error.message, failure: error });
      }
    }
    throw new HealthNotFound(target.name, settings.controlPlaneUrl, attempts);
  }

  private collectionUrl(target: GatewayTarget, kind: ResourceKind, apiBasePath: string): string {
    return `${this.settings(target).controlPlaneUrl}${collectionPath(kind, apiBasePath)}`;
  }

  /**
   * The gateway's API layout. A gateway whose stored setting is still `auto` (stored before
   * detection ran, or configured so by hand) is detected once per process rather than assumed
   * to be current: a legacy controller would answer every call with 404.
   */
  private async apiBasePath(target: GatewayTarget, options: CallOptions = {}): Promise<string> {
    const settings = this.settings(target);
    if (settings.apiBasePath !== 'auto') return settings.apiBasePath;
    let detected = this.#detected.get(settings.controlPlaneUrl);
    if (detected === undefined) {
      detected = this.detectApiBasePath(target, options);
      this.#detected.set(settings.controlPlaneUrl, detected);
      // A failed detection (gateway down, bad credentials) is tried again next time.
      detected.catch(() => this.#detected.delete(settings.controlPlaneUrl));
    }
    return detected;
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

  /**
   * A request with the gateway's TLS settings, and its credentials (Authorization header, client
   * certificate and key) only when it goes to the origin they were given for: a metricsUrl or
   * adminUrl elsewhere (a Prometheus endpoint, the admin port, which needs no auth) and a
   * controlPlaneUrl moved to another host without new credentials are never handed them.
   * Transport failures are HttpFailures.
   */
  private send(target: GatewayTarget, request: HttpRequest): Promise<HttpResponse> {
    const settings = this.settings(target);
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    const own = settings.credentialsOrigin !== null && originOf(request.url) === settings.credentialsOrigin;
    const authorization = authorizationOf(target);
    if (authorization !== undefined && own) headers.authorization = authorization;
    const tls = own ? settings.clientTls : settings.tls;
    return this.#http.request({ ...request, headers, ...(tls === undefined ? {} : { tls }) });
  }

  /** A manifest from a controller's answer, or AGW_GATEWAY_BAD_RESPONSE when it holds none. */
  private readManifest(target: GatewayTarget, item: unknown, kind: ResourceKind, action: string): ResourceManifest {
    const manifest = toManifest(item, kind);
    if (manifest === null) throw new GatewayError('AGW_GATEWAY_BAD_RESPONSE', `${target.name}: ${action} returned no ${kind} resource`);
    return manifest;
  }

  /**
   * An error for an unexpected answer: the status and the controller's own message, never the
   * raw body. A controller may echo what it was sent, so the gateway's credentials and `sent`
   * (the secret values of a manifest) are cut out.
   */
  private failure(target: GatewayTarget, action: string, response: HttpResponse, sent: readonly string[] = []): GatewayError {
    const body = parseJson(response.body) as { message?: unknown; errors?: unknown } | undefined;
    const scrubber = credentialScrubber(target).with(sent);
    const clean = (text: unknown): string => scrubber.scrub(String(text ?? '').slice(0, 300));
    const message = typeof body?.message === 'string' ? `: ${clean(body.message)}` : '';
    const fieldErrors = Array.isArray(body?.errors)
      ? body.errors
          .slice(0, 10)
          .map((e: { field?: unknown; message?: unknown } | null) => ({ path: clean(e?.field), message: clean(e?.message) }))
          .filter((e) => e.path !== '' || e.message !== '')
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
    return new GatewayError(transportCode('GATEWAY', error.kind), `${target.name}: ${error.message}`, {
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

function toManifest(item: unknown, kind: ResourceKind): ResourceManifest | null {
  if (item === null || typeof item !== 'object') return null;
  const record = item as Record<string, unknown>;
  const metadata = record.metadata as { name?: unknown; labels?: unknown; annotations?: unknown } | undefined;
  if (typeof metadata?.name !== 'string') return null;
  // Labels and annotations are part of what was applied: dropping them would show drift that is not there.
  const kept: ResourceManifest['metadata'] = { name: metadata.name };
  if (isStringMap(metadata.labels)) kept.labels = metadata.labels;
  if (isStringMap(metadata.annotations)) kept.annotations = metadata.annotations;
  // A Secret's value comes back on a read by id: it goes no further than this adapter.
  const spec = (record.spec as Record<string, unknown> | undefined) ?? {};
  return {
    apiVersion: typeof record.apiVersion === 'string' ? record.apiVersion : RESOURCE_API_VERSION,
    kind,
    metadata: kept,
    spec: withoutSecretFields(kind, spec),
  };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** A controller given by its management API's full URL (the specs' `servers` entry) is managed from its root. */
function managementRoot(url: string): string {
  return url.endsWith(CURRENT_API_BASE_PATH) ? url.slice(0, -CURRENT_API_BASE_PATH.length) : url;
}

/**
 * A health answer as a check: 2xx is healthy; 401/403 and 404 will not fix themselves.
 * `viaAdminUrl`: the URL came from the operator's adminUrl rather than from agentgw's search.
 */
function assessHealth(response: HttpResponse, responseTimeMs: number, viaAdminUrl: boolean): HealthStatus {
  if (response.status >= 200 && response.status < 300) {
    return { healthy: true, responseTimeMs, errorClass: null, errorMessage: null, checkedAt: new Date() };
  }
  const auth = response.status === 401 || response.status === 403;
  return {
    healthy: false,
    permanent: auth || response.status === 404,
    responseTimeMs,
    errorClass: auth ? 'auth' : response.status >= 500 ? 'http_5xx' : 'http_4xx',
    errorMessage: healthFailureMessage(response, viaAdminUrl),
    checkedAt: new Date(),
  };
}

function healthFailureMessage(response: HttpResponse, viaAdminUrl: boolean): string {
  const reported = (parseJson(response.body) as { status?: unknown } | undefined)?.status;
  // The controller's own word for its state ("degraded"), when it gave one.
  const said = typeof reported === 'string' && /^[\w -]{1,40}$/.test(reported) ? ` (status "${reported}")` : '';
  if (response.status === 404 && viaAdminUrl) return 'health endpoint answered HTTP 404: check adminUrl';
  if (response.status === 404) {
    return 'health endpoint answered HTTP 404: it is no longer served where it was found; look for it again with: agentgw gateway update NAME --control-plane-url URL, or set --admin-url';
  }
  return `health endpoint answered HTTP ${response.status}${said}`;
}

interface HealthAttempt {
  url: string;
  /** Why the URL was passed over: "HTTP 404", "connection refused", … */
  cause: string;
  /** The transport failure, when there was no HTTP answer at all. */
  failure: HttpFailure | null;
}

/** No URL a controller could serve its health at answered like a health endpoint. */
class HealthNotFound extends Error {
  constructor(
    readonly gateway: string,
    readonly controlPlaneUrl: string,
    readonly attempts: readonly HealthAttempt[],
  ) {
    super(`no health endpoint found for the gateway-controller at ${controlPlaneUrl}: ${attempts.map((a) => `${a.url} (${a.cause})`).join(', ')}`);
    this.name = 'HealthNotFound';
  }

  /** Nothing answered at all: the controller is down or the URL wrong, rather than health missing. */
  get unreachable(): boolean {
    return this.attempts.every((attempt) => attempt.failure !== null);
  }

  /** `registering`: nothing has been stored, and the hint says so. */
  toGatewayError(registering = false): GatewayError {
    const check = this.unreachable ? 'check the URL and that the gateway-controller is running, or pass' : 'pass';
    return new GatewayError(this.unreachable ? 'AGW_GATEWAY_UNREACHABLE' : 'AGW_GATEWAY_HEALTH_NOT_FOUND', this.message, {
      hint: `${check} the controller's admin API with --admin-url (port ${ADMIN_PORT} by default)${registering ? '; nothing was stored' : ''}`,
      details: { gateway: this.gateway, errorClass: this.asCheck().errorClass, tried: this.attempts.map(({ url, cause }) => ({ url, cause })) },
    });
  }

  /**
   * As a failed check. A URL that timed out or dropped the connection says nothing about whether
   * health is there, and neither does a controller refusing every connection (it is down): both
   * may pass, and fail like the last such URL did. Answers and refusals alone, none of them
   * health, mean it is not where it was looked for, which will not fix itself.
   */
  asCheck(): Pick<HealthStatus, 'healthy' | 'permanent' | 'errorClass' | 'errorMessage'> {
    const failures = this.attempts.flatMap((attempt) => (attempt.failure === null ? [] : [attempt.failure]));
    const inconclusive = failures.filter((failure) => failure.kind !== 'refused');
    const last = inconclusive.at(-1) ?? (this.unreachable ? failures.at(-1) : undefined);
    if (last === undefined) return { healthy: false, permanent: true, errorClass: 'http_4xx', errorMessage: this.message };
    return { ...failedCheck(last), errorMessage: this.message };
  }
}

function authorizationOf(target: GatewayTarget): string | undefined {
  const { username, password, token } = target.credentials;
  if (token !== undefined) return `Bearer ${token}`;
  if (username !== undefined && password !== undefined) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return undefined;
}

/** scheme://host:port of a URL (default ports implied), or null when it is not one. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** Cuts the gateway's password, token and TLS key, in every encoding, out of text a controller wrote. */
function credentialScrubber(target: GatewayTarget): SecretScrubber {
  const { username, password, token, clientKey } = target.credentials;
  return new SecretScrubber([password, token, clientKey, password === undefined ? undefined : `${username ?? ''}:${password}`]);
}
