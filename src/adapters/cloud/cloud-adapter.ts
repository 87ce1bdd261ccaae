/**
 * The cloud adapter: gateways provisioned by a cloud provider through its provisioning API
 * (docs/cloud-provisioning-openapi.yaml), then managed like on-premise ones.
 *
 * - **Lifecycle** goes to the provider: `registerGateway` starts provisioning and returns at once
 *   with PROVISIONING; `checkHealth` follows the provider's status (the health monitor, `agentgw
 *   gateway health` or {@link waitUntilProvisioned} settle the gateway to ACTIVE or ERROR);
 *   `deregisterGateway` deprovisions.
 * - **Resources** go to the provisioned gateway's own gateway-controller, at the `managementUrl`
 *   the provider reports once the gateway is ACTIVE, through an {@link OnPremiseAdapter}; the
 *   gateway's own credentials (`username` + password, or token) are used there, never the
 *   provider's access token.
 *
 * @example
 * const adapter = new CloudAdapter(config.gateway.adapter.cloud, context);
 * const registered = await adapter.registerGateway({ name: 'edge-1', adapterConfig: { region: 'eu-west-1' }, ... });
 * const health = await waitUntilProvisioned(adapter, target, adapter.provisioning);
 */
import type { AgentgwConfig } from '../../config/schema.js';
import { ConfigError, GatewayError, ValidationError } from '../../domain/errors.js';
import { transportCode } from '../../domain/error-codes.js';
import type { FieldError } from '../../domain/errors.js';
import type { GatewayStatus } from '../../domain/types.js';
import { canonicalUrl } from '../../domain/validation.js';
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
import { COUNT_FIELDS } from '../adapter.js';
import { createHttpClient } from '../http/client.js';
import { HttpFailure } from '../http/types.js';
import type { HttpClient, HttpResponse } from '../http/types.js';
import { CURRENT_API_BASE_PATH } from '../on-premise/collections.js';
import { OnPremiseAdapter } from '../on-premise/on-premise-adapter.js';
import { CloudApi } from './cloud-api.js';
import type { CloudGateway, CloudStatus } from './cloud-api.js';
import { ADAPTER_OWNED_KEYS, validateCloudGatewayConfig } from './gateway-config.js';
import { TokenSource } from './token-source.js';

export { waitUntilProvisioned } from './wait-until-provisioned.js';
export type { WaitOptions } from './wait-until-provisioned.js';

export type CloudAdapterConfig = AgentgwConfig['gateway']['adapter']['cloud'];

export interface CloudAdapterOptions {
  /** Milliseconds since the epoch; decides when the access token is refreshed. Tests move it forward. */
  now?: () => number;
}

/** The keys GatewayMetrics.unavailable uses for the rates (as the on-premise adapter does). */
const RATE_REASON_KEYS = { requestRate: 'requestRate', errorRate: 'errorRate', averageLatencyMs: 'averageLatency' } as const;

const TO_GATEWAY_STATUS: Record<CloudStatus, GatewayStatus> = {
  PROVISIONING: 'PROVISIONING',
  ACTIVE: 'ACTIVE',
  ERROR: 'ERROR',
  // Going away for good: nothing agentgw can manage any more.
  DELETING: 'ERROR',
};

export class CloudAdapter implements GatewayAdapter {
  readonly type = 'cloud' as const;
  /** Defaults for {@link waitUntilProvisioned}, from `gateway.adapter.cloud.provisioning`. */
  readonly provisioning: { timeoutMs: number; pollIntervalMs: number };
  readonly #config: CloudAdapterConfig;
  readonly #context: AdapterContext;
  readonly #http: HttpClient;
  readonly #tokens: TokenSource;
  readonly #api: CloudApi;
  readonly #management: OnPremiseAdapter;
  /** managementUrl per cloud gateway id, learnt from the provider: it never changes once ACTIVE. */
  readonly #managementUrls = new Map<string, string>();

