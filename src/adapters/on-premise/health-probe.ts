/**
 * Asking a gateway-controller for its health: at the operator's adminUrl, at the healthUrl found
 * when the gateway was registered, or — for a gateway stored without either — at the URLs a
 * controller with its management URL may serve health at (see `health-endpoints.ts`), once per
 * process.
 *
 * @example
 * const probe = new HealthProbe(client);
 * const status = await probe.check(target, readSettings(target), 2000, {}); // never throws for a down gateway
 */
import type { CallOptions, GatewayTarget, HealthStatus } from '../adapter.js';
import { HttpFailure, type HttpResponse } from '../http/types.js';
import { signal, type ControllerClient } from './controller-client.js';
import { ADMIN_HEALTH_PATH, adminBaseUrl, healthCandidates, isHealthAnswer, LEGACY_HEALTH_PATH } from './health-endpoints.js';
import { assessHealth, failedCheck, HealthNotFound, type HealthAttempt } from './health-verdict.js';
import type { OnPremiseSettings } from './settings.js';

export class HealthProbe {
  /** Health URLs found for gateways stored without adminUrl or healthUrl, by controlPlaneUrl. */
  readonly #healthUrls = new Map<string, string>();

  constructor(private readonly client: ControllerClient) {}

  /** The gateway's health as a check: a gateway that does not answer is unhealthy, not an error. */
  async check(target: GatewayTarget, settings: OnPremiseSettings, timeoutMs: number, options: CallOptions): Promise<HealthStatus> {
    const started = performance.now();
    try {
      const response = await this.probe(target, settings, timeoutMs, options);
      return assessHealth(response, Math.round(performance.now() - started), settings.adminUrl !== null);
    } catch (error) {
      const failed = error instanceof HealthNotFound ? error.asCheck() : failedCheck(error);
      return { ...failed, responseTimeMs: null, checkedAt: new Date() };
    }
  }

  /**
   * GET on the health endpoint. With an adminUrl: the admin API's `/api/admin/v1/health`,
   * falling back to the `/health` alias that older controllers serve instead, within one time
   * budget. Otherwise the healthUrl found at registration; a gateway stored without one (before
   * agentgw looked for it) has it looked for once per process. Transport failures are
   * HttpFailures; a search that finds nothing throws HealthNotFound. The GETs of a known URL go on
   * the probe transport (`http/probe-exchange.ts`): the monitor makes one per gateway per interval.
   */
  async probe(target: GatewayTarget, settings: OnPremiseSettings, timeoutMs: number, options: CallOptions): Promise<HttpResponse> {
    if (settings.adminUrl === null) {
      const known = settings.healthUrl ?? this.#healthUrls.get(settings.controlPlaneUrl);
      if (known !== undefined) return this.client.send(target, { method: 'GET', url: known, timeoutMs, retry: false, probe: true, ...signal(options) }, settings);
      const found = await this.discover(target, settings, timeoutMs / healthCandidates(settings.controlPlaneUrl).length, options);
      this.#healthUrls.set(settings.controlPlaneUrl, found.url);
      return found.response;
    }
    const deadline = performance.now() + timeoutMs;
    const adminBase = adminBaseUrl(settings.adminUrl);
    const response = await this.client.send(target, { method: 'GET', url: `${adminBase}${ADMIN_HEALTH_PATH}`, timeoutMs, retry: false, probe: true, ...signal(options) }, settings);
    if (response.status !== 404) return response;
    const remainingMs = Math.max(1, Math.round(deadline - performance.now()));
    return this.client.send(target, { method: 'GET', url: `${adminBase}${LEGACY_HEALTH_PATH}`, timeoutMs: remainingMs, retry: false, probe: true, ...signal(options) }, settings);
  }

  /**
   * Tries the health URLs a controller with this management URL may serve (see
   * `health-endpoints.ts`), each for up to `perCandidateMs`, and resolves with the first that
   * answers like a health endpoint, healthy or not. Throws HealthNotFound naming each URL tried
   * and why it was passed over.
   */
  async discover(
    target: GatewayTarget,
    settings: OnPremiseSettings,
    perCandidateMs: number,
    options: CallOptions,
  ): Promise<{ url: string; response: HttpResponse }> {
    const attempts: HealthAttempt[] = [];
    const ask = (url: string) => this.client.send(target, { method: 'GET', url, timeoutMs: Math.max(1, Math.round(perCandidateMs)), retry: false, ...signal(options) });
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
}
