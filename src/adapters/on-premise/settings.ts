/**
 * An on-premise gateway's settings: what `adapterConfig` may hold (checked before anything is
 * stored), and what the adapter reads back from a stored gateway on every call. Secrets are not
 * settings: they come as the gateway's credentials.
 *
 * @example
 * const config = validateOnPremiseConfig({ controlPlaneUrl: 'http://gw:9090/api/management/v1' });
 * // { controlPlaneUrl: 'http://gw:9090', apiBasePath: 'auto' }
 */
import { canonicalUrl, checkHttpUrl, FieldErrors } from '../../domain/validation.js';
import { ValidationError } from '../../domain/errors.js';
import type { GatewayTarget } from '../adapter.js';
import type { TlsOptions } from '../http/types.js';
import { CURRENT_API_BASE_PATH, LEGACY_API_BASE_PATH } from './collections.js';

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
export interface OnPremiseSettings {
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
  /** The origin the credentials (or the client certificate) were given for; null when there are none. */
  credentialsOrigin: string | null;
}

/** The settings normalised (canonical URLs, `auto` API layout), or a ValidationError naming each bad one. */
export function validateOnPremiseConfig(adapterConfig: Record<string, unknown>): Record<string, unknown> {
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

/**
 * A stored gateway's settings. Read afresh on every call rather than kept: the gateway may have
 * been updated since. A target's own controlPlaneUrl wins over its adapterConfig's.
 */
export function readSettings(target: GatewayTarget): OnPremiseSettings {
  const config = target.adapterConfig;
  const controlPlaneUrl = target.controlPlaneUrl ?? (typeof config.controlPlaneUrl === 'string' ? config.controlPlaneUrl : null);
  if (controlPlaneUrl === null) throw ValidationError.field('adapterConfig.controlPlaneUrl', 'is required for on-premise gateways');
  const tls: TlsOptions = {};
  if (typeof config.caCert === 'string') tls.caCert = config.caCert;
  if (config.insecureSkipVerify === true) tls.insecureSkipVerify = true;
  const clientTls: TlsOptions = { ...tls };
  if (typeof config.clientCert === 'string') clientTls.clientCert = config.clientCert;
  if (target.credentials.clientKey !== undefined) clientTls.clientKey = target.credentials.clientKey;
  const { username, password, token, clientKey } = target.credentials;
  // Parsed only when something is bound to it: the monitor reads settings at every check.
  const bound = username !== undefined || password !== undefined || token !== undefined || clientKey !== undefined || clientTls.clientCert !== undefined;
  return {
    controlPlaneUrl,
    adminUrl: typeof config.adminUrl === 'string' ? config.adminUrl : null,
    healthUrl: typeof config.healthUrl === 'string' ? config.healthUrl : null,
    metricsUrl: typeof config.metricsUrl === 'string' ? config.metricsUrl : null,
    apiBasePath: typeof config.apiBasePath === 'string' ? config.apiBasePath : 'auto',
    tls: Object.keys(tls).length === 0 ? undefined : tls,
    clientTls: Object.keys(clientTls).length === 0 ? undefined : clientTls,
    credentialsOrigin: bound ? originOf(target.credentials.origin ?? controlPlaneUrl) : null,
  };
}

/** scheme://host:port of a URL (default ports implied), or null when it is not one. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** A controller given by its management API's full URL (the specs' `servers` entry) is managed from its root. */
function managementRoot(url: string): string {
  return url.endsWith(CURRENT_API_BASE_PATH) ? url.slice(0, -CURRENT_API_BASE_PATH.length) : url;
}