  /** Throws ConfigError when the provider's endpoint or the client credentials are missing. */
  constructor(cloudConfig: CloudAdapterConfig, context: AdapterContext, options: CloudAdapterOptions = {}) {
    const { apiEndpoint, authentication } = cloudConfig;
    const missing = [
      apiEndpoint ? null : 'gateway.adapter.cloud.apiEndpoint',
      authentication.clientId ? null : 'gateway.adapter.cloud.authentication.clientId',
      authentication.clientSecret ? null : 'gateway.adapter.cloud.authentication.clientSecret',
    ].filter((key): key is string => key !== null);
    if (missing.length > 0 || !apiEndpoint || !authentication.clientId || !authentication.clientSecret) {
      throw new ConfigError(`${missing.join(', ')}: required when gateway.adapter.type is cloud`, {
        hint: 'set them in agentgw.config.yaml, e.g. clientSecret: ${CLOUD_CLIENT_SECRET} to read the secret from the environment',
      });
    }
    this.#config = cloudConfig;
    this.#context = context;
    this.provisioning = { timeoutMs: cloudConfig.provisioning.timeout, pollIntervalMs: cloudConfig.provisioning.pollInterval };
    const endpoint = canonicalUrl(apiEndpoint);
    this.#http = createHttpClient(context.http, context.network, context.logger);
    this.#tokens = new TokenSource(
      this.#http,
      { tokenUrl: authentication.tokenUrl ?? `${endpoint}/oauth2/token`, clientId: authentication.clientId, clientSecret: authentication.clientSecret },
      context.logger,
      options.now,
    );
    this.#api = new CloudApi(this.#http, this.#tokens, endpoint, cloudConfig.provider, context.http.defaultTimeoutMs);
    this.#management = new OnPremiseAdapter(context);
  }

  validateConfig(adapterConfig: Record<string, unknown>): Record<string, unknown> {
    return validateCloudGatewayConfig(adapterConfig, this.#config.defaultRegion);
  }

  async registerGateway(target: RegistrationTarget): Promise<RegistrationResult> {
    const settings = this.validateConfig(target.adapterConfig);
    const given: FieldError[] = ADAPTER_OWNED_KEYS.filter((key) => settings[key] !== undefined).map((key) => ({
      path: `adapterConfig.${key}`,
      message: 'is set by the cloud adapter when it provisions the gateway; leave it out',
    }));
    if (given.length > 0) throw new ValidationError(`invalid cloud gateway settings: ${given.map((e) => `${e.path} ${e.message}`).join('; ')}`, given);

    const request = {
      name: target.name,
      region: settings.region as string,
      ...(settings.tier === undefined ? {} : { tier: settings.tier }),
      ...(settings.autoScaling === undefined ? {} : { autoScaling: settings.autoScaling }),
    };
    const response = await this.provider(() => this.#api.call({ method: 'POST', path: '/gateways', json: request, retry: false }));
    if (response.status !== 202 && response.status !== 201 && response.status !== 200) throw this.#api.createFailure(target.name, response);
    const gateway = this.#api.parseGateway(response);
    this.#context.logger.info('cloud gateway provisioning started', { gateway: target.name, cloudGatewayId: gateway.id, region: gateway.region || request.region });
    return {
      // Whatever the provider says, the gateway is stored as PROVISIONING: the first health check
      // settles it, so ACTIVE always comes with a check behind it.
      status: 'PROVISIONING',
      endpoint: null,
      controlPlaneUrl: null,
      region: gateway.region || request.region,
      adapterConfig: {
        cloudGatewayId: gateway.id,
        region: gateway.region || request.region,
        tier: gateway.tier || (request.tier ?? null),
        autoScaling: gateway.autoScaling ?? request.autoScaling ?? null,
      },
      health: null,
    };
  }

  /**
   * The provider has no update operation: region, tier and autoScaling are fixed once
   * provisioned, so a change to them is refused and anything else (management credentials) is
   * checked and stored. Returns the provider's current view, managementUrl included.
   */
  async updateGateway(target: GatewayTarget): Promise<RegistrationResult> {
    const settings = this.validateConfig(target.adapterConfig);
    const gateway = await this.fetchGateway(target, {});
    const changed: FieldError[] = [];
    const differs = (key: 'region' | 'tier' | 'autoScaling', provider: unknown): void => {
      if (settings[key] !== undefined && provider !== null && provider !== '' && JSON.stringify(settings[key]) !== JSON.stringify(provider)) {
        changed.push({
          path: `adapterConfig.${key}`,
          message: `cannot change on a provisioned cloud gateway (the provider has ${JSON.stringify(provider)}); delete the gateway and register it again`,
        });
      }
    };
    differs('region', gateway.region);
    differs('tier', gateway.tier);
    differs('autoScaling', gateway.autoScaling);
    if (changed.length > 0) throw new ValidationError(`invalid cloud gateway update: ${changed.map((e) => `${e.path}: ${e.message}`).join('; ')}`, changed);
    return {
      status: TO_GATEWAY_STATUS[gateway.status],
      endpoint: gateway.endpoint,
      controlPlaneUrl: gateway.managementUrl,
      region: gateway.region || (settings.region as string),
      adapterConfig: {
        cloudGatewayId: gateway.id,
        region: gateway.region || settings.region,
        tier: gateway.tier || (settings.tier ?? null),
        autoScaling: gateway.autoScaling ?? settings.autoScaling ?? null,
        ...(gateway.managementUrl === null ? {} : { managementUrl: gateway.managementUrl }),
      },
      health: null,
    };
  }

  /** Deprovisions; a gateway the provider no longer has (or never got) is already gone. */
  async deregisterGateway(target: GatewayTarget): Promise<void> {
    const id = cloudGatewayId(target);
    if (id === null) {
      this.#context.logger.warn('cloud gateway has no cloudGatewayId: nothing to deprovision', { gateway: target.name });
      return;
    }
    const response = await this.provider(() => this.#api.call({ method: 'DELETE', path: gatewayPath(id), retry: true }));
    this.#managementUrls.delete(id);
    if (response.status === 404) {
      this.#context.logger.info('cloud gateway was already deprovisioned', { gateway: target.name, cloudGatewayId: id });
      return;
    }
    if (response.status !== 202 && response.status !== 200 && response.status !== 204) {
      throw this.#api.failure(`deprovision gateway "${target.name}" (${id})`, response);
    }
    this.#context.logger.info('cloud gateway deprovisioning started', { gateway: target.name, cloudGatewayId: id });
  }

  async getGatewayInfo(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayInfo> {
    const gateway = await this.fetchGateway(target, options);
    return {
      name: target.name,
      version: null,
      apiBasePath: gateway.managementUrl === null ? null : CURRENT_API_BASE_PATH,
      details: {
        provider: this.#config.provider,
        cloudGatewayId: gateway.id,
        status: gateway.status,
        region: gateway.region,
        tier: gateway.tier,
        autoScaling: gateway.autoScaling,
        endpoint: gateway.endpoint,
        managementUrl: gateway.managementUrl,
        message: gateway.message,
      },
    };
  }

  /**
   * The provider's status, then (once ACTIVE) its health verdict. Never retried; a 401 is
   * answered by one token refresh, which is re-authentication rather than a retry.
   */
  async checkHealth(target: GatewayTarget, options: CallOptions = {}): Promise<HealthStatus> {
    const id = cloudGatewayId(target);
    if (id === null) {
      return unhealthy(null, 'the gateway has no cloudGatewayId, so the provider cannot be asked about it; register it again', null, true);
    }
    const timeoutMs = options.timeoutMs ?? this.#context.http.healthCheckTimeoutMs;
    const deadline = performance.now() + timeoutMs;
    const budget = (): CallOptions => ({ timeoutMs: Math.max(1, Math.round(deadline - performance.now())), ...(options.signal === undefined ? {} : { signal: options.signal }) });
    let elapsedMs = 0;
    try {
      const statusResponse = await this.#api.call({ method: 'GET', path: gatewayPath(id), retry: false, ...budget() });
      elapsedMs += statusResponse.elapsedMs;
      if (statusResponse.status === 404) {
        this.#managementUrls.delete(id);
        return unhealthy(elapsedMs, `cloud gateway ${id} no longer exists at the provider (deprovisioned outside agentgw)`, 'http_4xx', true);
      }
      if (statusResponse.status !== 200) return this.answeredBadly(elapsedMs, 'gateway status', statusResponse);
      const gateway = this.#api.parseGateway(statusResponse);

      switch (gateway.status) {
        case 'PROVISIONING':
          return { healthy: false, provisioning: true, responseTimeMs: elapsedMs, errorClass: null, errorMessage: null, checkedAt: new Date() };
        case 'ERROR':
          this.#managementUrls.delete(id);
          return unhealthy(elapsedMs, gateway.message ?? 'the cloud provider reports the gateway in ERROR without saying why', null, true);
        case 'DELETING':
          this.#managementUrls.delete(id);
          return unhealthy(elapsedMs, 'the cloud gateway is being deprovisioned at the provider', null, true);
        case 'ACTIVE':
          break;
      }
      if (gateway.managementUrl !== null) this.#managementUrls.set(id, gateway.managementUrl);

      const healthResponse = await this.#api.call({ method: 'GET', path: `${gatewayPath(id)}/health`, retry: false, ...budget() });
      elapsedMs += healthResponse.elapsedMs;
      const found = { endpoint: gateway.endpoint };
      if (healthResponse.status !== 200) return { ...this.answeredBadly(elapsedMs, 'gateway health', healthResponse), ...found };
      const verdict = this.#api.parseHealth(healthResponse);
      if (verdict === 'healthy') return { healthy: true, responseTimeMs: elapsedMs, errorClass: null, errorMessage: null, checkedAt: new Date(), ...found };
      if (verdict === 'provisioning') {
        return { healthy: false, provisioning: true, responseTimeMs: elapsedMs, errorClass: null, errorMessage: null, checkedAt: new Date(), ...found };
      }
      const said = verdict === null ? 'no verdict' : `"${verdict.slice(0, 40)}"`;
      return { ...unhealthy(elapsedMs, `the cloud provider reports the gateway unhealthy (${said})`, null, false), ...found };
    } catch (error) {
      return { ...failedCheck(error), responseTimeMs: elapsedMs === 0 ? null : elapsedMs, checkedAt: new Date() };
    }
  }

  /**
   * Resource counts from the gateway's management API and rates from the provider, each null
   * with its reason when its source cannot give it.
   */
  async getMetrics(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayMetrics> {
    const [counts, rates] = await Promise.all([this.resourceCounts(target, options), this.providerRates(target, options)]);
    return {
      resourceCount: counts.values.resourceCount,
      providerCount: counts.values.providerCount,
      proxyCount: counts.values.proxyCount,
      mcpCount: counts.values.mcpCount,
      requestRate: rates.values.requestRate,
      errorRate: rates.values.errorRate,
      averageLatencyMs: rates.values.averageLatencyMs,
      p99LatencyMs: null,
      unavailable: { ...counts.unavailable, ...rates.unavailable, p99Latency: 'the cloud provider reports no latency percentiles' },
      collectedAt: new Date(),
    };
  }

  async deployResource(target: GatewayTarget, manifest: ResourceManifest, options: CallOptions = {}): Promise<DeploymentResult> {
    return this.#management.deployResource(await this.managementTarget(target, options), manifest, options);
  }

  async undeployResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<void> {
    return this.#management.undeployResource(await this.managementTarget(target, options), kind, name, options);
  }

  async getResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<ResourceManifest | null> {
    return this.#management.getResource(await this.managementTarget(target, options), kind, name, options);
  }

  async listResources(target: GatewayTarget, kind: ResourceKind, options: CallOptions = {}): Promise<DeployedResource[]> {
    return this.#management.listResources(await this.managementTarget(target, options), kind, options);
  }

  async close(): Promise<void> {
    this.#http.close();
    await this.#management.close();
  }

  /**
   * The gateway as an on-premise target: its gateway-controller at managementUrl, with the
   * gateway's own management credentials, still bound to the origin they were given for. The
   * client secret stays out of it.
   */
  private async managementTarget(target: GatewayTarget, options: CallOptions): Promise<GatewayTarget> {
    const { username, password, token, origin } = target.credentials;
    return {
      ...target,
      controlPlaneUrl: await this.managementUrl(target, options),
      adapterConfig: { apiBasePath: CURRENT_API_BASE_PATH },
      credentials: {
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(token === undefined ? {} : { token }),
        ...(origin === undefined ? {} : { origin }),
      },
    };
  }

  /** Stored by an update, else learnt from the provider (and remembered for this process). */
  private async managementUrl(target: GatewayTarget, options: CallOptions): Promise<string> {
    const stored = target.adapterConfig.managementUrl;
    if (typeof stored === 'string' && stored !== '') return stored;
    const id = cloudGatewayId(target);
    const known = id === null ? undefined : this.#managementUrls.get(id);
    if (known !== undefined) return known;
    const gateway = await this.fetchGateway(target, options);
    if (gateway.status !== 'ACTIVE' || gateway.managementUrl === null) {
      throw new GatewayError(
        'AGW_CLOUD_GATEWAY_NOT_READY',
        `${target.name}: the cloud gateway is ${gateway.status}${gateway.message === null ? '' : ` (${gateway.message})`}; its management API is reachable once it is ACTIVE`,
        { hint: gateway.status === 'PROVISIONING' ? `wait for it with: agentgw gateway health ${target.name}` : undefined, details: { gateway: target.name, status: gateway.status } },
      );
    }
    this.#managementUrls.set(gateway.id, gateway.managementUrl);
    return gateway.managementUrl;
  }

  /** GET /gateways/{id}, any answer but 200 being an error. */
  private async fetchGateway(target: GatewayTarget, options: CallOptions): Promise<CloudGateway> {
    const id = cloudGatewayId(target);
    if (id === null) {
      throw new GatewayError('AGW_CLOUD_GATEWAY_UNKNOWN', `${target.name}: no cloudGatewayId is stored for this gateway, so the provider cannot be asked about it`, {
        hint: `delete it (agentgw gateway delete ${target.name}) and register it again`,
      });
    }
    const response = await this.provider(() => this.#api.call({ method: 'GET', path: gatewayPath(id), retry: true, ...options }));
    if (response.status === 404) {
      this.#managementUrls.delete(id);
      throw new GatewayError('AGW_CLOUD_GATEWAY_GONE', `${target.name}: cloud gateway ${id} no longer exists at the provider (deprovisioned outside agentgw)`, {
        hint: `remove it from agentgw with: agentgw gateway delete ${target.name}`,
        details: { gateway: target.name, cloudGatewayId: id },
      });
    }
    if (response.status !== 200) throw this.#api.failure(`read gateway "${target.name}" (${id})`, response);
    return this.#api.parseGateway(response);
  }

  private async resourceCounts(target: GatewayTarget, options: CallOptions): Promise<Part<(typeof COUNT_FIELDS)[number]>> {
    const none = (reason: string): Part<(typeof COUNT_FIELDS)[number]> => ({
      values: { resourceCount: null, providerCount: null, proxyCount: null, mcpCount: null },
      unavailable: Object.fromEntries(COUNT_FIELDS.map((field) => [field, reason])),
    });
    let management: GatewayTarget;
    try {
      management = await this.managementTarget(target, options);
    } catch (error) {
      return none(`cannot reach the gateway's management API: ${describe(error)}`);
    }
    // The on-premise adapter lists every kind; its rates need a Prometheus URL, which a cloud
    // gateway does not expose, so only its counts are used.
    const metrics = await this.#management.getMetrics(management, options);
    return {
      values: { resourceCount: metrics.resourceCount, providerCount: metrics.providerCount, proxyCount: metrics.proxyCount, mcpCount: metrics.mcpCount },
      unavailable: Object.fromEntries(COUNT_FIELDS.flatMap((field) => (metrics.unavailable[field] === undefined ? [] : [[field, metrics.unavailable[field]]]))),
    };
  }

  private async providerRates(target: GatewayTarget, options: CallOptions): Promise<Part<'requestRate' | 'errorRate' | 'averageLatencyMs'>> {
    const none = (reason: string) => ({
      values: { requestRate: null, errorRate: null, averageLatencyMs: null },
      unavailable: Object.fromEntries(Object.values(RATE_REASON_KEYS).map((key) => [key, reason])),
    });
    const id = cloudGatewayId(target);
    if (id === null) return none('no cloudGatewayId is stored for this gateway');
    try {
      const response = await this.provider(() => this.#api.call({ method: 'GET', path: `${gatewayPath(id)}/metrics`, retry: true, ...options }));
      if (response.status !== 200) {
        const said = this.#api.providerMessage(response);
        return none(`the cloud provider answered HTTP ${response.status}${said === null ? '' : `: ${said}`}`);
      }
      const rates = this.#api.parseMetrics(response);
      const unavailable: Record<string, string> = {};
      for (const [field, key] of Object.entries(RATE_REASON_KEYS)) {
        if (rates[field as keyof typeof RATE_REASON_KEYS] === null) unavailable[key] = 'the cloud provider has no value for it yet (no traffic measured)';
      }
      return { values: rates, unavailable };
    } catch (error) {
      return none(describe(error));
    }
  }

  private answeredBadly(elapsedMs: number, what: string, response: HttpResponse): HealthStatus {
    const said = this.#api.providerMessage(response);
    const message = `the cloud provider answered HTTP ${response.status} for the ${what}${said === null ? '' : `: ${said}`}`;
    const auth = response.status === 401 || response.status === 403;
    return unhealthy(elapsedMs, message, auth ? 'auth' : response.status >= 500 ? 'http_5xx' : 'http_4xx', auth);
  }

  /** Runs a provider call, turning transport failures into GatewayErrors that name the provider. */
  private async provider<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof HttpFailure) {
        throw new GatewayError(transportCode('CLOUD', error.kind), `cloud provider ${this.#config.provider}: ${error.message}`, {
          hint: 'check gateway.adapter.cloud.apiEndpoint and that the provider is reachable from here',
          details: { provider: this.#config.provider, kind: error.kind },
        });
      }
      throw error;
    }
  }
}

interface Part<K extends string> {
  values: Record<K, number | null>;
  unavailable: Record<string, string>;
}

function cloudGatewayId(target: GatewayTarget): string | null {
  const id = target.adapterConfig.cloudGatewayId;
  return typeof id === 'string' && id !== '' ? id : null;
}

function gatewayPath(id: string): string {
  return `/gateways/${encodeURIComponent(id)}`;
}

function unhealthy(responseTimeMs: number | null, errorMessage: string, errorClass: HealthStatus['errorClass'], permanent: boolean): HealthStatus {
  return { healthy: false, permanent, responseTimeMs, errorClass, errorMessage, checkedAt: new Date() };
}

/** A check that got no usable answer. Refused credentials, a blocked address or a TLS problem will not fix themselves. */
function failedCheck(error: unknown): Pick<HealthStatus, 'healthy' | 'permanent' | 'errorClass' | 'errorMessage'> {
  if (error instanceof HttpFailure) {
    const errorClass = error.kind === 'timeout' || error.kind === 'refused' || error.kind === 'dns' || error.kind === 'tls' || error.kind === 'blocked' ? error.kind : 'network';
    return { healthy: false, permanent: errorClass === 'tls' || errorClass === 'blocked', errorClass, errorMessage: error.message };
  }
  if (error instanceof GatewayError) {
    const auth = error.code === 'AGW_CLOUD_AUTH';
    return { healthy: false, permanent: auth, errorClass: auth ? 'auth' : null, errorMessage: error.message };
  }
  throw error;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
