/**
 * What a cloud gateway's adapterConfig may hold: what the user chooses (`region`, `tier`,
 * `autoScaling`, and a `username` for the gateway's management API), and what the adapter
 * records itself (`cloudGatewayId`, `managementUrl`) so that updates, which validate the stored
 * config again, pass.
 *
 * @example
 * validateCloudGatewayConfig({ tier: 'premium', autoScaling: { maxInstances: 5 } }, 'us-east-1');
 * // { region: 'us-east-1', tier: 'premium', autoScaling: { minInstances: 1, maxInstances: 5 } }
 */
import { canonicalUrl, checkHttpUrl, FieldErrors } from '../../domain/validation.js';

export const CLOUD_CONFIG_KEYS = ['region', 'tier', 'autoScaling', 'username', 'cloudGatewayId', 'managementUrl'] as const;
/** Set by the adapter from the provider's answers; a user who sends them on registration is refused. */
export const ADAPTER_OWNED_KEYS = ['cloudGatewayId', 'managementUrl'] as const;

export const MAX_INSTANCES = 100;
export const TIER_MAX = 32;
const REGION_MAX = 64;
const ID_MAX = 128;
const REGION = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ID = /^[A-Za-z0-9_-]+$/;
// Printable text only: a tier ends up in tables and in the provider's request body.
const TIER = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

export interface AutoScaling {
  minInstances: number;
  maxInstances: number;
}

/** Checks and normalises a cloud gateway's settings; throws one ValidationError naming every bad field. */
export function validateCloudGatewayConfig(input: Record<string, unknown>, defaultRegion: string): Record<string, unknown> {
  const errors = new FieldErrors();
  for (const key of Object.keys(input)) {
    if (!(CLOUD_CONFIG_KEYS as readonly string[]).includes(key)) {
      errors.add(`adapterConfig.${key}`, `unknown setting for the cloud adapter; known: ${CLOUD_CONFIG_KEYS.join(', ')}, password, token`);
    }
  }
  const present = (key: string): boolean => input[key] !== undefined && input[key] !== null;
  const normalised: Record<string, unknown> = {};

  const region = present('region') ? input.region : defaultRegion;
  if (typeof region !== 'string' || region.length === 0 || region.length > REGION_MAX || !REGION.test(region)) {
    errors.add('adapterConfig.region', `must be a region name like us-east-1 (lower-case letters, digits and '-', at most ${REGION_MAX} characters)`);
  } else {
    normalised.region = region;
  }

  if (present('tier')) {
    const tier = input.tier;
    if (typeof tier !== 'string' || !TIER.test(tier)) errors.add('adapterConfig.tier', 'must be a non-empty tier name like standard or premium');
    else if (tier.length > TIER_MAX) errors.add('adapterConfig.tier', `must be at most ${TIER_MAX} characters (got ${tier.length})`);
    else normalised.tier = tier;
  }

  if (present('autoScaling')) {
    const autoScaling = checkAutoScaling(errors, input.autoScaling);
    if (autoScaling !== null) normalised.autoScaling = autoScaling;
  }

  if (present('username')) {
    if (typeof input.username === 'string' && input.username !== '') normalised.username = input.username;
    else errors.add('adapterConfig.username', 'must be a non-empty string');
  }

  if (present('cloudGatewayId')) {
    const id = input.cloudGatewayId;
    if (typeof id === 'string' && id.length <= ID_MAX && ID.test(id)) normalised.cloudGatewayId = id;
    else errors.add('adapterConfig.cloudGatewayId', `must be the provider's gateway id (letters, digits, '_' and '-', at most ${ID_MAX} characters)`);
  }

  if (present('managementUrl') && checkHttpUrl(errors, 'adapterConfig.managementUrl', input.managementUrl)) {
    normalised.managementUrl = canonicalUrl(input.managementUrl as string);
  }

  errors.throwIfAny('cloud gateway settings');
  return normalised;
}

/** A missing bound takes the other one's value (or 1), so `--max-instances 5` alone means 1..5. */
function checkAutoScaling(errors: FieldErrors, value: unknown): AutoScaling | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.add('adapterConfig.autoScaling', 'must be an object like {minInstances: 1, maxInstances: 3}');
    return null;
  }
  const record = value as Record<string, unknown>;
  let ok = true;
  for (const key of Object.keys(record)) {
    if (key !== 'minInstances' && key !== 'maxInstances') {
      errors.add(`adapterConfig.autoScaling.${key}`, 'unknown setting; known: minInstances, maxInstances');
      ok = false;
    }
  }
  const wholeNumber = (key: 'minInstances' | 'maxInstances', min: number): number | null => {
    const n = record[key];
    if (n === undefined || n === null) return null;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= MAX_INSTANCES) return n;
    const floor = key === 'maxInstances' && min > 1 ? `minInstances (${min})` : String(min);
    errors.add(`adapterConfig.autoScaling.${key}`, `must be a whole number from ${floor} to ${MAX_INSTANCES} (got ${JSON.stringify(n)})`);
    ok = false;
    return null;
  };
  const minInstances = wholeNumber('minInstances', 1);
  const maxInstances = wholeNumber('maxInstances', minInstances ?? 1);
  if (!ok) return null;
  const min = minInstances ?? 1;
  return { minInstances: min, maxInstances: maxInstances ?? min };
}
