/**
 * Input rules shared by the services (so local mode and the daemon reject the same things) and
 * by the daemon's route schemas. Each check throws a ValidationError naming the field.
 */
import { ValidationError, type FieldError } from './errors.js';
import { httpUrlProblem } from './http-url.js';
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
  return checkPrintable(errors, path, value);
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
  return checkPrintable(errors, path, value);
}

/**
 * C0 and C1 control characters (DEL included), and the bidirectional embeddings, overrides and
 * isolates (U+202A–202E, U+2066–2069): text that moves a terminal's cursor, rings it, or prints
 * reordered ("gw-\u202eved" shows as "gw-dev") is not a name a person can trust.
 */
const UNPRINTABLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
/** A UTF-16 surrogate without its pair: no character at all, and UTF-8 cannot carry it. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Text shown in tables and terminals: valid Unicode, without control or bidi characters. */
function checkPrintable(errors: FieldErrors, path: string, value: string): boolean {
  const problem = unprintableIn(value);
  if (problem !== null) errors.add(path, problem);
  return problem === null;
}

function unprintableIn(value: string): string | null {
  const surrogate = LONE_SURROGATE.exec(value);
  if (surrogate !== null) return `must be valid Unicode: a lone UTF-16 surrogate (${codePoint(surrogate[0])}) at position ${surrogate.index}`;
  const control = UNPRINTABLE.exec(value);
  if (control !== null) return `must not contain control characters or bidirectional overrides (${codePoint(control[0])} at position ${control.index})`;
  return null;
}

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** How large and how deep a free-form object (metadata, adapterConfig) may be. */
export interface ObjectLimits {
  /** Its JSON, in UTF-8 bytes. */
  objectBytes: number;
  /** Levels of nesting; the object itself is level 1. */
  objectDepth: number;
}

/**
 * A free-form JSON object a client stores (metadata, adapterConfig): an object, no deeper and no
 * larger than the limits, and holding only valid Unicode (a lone surrogate would be stored as
 * U+FFFD, a different value than the one sent). Every reader of the stored object recurses
 * through it — a 3,000-level one broke `gateway list -o yaml` for everyone — so depth is checked
 * first, by a walk that stops one level past the limit.
 */
export function checkFreeformObject(errors: FieldErrors, path: string, value: unknown, limits: ObjectLimits): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    errors.add(path, 'must be an object');
    return false;
  }
  const found = walkFreeform(value, path, 1, limits.objectDepth);
  if (found !== null) {
    errors.add(found.path, found.message);
    return false;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > limits.objectBytes) {
    errors.add(path, `must be at most ${limits.objectBytes} bytes as JSON (got ${bytes}); raise limits.objectBytes to store more`);
    return false;
  }
  return true;
}

function walkFreeform(value: object, path: string, depth: number, maxDepth: number): { path: string; message: string } | null {
  if (depth > maxDepth) return { path, message: `nests deeper than ${maxDepth} levels (limits.objectDepth)` };
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    if (LONE_SURROGATE.test(key)) return { path: childPath, message: 'the key is not valid Unicode: it holds a lone UTF-16 surrogate' };
    if (typeof child === 'string' && LONE_SURROGATE.test(child)) return { path: childPath, message: 'must be valid Unicode: it holds a lone UTF-16 surrogate' };
    if (child !== null && typeof child === 'object') {
      const found = walkFreeform(child, childPath, depth + 1, maxDepth);
      if (found !== null) return found;
    }
  }
  return null;
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
  const problem = httpUrlProblem(value, { noCredentials: true, noQuery: true, maxLength: URL_MAX });
  if (problem !== null) errors.add(path, problem);
  return problem === null;
}

/** A URL without its trailing slash, so stored URLs compare and join predictably. */
export function canonicalUrl(value: string): string {
  const url = new URL(value);
  return url.toString().replace(/\/+$/, '');
}
