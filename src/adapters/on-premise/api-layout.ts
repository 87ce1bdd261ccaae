/**
 * Which management API layout a gateway-controller serves: the current one under
 * `/api/management/v1`, or the 2026-02 one at the root. Registration stores what it detected;
 * a gateway stored as `auto` is detected on first use.
 *
 * @example
 * const layouts = new ApiLayouts(client);
 * const apiBasePath = await layouts.of(target); // '/api/management/v1' or '' (legacy)
 */
import { GatewayError } from '../../domain/errors.js';
import type { CallOptions, GatewayTarget } from '../adapter.js';
import { CURRENT_API_BASE_PATH, LEGACY_API_BASE_PATH } from './collections.js';
import { timeout, unexpectedAnswer, type ControllerClient } from './controller-client.js';
import { readSettings } from './settings.js';

export class ApiLayouts {
  /** API layouts detected for gateways whose stored apiBasePath is still `auto`, by controlPlaneUrl. */
  readonly #detected = new Map<string, Promise<string>>();

  constructor(private readonly client: ControllerClient) {}

  /**
   * The gateway's API layout. A gateway whose stored setting is still `auto` (stored before
   * detection ran, or configured so by hand) is detected once per process rather than assumed
   * to be current: a legacy controller would answer every call with 404.
   */
  async of(target: GatewayTarget, options: CallOptions = {}): Promise<string> {
    const settings = readSettings(target);
    if (settings.apiBasePath !== 'auto') return settings.apiBasePath;
    let detected = this.#detected.get(settings.controlPlaneUrl);
    if (detected === undefined) {
      detected = this.detect(target, options);
      this.#detected.set(settings.controlPlaneUrl, detected);
      // A failed detection (gateway down, bad credentials) is tried again next time.
      detected.catch(() => this.#detected.delete(settings.controlPlaneUrl));
    }
    return detected;
  }

  /** Current controllers answer under /api/management/v1; older ones at the root. Asks, never cached. */
  async detect(target: GatewayTarget, options: CallOptions = {}): Promise<string> {
    const base = readSettings(target).controlPlaneUrl;
    const current = await this.client.request(target, { method: 'GET', url: `${base}${CURRENT_API_BASE_PATH}/llm-providers`, retry: true, ...timeout(options) });
    // A 404 says "not here"; a 5xx says nothing about the layout, and guessing would send every
    // later call to the wrong paths.
    if (current.status >= 500) throw unexpectedAnswer(target, 'detect the management API layout', current);
    if (current.status !== 404) return CURRENT_API_BASE_PATH;
    const legacy = await this.client.request(target, { method: 'GET', url: `${base}/llm-providers`, retry: true, ...timeout(options) });
    if (legacy.status >= 500) throw unexpectedAnswer(target, 'detect the management API layout', legacy);
    if (legacy.status !== 404) return LEGACY_API_BASE_PATH;
    throw new GatewayError('AGW_GATEWAY_NOT_A_CONTROLLER', `${base} does not serve the gateway-controller management API (HTTP 404 on both API layouts)`, {
      hint: 'check that controlPlaneUrl points at the management port (9090 by default)',
    });
  }
}
