/**
 * The configuration's keys, types and defaults in one tree. Loading walks this tree once, so an
 * unknown key, a wrong type or a bad duration is reported with its key path, and every value
 * comes out typed and in canonical units (durations in milliseconds).
 */
import { isIP } from 'node:net';
import { parseDuration } from './duration.js';
import { ADAPTER_TYPES } from '../domain/types.js';

type Check = (value: unknown) => { ok: true; value: unknown } | { ok: false; expected: string };

export interface Leaf {
  kind: 'leaf';
  check: Check;
  default: unknown;
  /** Redacted by `config show` and never logged. */
  secret?: boolean;
  /** Written "30s", held in milliseconds; `config show` prints it as written. */
  duration?: boolean;
}
export interface Branch {
  kind: 'branch';
  children: Record<string, Node>;
  /** Keys below this branch are free-form (e.g. a custom adapter's own options). */
  open?: boolean;
}
type Node = Leaf | Branch;

const leaf = (check: Check, defaultValue: unknown, secret = false): Leaf => ({ kind: 'leaf', check, default: defaultValue, secret });
const branch = (children: Record<string, Node>, open = false): Branch => ({ kind: 'branch', children, open });

const string: Check = (v) => (typeof v === 'string' ? { ok: true, value: v } : { ok: false, expected: 'a string' });
const optionalString: Check = (v) => (v === null || v === undefined || typeof v === 'string' ? { ok: true, value: v ?? null } : { ok: false, expected: 'a string' });
const bool: Check = (v) => {
  if (typeof v === 'boolean') return { ok: true, value: v };
  if (v === 'true' || v === 'false') return { ok: true, value: v === 'true' };
  return { ok: false, expected: 'true or false' };
};
const duration: Check = (v) => {
  const ms = typeof v === 'string' ? parseDuration(v) : null;
  return ms !== null && ms > 0 ? { ok: true, value: ms } : { ok: false, expected: 'a duration like 500ms, 30s or 5m' };
};
const durationLeaf = (defaultMs: number): Leaf => ({ ...leaf(duration, defaultMs), duration: true });
const integer = (min: number, max: number): Check => (v) => {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max
    ? { ok: true, value: n }
    : { ok: false, expected: `a whole number from ${min} to ${max}` };
};
const number = (min: number, max: number): Check => (v) => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max
    ? { ok: true, value: n }
    : { ok: false, expected: `a number from ${min} to ${max}` };
};
const oneOf = (values: readonly string[]): Check => (v) =>
  typeof v === 'string' && values.includes(v) ? { ok: true, value: v } : { ok: false, expected: `one of ${values.join(', ')}` };
const databaseUrl: Check = (v) =>
  v === null || v === undefined
    ? { ok: true, value: null }
    : typeof v === 'string' && /^(postgres(ql)?:\/\/|sqlite:)/.test(v)
      ? { ok: true, value: v }
      : { ok: false, expected: 'a postgres://… or sqlite:PATH URL' };
const httpUrl: Check = (v) => {
  if (v === null || v === undefined) return { ok: true, value: null };
  try {
    const url = new URL(String(v));
    if (url.protocol === 'http:' || url.protocol === 'https:') return { ok: true, value: String(v) };
  } catch {
    // falls through to the error below
  }
  return { ok: false, expected: 'an http:// or https:// URL' };
};
const cidrList: Check = (v) => {
  if (!Array.isArray(v)) return { ok: false, expected: 'a list of CIDRs like 10.0.0.0/8' };
  for (const item of v) {
    const [address, bits, ...rest] = String(item).split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    if (rest.length > 0 || family === 0 || bits === undefined || !/^\d+$/.test(bits) || Number(bits) > max) {
      return { ok: false, expected: `a list of CIDRs like 10.0.0.0/8 (bad entry "${String(item)}")` };
    }
  }
  return { ok: true, value: v.map(String) };
};
/** Host names (or IP addresses) a request's Host header may carry, lower-cased. */
const hostList: Check = (v) => {
  if (!Array.isArray(v)) return { ok: false, expected: 'a list of host names like agentgw.example.com' };
  for (const item of v) {
    const host = String(item);
    if (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) {
      return { ok: false, expected: `a list of host names like agentgw.example.com, without scheme or port (bad entry "${host}")` };
    }
  }
  return { ok: true, value: v.map((item) => String(item).toLowerCase().replace(/\.$/, '')) };
};
const listenHost: Check = (v) =>
  typeof v === 'string' && (isIP(v) !== 0 || v === 'localhost') ? { ok: true, value: v } : { ok: false, expected: 'an IP address to listen on' };

