/**
 * The on-premise adapter: talks to a WSO2 gateway-controller over its REST API
 * (`management-openapi.yaml`, or `legacy-2026-02-openapi.yaml` for older controllers), its
 * admin health endpoint (found from the management URL when no adminUrl is given: see
 * `health-endpoints.ts`), and its Prometheus endpoint.
 *
 * Each concern lives in its own module, and this class composes them: `settings.ts` (what
 * adapterConfig holds), `controller-client.ts` (requests, credentials, errors), `health-probe.ts`
 * and `health-verdict.ts` (health), `api-layout.ts` (which API the controller serves),
 * `resources.ts` (deploy, read, list) and `gateway-metrics.ts` (counts and rates). Registration
 * stays here: it is the one call that needs all of them, in order.
 *
 * @example
 * const adapter = new OnPremiseAdapter(context);
 * await adapter.registerGateway({ name: 'gw-1', controlPlaneUrl: 'http://gw:9090', ... });
 */
import { GatewayError, ValidationError } from '../../domain/errors.js';
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
import { ApiLayouts } from './api-layout.js';
import { collectionPath } from './collections.js';
import { ControllerClient, parseJson, toGatewayError, unexpectedAnswer } from './controller-client.js';
import { MetricsCollector, type MetricsCollectorOptions } from './gateway-metrics.js';
import { HealthProbe } from './health-probe.js';
import { assessHealth, HealthNotFound } from './health-verdict.js';
import { ControllerResources } from './resources.js';
import { readSettings, validateOnPremiseConfig } from './settings.js';

/** Only the metrics need a clock: for the time between two Prometheus scrapes. */
export type OnPremiseAdapterOptions = MetricsCollectorOptions;

export class OnPremiseAdapter implements GatewayAdapter {
  readonly type = 'on-premise' as const;
  readonly #client: ControllerClient;
  readonly #health: HealthProbe;
  readonly #layouts: ApiLayouts;
  readonly #resources: ControllerResources;
  readonly #metrics: MetricsCollector;

  constructor(
    private readonly context: AdapterContext,
    options: OnPremiseAdapterOptions = {},
  ) {
    // One client for all: they share its connections, and closing the adapter closes them.
    this.#client = new ControllerClient(context);
    this.#health = new HealthProbe(this.#client);
    this.#layouts = new ApiLayouts(this.#client);
    this.#resources = new ControllerResources(this.#client, this.#layouts);
    this.#metrics = new MetricsCollector(this.#client, this.#resources, options);
  }

  validateConfig(adapterConfig: Record<string, unknown>): Record<string, unknown> {
    return validateOnPremiseConfig(adapterConfig);
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
    const settings = readSettings(target);
    const health = await this.#health.probe(target, settings, options.timeoutMs ?? this.context.http.defaultTimeoutMs, options).catch((error: unknown) => {
      throw error instanceof HealthNotFound ? error.toGatewayError() : toGatewayError(target, error);
    });
    if (health.status < 200 || health.status >= 300) throw unexpectedAnswer(target, 'read the health endpoint', health);
    const body = parseJson(health.body) as Record<string, unknown> | undefined;
    const version = typeof body?.version === 'string' ? body.version : null;
    const apiBasePath = await this.#layouts.of(target, options);
    return { name: target.name, version, apiBasePath, details: body ?? {} };
  }

  async checkHealth(target: GatewayTarget, options: CallOptions = {}): Promise<HealthStatus> {
    const settings = readSettings(target);
    return this.#health.check(target, settings, options.timeoutMs ?? this.context.http.healthCheckTimeoutMs, options);
  }

  async getMetrics(target: GatewayTarget, options: CallOptions = {}): Promise<GatewayMetrics> {
    return this.#metrics.collect(target, options);
  }

  async deployResource(target: GatewayTarget, manifest: ResourceManifest, options: CallOptions = {}): Promise<DeploymentResult> {
    return this.#resources.deploy(target, manifest, options);
  }

  async undeployResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<void> {
    return this.#resources.undeploy(target, kind, name, options);
  }

  async getResource(target: GatewayTarget, kind: ResourceKind, name: string, options: CallOptions = {}): Promise<ResourceManifest | null> {
    return this.#resources.get(target, kind, name, options);
  }

  async listResources(target: GatewayTarget, kind: ResourceKind, options: CallOptions = {}): Promise<DeployedResource[]> {
    return this.#resources.list(target, kind, options);
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  /**
   * Reachability, health, API flavour and credentials, checked before anything is stored. Without
   * an adminUrl, health is looked for afresh (the management URL may have changed) and where it
   * was found is returned as healthUrl; with one, a healthUrl found before is dropped.
   */
  private async connect(target: GatewayTarget): Promise<RegistrationResult> {
    const settings = readSettings(target);
    let health: HealthStatus;
    let healthUrl: string | null = null;
    if (settings.adminUrl !== null) {
      health = await this.checkHealth(target);
    } else {
      const found = await this.#health.discover(target, settings, this.context.http.healthCheckTimeoutMs, {}).catch((error: unknown) => {
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
    const apiBasePath = settings.apiBasePath === 'auto' ? await this.#layouts.detect(target) : settings.apiBasePath;
    // A listing proves the credentials work (the health endpoint is unauthenticated).
    const probe = await this.#client.request(target, {
      method: 'GET',
      url: `${settings.controlPlaneUrl}${collectionPath('LlmProvider', apiBasePath)}`,
      retry: true,
    });
    if (probe.status === 401 || probe.status === 403) {
      throw new GatewayError('AGW_GATEWAY_AUTH', `gateway-controller at ${settings.controlPlaneUrl} rejected the credentials (HTTP ${probe.status})`, {
        hint: 'pass --username and --password (or --password-stdin) for the management API',
      });
    }
    if (probe.status !== 200) throw unexpectedAnswer(target, 'list LLM providers', probe);
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
}
