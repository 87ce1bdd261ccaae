/**
 * Runtime checks of simulator settings. They arrive typed from tests but untyped from the control
 * API and the command line, and a typo there (`latency` for `latencyMs`) must fail loudly instead of
 * silently simulating a healthy gateway.
 */
import { isObject } from './validation.js';
import type { BasicCredentials, Faults, SimulatedGatewayOptions, TrafficProfile } from './types.js';

/** A misuse of the simulator; `status` is what the control API answers with. */
export class SimulatorError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}

/** Faults to merge into a gateway's; `null` clears a knob. */
export type FaultPatch = { [K in keyof Faults]?: Faults[K] | null };

const GATEWAY_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;
const FAULT_KEYS = new Set(['latencyMs', 'errorRate', 'down', 'hang', 'unauthorized', 'healthStatus']);
const GATEWAY_KEYS = new Set(['name', 'legacy', 'auth', 'version', 'faults', 'traffic', 'resources']);

export function checkGatewayName(name: unknown): string {
  if (typeof name !== 'string' || !GATEWAY_NAME.test(name)) {
    throw invalid(
      `invalid gateway name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
    );
  }
  return name;
}

/**
 * Validates a partial set of faults. `null` and `undefined` mean "clear this knob", which is how a
 * JSON client turns one off without knowing the others.
 */
export function parseFaultPatch(input: unknown): FaultPatch {
  if (!isObject(input)) throw invalid('faults must be an object');
  const out: FaultPatch = {};
  for (const [key, value] of Object.entries(input)) {
    if (!FAULT_KEYS.has(key)) throw invalid(`unknown fault '${key}' (expected one of ${[...FAULT_KEYS].join(', ')})`);
    if (value === null || value === undefined) {
      out[key as keyof Faults] = null;
      continue;
    }
    switch (key) {
      case 'latencyMs':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid('latencyMs must be a number >= 0');
        break;
      case 'errorRate':
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalid('errorRate must be a number between 0 and 1');
        break;
      case 'healthStatus':
        if (typeof value !== 'string' || value === '') throw invalid('healthStatus must be a non-empty string');
        break;
      default:
        if (typeof value !== 'boolean') throw invalid(`${key} must be a boolean`);
    }
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

function invalid(message: string): SimulatorError {
  return new SimulatorError(400, message);
}

export function applyFaultPatch(current: Faults, patch: FaultPatch): Faults {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as Faults;
}

export function parseTraffic(input: unknown): TrafficProfile {
  if (!isObject(input)) throw invalid('traffic must be an object');
  const { requestsPerSecond, errorRatio, meanLatencyMs } = input;
  const unknown = Object.keys(input).filter((k) => !['requestsPerSecond', 'errorRatio', 'meanLatencyMs'].includes(k));
  if (unknown.length > 0) throw invalid(`unknown traffic field '${unknown[0]}'`);
  if (typeof requestsPerSecond !== 'number' || !Number.isFinite(requestsPerSecond) || requestsPerSecond < 0) {
    throw invalid('traffic.requestsPerSecond must be a number >= 0');
  }
  if (typeof errorRatio !== 'number' || !(errorRatio >= 0 && errorRatio <= 1)) {
    throw invalid('traffic.errorRatio must be a number between 0 and 1');
  }
  if (typeof meanLatencyMs !== 'number' || !Number.isFinite(meanLatencyMs) || meanLatencyMs < 0) {
    throw invalid('traffic.meanLatencyMs must be a number >= 0');
  }
  return { requestsPerSecond, errorRatio, meanLatencyMs };
}

/** Normalises gateway options; resources are checked later, against the gateway's API generation. */
export function parseGatewayOptions(input: unknown): SimulatedGatewayOptions {
  if (!isObject(input)) throw invalid('gateway options must be an object');
  const unknown = Object.keys(input).filter((k) => !GATEWAY_KEYS.has(k));
  if (unknown.length > 0) throw invalid(`unknown gateway option '${unknown[0]}'`);
  const options: SimulatedGatewayOptions = { name: checkGatewayName(input.name) };
  if (input.legacy !== undefined) {
    if (typeof input.legacy !== 'boolean') throw invalid('legacy must be a boolean');
    options.legacy = input.legacy;
  }
  if (input.auth !== undefined) options.auth = parseCredentials(input.auth);
  if (input.version !== undefined) {
    if (typeof input.version !== 'string' || input.version === '') throw invalid('version must be a non-empty string');
    options.version = input.version;
  }
  if (input.faults !== undefined) options.faults = applyFaultPatch({}, parseFaultPatch(input.faults));
  if (input.traffic !== undefined) options.traffic = parseTraffic(input.traffic);
  if (input.resources !== undefined) {
    if (!Array.isArray(input.resources)) throw invalid('resources must be an array of manifests');
    options.resources = input.resources as SimulatedGatewayOptions['resources'];
  }
  return options;
}

function parseCredentials(input: unknown): BasicCredentials {
  if (!isObject(input) || typeof input.username !== 'string' || typeof input.password !== 'string' || input.username === '') {
    throw invalid('auth must be {username, password} with a non-empty username');
  }
  if (input.username.includes(':')) throw invalid("auth.username must not contain ':' (HTTP Basic cannot carry it)");
  return { username: input.username, password: input.password };
}