export const configSchema = branch({
  database: branch({
    url: leaf(databaseUrl, null),
    poolSize: leaf(integer(1, 100), 10),
    /**
     * PostgreSQL: how long a connection attempt, or a statement, may go unanswered before the
     * request gets a 503 (a database behind a dropped network answers nothing at all).
     */
    timeout: durationLeaf(5_000),
  }),
  server: branch({
    /** Remote mode: the daemon the CLI talks to. */
    url: leaf(httpUrl, null),
    token: leaf(optionalString, null, true),
    host: leaf(listenHost, '127.0.0.1'),
    port: leaf(integer(0, 65535), 8080),
    bodyLimit: leaf(integer(1024, 64 * 1024 * 1024), 1024 * 1024),
    /** How long a stop (SIGTERM) may take before the daemon exits 1, naming the step that hung. */
    shutdownTimeout: durationLeaf(20_000),
    /** From the first byte of a request to its last; a client that trickles its body is cut. */
    requestTimeout: durationLeaf(30_000),
    /** From the first byte of a request (or of a new connection) to the end of its headers. */
    headersTimeout: durationLeaf(10_000),
    /** How long a connection may idle between requests. */
    keepAliveTimeout: durationLeaf(5_000),
    /** Open connections at most; at the cap one not being served makes room (a request still arriving first, then an idle one). */
    maxConnections: leaf(integer(1, 65_535), 512),
    /** Host names a request may carry besides loopback ones while authentication is off (behind a proxy). */
    allowedHosts: leaf(hostList, []),
    auth: branch({
      /** Off by default on loopback; the daemon refuses a non-loopback bind without it. */
      required: leaf(bool, false),
    }),
  }),
  gateway: branch({
    adapter: branch({
      type: leaf(oneOf(ADAPTER_TYPES), 'on-premise'),
      onPremise: branch({
        defaultTimeout: durationLeaf(30_000),
        retryPolicy: branch({
          maxAttempts: leaf(integer(1, 10), 3),
          backoffMultiplier: leaf(number(1, 10), 2),
          maxBackoff: durationLeaf(30_000),
        }),
        healthCheck: branch({
          interval: durationLeaf(30_000),
          timeout: durationLeaf(5_000),
          concurrency: leaf(integer(1, 10_000), 200),
          unhealthyThreshold: leaf(integer(1, 100), 3),
          healthyThreshold: leaf(integer(1, 100), 2),
        }),
        maxResponseSize: leaf(integer(1024, 256 * 1024 * 1024), 8 * 1024 * 1024),
      }),
      cloud: branch({
        provider: leaf(string, 'wso2-cloud'),
        apiEndpoint: leaf(httpUrl, null),
        authentication: branch({
          type: leaf(oneOf(['oauth2']), 'oauth2'),
          tokenUrl: leaf(httpUrl, null),
          clientId: leaf(optionalString, null),
          clientSecret: leaf(optionalString, null, true),
        }),
        defaultRegion: leaf(string, 'us-east-1'),
        provisioning: branch({
          timeout: durationLeaf(600_000),
          pollInterval: durationLeaf(2_000),
        }),
      }),
      custom: branch({
        module: leaf(optionalString, null),
        options: branch({}, true),
      }),
    }),
  }),
  network: branch({
    allow: leaf(cidrList, []),
    deny: leaf(cidrList, []),
    denyLoopback: leaf(bool, false),
    denyPrivate: leaf(bool, false),
  }),
  limits: branch({
    /** metadata and adapterConfig: their JSON at most this many bytes (UTF-8)… */
    objectBytes: leaf(integer(256, 1024 * 1024), 16 * 1024),
    /** …and at most this many levels deep (the object itself is level 1). */
    objectDepth: leaf(integer(1, 32), 8),
  }),
  secrets: branch({
    /** 32 bytes, base64: encrypts gateway credentials and cloud secrets at rest. */
    key: leaf(optionalString, null, true),
  }),
  logging: branch({
    level: leaf(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  }),
  dashboard: branch({
    refresh: durationLeaf(2_000),
  }),
  events: branch({
    /** How long the event log keeps an event; the daemon prunes older ones. */
    retention: durationLeaf(30 * 86_400_000),
    /** How often an idle event stream gets a comment, so proxies and clients see it alive. */
    heartbeat: durationLeaf(15_000),
  }),
});

export type ConfigNode = Node;
export type ConfigBranch = Branch;
export type ConfigLeaf = Leaf;

/** The validated configuration. Durations are milliseconds. */
export interface AgentgwConfig {
  database: { url: string | null; poolSize: number; timeout: number };
  server: {
    url: string | null;
    token: string | null;
    host: string;
    port: number;
    bodyLimit: number;
    shutdownTimeout: number;
    requestTimeout: number;
    headersTimeout: number;
    keepAliveTimeout: number;
    maxConnections: number;
    allowedHosts: string[];
    auth: { required: boolean };
  };
  gateway: {
    adapter: {
      type: (typeof ADAPTER_TYPES)[number];
      onPremise: {
        defaultTimeout: number;
        retryPolicy: { maxAttempts: number; backoffMultiplier: number; maxBackoff: number };
        healthCheck: { interval: number; timeout: number; concurrency: number; unhealthyThreshold: number; healthyThreshold: number };
        maxResponseSize: number;
      };
      cloud: {
        provider: string;
        apiEndpoint: string | null;
        authentication: { type: 'oauth2'; tokenUrl: string | null; clientId: string | null; clientSecret: string | null };
        defaultRegion: string;
        provisioning: { timeout: number; pollInterval: number };
      };
      custom: { module: string | null; options: Record<string, unknown> };
    };
  };
  network: { allow: string[]; deny: string[]; denyLoopback: boolean; denyPrivate: boolean };
  limits: { objectBytes: number; objectDepth: number };
  secrets: { key: string | null };
  logging: { level: string };
  dashboard: { refresh: number };
  events: { retention: number; heartbeat: number };
}
