/**
 * Input rules shared by the services (so local mode and the daemon reject the same things) and
 * by the daemon's route schemas. Each check throws a ValidationError naming the field.
 */
import { ValidationError, type FieldError } from './errors.js';
import { GATEWAY_STATUSES, GATEWAY_TYPES, type GatewayStatus, type GatewayType } from './types.js';

export const NAME_PATTERN = '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$';
const NAME = new RegExp(NAME_PATTERN);
export const NAME_MAX = 64;
export const DISPLAY_NAME_MAX = 128;
export const DESCRIPTION_MAX = 1024;
export const URL_MAX = 2048;

/** Collects field errors so one response can name every bad field at once. */
export class FieldErrors {
  readonly errors: FieldError[] = [];

  add(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  throwIfAny(what: string): void {
    if (this.errors.length === 0) return;
    const summary = this.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw new ValidationError(`invalid ${what}: ${summary}`, this.errors);
  }
}

export function checkName(errors: FieldErrors, path: string, value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) {
    errors.add(path, 'is required');
    return false;
  }
  if (value.length > NAME_MAX) {
    errors.add(path, `must be at most ${NAME_MAX} characters (got ${value.length})`);
    return false;
  }
  if (!NAME.test(value)) {
    errors.add(path, `"${value}" may contain only lower-case letters, digits and '-', and must start and end with a letter or digit`);
    return false;
  }
  return true;
}

export function checkDisplayName(errors: FieldErrors, path: string, value: unknown): value is string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    errors.add(path, 'must be a non-empty string');
    return false;
  }
  if (value.length > DISPLAY_NAME_MAX) {
    errors.add(path, `must be at most ${DISPLAY_NAME_MAX} characters (got ${value.length})`);
    return false;
  }
  return true;
}

export function checkDescription(errors: FieldErrors, path: string, value: unknown): value is string | null {
  if (value === null) return true;
  if (typeof value !== 'string') {
    errors.add(path, 'must be a string');
    return false;
  }
  if (value.length > DESCRIPTION_MAX) {
    errors.add(path, `must be at most ${DESCRIPTION_MAX} characters (got ${value.length})`);
    return false;
  }
  return true;
}

export function checkGatewayType(errors: FieldErrors, path: string, value: unknown): value is GatewayType {
  if ((GATEWAY_TYPES as readonly unknown[]).includes(value)) return true;
  errors.add(path, `must be one of ${GATEWAY_TYPES.join(', ')}`);
  return false;
}

export function parseGatewayType(value: string, path = 'type'): GatewayType {
  const upper = value.toUpperCase();
  if ((GATEWAY_TYPES as readonly string[]).includes(upper)) return upper as GatewayType;
  throw ValidationError.field(path, `"${value}" is not a gateway type; use ${GATEWAY_TYPES.join(' or ')}`);
}

export function parseGatewayStatus(value: string, path = 'status'): GatewayStatus {
  const upper = value.toUpperCase();
  if ((GATEWAY_STATUSES as readonly string[]).includes(upper)) return upper as GatewayStatus;
  throw ValidationError.field(path, `"${value}" is not a status; use one of ${GATEWAY_STATUSES.join(', ')}`);
}

/**
 * An http(s) URL a gateway can be reached at: no other schemes, no credentials in the URL
 * (they belong in the credential fields, where they are encrypted), no fragment.
 */
export function checkHttpUrl(errors: FieldErrors, path: string, value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) {
    errors.add(path, 'is required');
    return false;
  }
  if (value.length > URL_MAX) {
    errors.add(path, `must be at most ${URL_MAX} characters`);
    return false;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // An unparseable URL may still carry a password: never repeat one. It runs from the user
    // name's first ':' to the last '@', whatever it holds ('@', '/', a pasted newline).
    errors.add(path, `"${value.replace(/\/\/([^/:]*):.*@/s, '//$1:***@')}" is not a valid URL (expected e.g. http://gateway.internal:9090)`);
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    errors.add(path, `scheme "${url.protocol.slice(0, -1)}" is not allowed; use http or https`);
    return false;
  }
  if (url.username !== '' || url.password !== '') {
    errors.add(path, 'must not contain credentials; pass them as username/password instead');
    return false;
  }
  if (url.hash !== '' || url.search !== '') {
    errors.add(path, 'must not have a query or fragment');
    return false;
  }
  return true;
}

/** A URL without its trailing slash, so stored URLs compare and join predictably. */
export function canonicalUrl(value: string): string {
  const url = new URL(value);
  return url.toString().replace(/\/+$/, '');
}
