/**
 * Secrets in a gateway's adapterConfig (passwords, tokens, client secrets, TLS keys) are split
 * off before anything is stored: the sealed envelope keeps the values, and the stored config
 * keeps only `{set: true}` where a secret is. Reads can then return the config as stored.
 *
 * The envelope also keeps the origin (scheme://host:port) the secrets were given for: adapters
 * send them there and nowhere else, and moving a gateway's controlPlaneUrl to another origin
 * needs them given again ({@link assertCredentialsFollow}).
 */
import { ValidationError, type FieldError } from '../domain/errors.js';
import type { GatewayCredentials, GatewayTarget } from '../adapters/adapter.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { GatewayRecord } from '../store/repositories/gateways.js';

export const SECRET_FIELDS = ['password', 'token', 'clientSecret', 'clientKey'] as const;
type SecretField = (typeof SECRET_FIELDS)[number];
export type SecretValues = Partial<Record<SecretField, string>> & {
  /** The origin the values were given for; absent in envelopes sealed before it was recorded. */
  origin?: string;
};

const SET = Object.freeze({ set: true as const });

function isPresenceMarker(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as { set?: unknown }).set === true && Object.keys(value).length === 1;
}

/**
 * Merges a config patch into the stored config and secrets. A secret given as a string replaces
 * the stored one, `null` removes it, and `{set: true}` (what a read returned) keeps it, so a
 * read-edit-write round trip never loses a password. Other keys: a value replaces, null removes.
 */
export function mergeAdapterConfig(
  stored: { config: Record<string, unknown>; secrets: SecretValues },
  patch: Record<string, unknown>,
): { config: Record<string, unknown>; secrets: SecretValues } {
  const config = { ...stored.config };
  const secrets = { ...stored.secrets };
  for (const [key, value] of Object.entries(patch)) {
    if ((SECRET_FIELDS as readonly string[]).includes(key)) {
      const field = key as SecretField;
      if (value === null) delete secrets[field];
      else if (typeof value === 'string') secrets[field] = value;
      else if (!isPresenceMarker(value)) {
        throw ValidationError.field(`adapterConfig.${key}`, 'must be a string (or null to remove it)');
      }
      continue;
    }
    if (value === null) delete config[key];
    else config[key] = value;
  }
  for (const field of SECRET_FIELDS) {
    if (secrets[field] !== undefined) config[field] = SET;
    else delete config[field];
  }
  return { config, secrets };
}

export function sealSecrets(secrets: SecretValues, box: () => SecretBox): string | null {
  return SECRET_FIELDS.some((field) => secrets[field] !== undefined) ? box().seal(secrets) : null;
}

/** The secrets bound to `url`'s origin (when it is a URL). */
export function boundTo(secrets: SecretValues, url: string | null): SecretValues {
  const { origin: _previous, ...values } = secrets;
  const origin = url === null ? null : originOf(url);
  return origin === null ? values : { ...values, origin };
}

/**
 * Refuses an update that moves the gateway's controlPlaneUrl to another origin while stored
 * secrets stay behind: they were given for the old origin, and a write token must not be able to
 * send them elsewhere. Every stored secret must come again in the same request (or be removed
 * with null).
 */
export function assertCredentialsFollow(stored: SecretValues, storedUrl: string | null, nextUrl: string | null, patch: Record<string, unknown>): void {
  const from = stored.origin ?? (storedUrl === null ? null : originOf(storedUrl));
  const to = nextUrl === null ? null : originOf(nextUrl);
  if (from === null || to === null || from === to) return;
  const left = SECRET_FIELDS.filter((field) => stored[field] !== undefined && !(field in patch && (patch[field] === null || typeof patch[field] === 'string')));
  if (left.length === 0) return;
  const errors: FieldError[] = left.map((field) => ({
    path: `adapterConfig.${field}`,
    message: `was given for ${from}: give it again for ${to} in this request, or null to remove it`,
  }));
  throw new ValidationError(
    `adapterConfig.controlPlaneUrl: moving the gateway from ${from} to another origin (${to}) needs its credentials in the same request: stored credentials are only ever sent to the origin they were given for`,
    [{ path: 'adapterConfig.controlPlaneUrl', message: `another origin than the stored credentials' (${from})` }, ...errors],
    { hint: `pass ${left.join(', ')} again (e.g. --password-stdin), or null to drop them; nothing was changed` },
  );
}

function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

export function openSecrets(envelope: string | null, box: () => SecretBox): SecretValues {
  return envelope === null ? {} : box().open<SecretValues>(envelope);
}

/** What an adapter sees: the config without presence markers, the secrets as credentials. */
export function adapterView(config: Record<string, unknown>, secrets: SecretValues): { adapterConfig: Record<string, unknown>; credentials: GatewayCredentials } {
  // A loop, not entries/filter/fromEntries: the monitor builds this for every check.
  const adapterConfig: Record<string, unknown> = {};
  for (const key in config) if (!(SECRET_FIELDS as readonly string[]).includes(key)) adapterConfig[key] = config[key];
  const username = typeof config.username === 'string' ? config.username : undefined;
  return { adapterConfig, credentials: { ...secrets, ...(username === undefined ? {} : { username }) } };
}

export function toTarget(
  record: Pick<GatewayRecord, 'uuid' | 'name' | 'type' | 'adapterType' | 'controlPlaneUrl' | 'endpoint' | 'region' | 'adapterConfig' | 'credentials' | 'status'>,
  box: () => SecretBox,
): GatewayTarget {
  const { adapterConfig, credentials } = adapterView(record.adapterConfig, openSecrets(record.credentials, box));
  return {
    uuid: record.uuid,
    name: record.name,
    type: record.type,
    adapterType: record.adapterType,
    controlPlaneUrl: record.controlPlaneUrl,
    endpoint: record.endpoint,
    region: record.region,
    adapterConfig,
    credentials,
    status: record.status,
  };
}
