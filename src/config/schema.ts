/**
 * The configuration's keys, types and defaults in one TypeBox tree: `AgentgwConfig` is its
 * `Static<>` type. Each leaf also carries its reading (how a value written in a file, the
 * environment or a flag becomes the typed one: "30s" → 30000, "true" → true), so loading walks
 * this tree once and an unknown key, a wrong type or a bad duration is reported with its key path.
 * Durations are held in milliseconds.
 */
import { isIP } from 'node:net';
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { parseDuration } from './duration.js';
import { HTTP_URL_EXPECTED, httpUrlProblem } from '../domain/http-url.js';
import { ADAPTER_TYPES } from '../domain/types.js';

/** Reads one written value ("30s", "true", 8080) into its typed, canonical form, or says what was expected. */
type Check = (value: unknown) => { ok: true; value: unknown } | { ok: false; expected: string };

/** What loading needs beside a leaf's type: how to read a written value, and how to show it. */
export interface LeafReading {
  check: Check;
  /** Redacted by `config show` and never logged. */
  secret: boolean;
  /** Written "30s", held in milliseconds; `config show` prints it as written. */
  duration: boolean;
}
/** Marks a schema as a leaf; a symbol, so the schema stays plain JSON Schema for any other reader. */
export const READING = Symbol('agentgw.config.reading');
export type ConfigLeaf<T extends TSchema = TSchema> = T & { [READING]: LeafReading };

/** A leaf: its TypeBox type (which `AgentgwConfig` is derived from), its reading and its default. */
function leaf<T extends TSchema>(type: T, check: Check, defaultValue: Static<T>, options: { secret?: boolean; duration?: boolean } = {}): ConfigLeaf<T> {
  return { ...type, default: defaultValue, [READING]: { check, secret: options.secret === true, duration: options.duration === true } };
}

const readString: Check = (v) => (typeof v === 'string' ? { ok: true, value: v } : { ok: false, expected: 'a string' });
const readOptionalString: Check = (v) =>
  v === null || v === undefined || typeof v === 'string' ? { ok: true, value: v ?? null } : { ok: false, expected: 'a string' };
const readBoolean: Check = (v) => {
  if (typeof v === 'boolean') return { ok: true, value: v };
  if (v === 'true' || v === 'false') return { ok: true, value: v === 'true' };
  return { ok: false, expected: 'true or false' };
};
const readDuration: Check = (v) => {
  const ms = typeof v === 'string' ? parseDuration(v) : null;
  return ms !== null && ms > 0 ? { ok: true, value: ms } : { ok: false, expected: 'a duration like 500ms, 30s or 5m' };
};
const readInteger = (min: number, max: number): Check => (v) => {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max
    ? { ok: true, value: n }
    : { ok: false, expected: `a whole number from ${min} to ${max}` };
};
const readNumber = (min: number, max: number): Check => (v) => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max
    ? { ok: true, value: n }
    : { ok: false, expected: `a number from ${min} to ${max}` };
};
const readOneOf = (values: readonly string[]): Check => (v) =>
  typeof v === 'string' && values.includes(v) ? { ok: true, value: v } : { ok: false, expected: `one of ${values.join(', ')}` };
const readDatabaseUrl: Check = (v) =>
  v === null || v === undefined
    ? { ok: true, value: null }
    : typeof v === 'string' && /^(postgres(ql)?:\/\/|sqlite:)/.test(v)
      ? { ok: true, value: v }
      : { ok: false, expected: 'a postgres://… or sqlite:PATH URL' };
const readHttpUrl: Check = (v) => {
  if (v === null || v === undefined) return { ok: true, value: null };
  return httpUrlProblem(String(v)) === null ? { ok: true, value: String(v) } : { ok: false, expected: HTTP_URL_EXPECTED };
};
const readCidrList: Check = (v) => {
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
const readHostList: Check = (v) => {
  if (!Array.isArray(v)) return { ok: false, expected: 'a list of host names like agentgw.example.com' };
  for (const item of v) {
    const host = String(item);
    if (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) {
      return { ok: false, expected: `a list of host names like agentgw.example.com, without scheme or port (bad entry "${host}")` };
    }
  }
  return { ok: true, value: v.map((item) => String(item).toLowerCase().replace(/\.$/, '')) };
};
const readListenHost: Check = (v) =>
  typeof v === 'string' && (isIP(v) !== 0 || v === 'localhost') ? { ok: true, value: v } : { ok: false, expected: 'an IP address to listen on' };

// The leaf kinds, each a TypeBox type paired with the reading that produces it.
const string = (defaultValue: string) => leaf(Type.String(), readString, defaultValue);
const optionalString = (options: { secret?: boolean } = {}) => leaf(Type.Union([Type.String(), Type.Null()]), readOptionalString, null, options);
const boolean = (defaultValue: boolean) => leaf(Type.Boolean(), readBoolean, defaultValue);
/** Written "30s", held as milliseconds. */
const duration = (defaultMs: number) => leaf(Type.Number({ exclusiveMinimum: 0 }), readDuration, defaultMs, { duration: true });
const integer = (minimum: number, maximum: number, defaultValue: number) =>
  leaf(Type.Integer({ minimum, maximum }), readInteger(minimum, maximum), defaultValue);
const number = (minimum: number, maximum: number, defaultValue: number) => leaf(Type.Number({ minimum, maximum }), readNumber(minimum, maximum), defaultValue);
const oneOf = <T extends string>(values: readonly T[], defaultValue: T) =>
  leaf(Type.Union(values.map((value) => Type.Literal(value))) as TUnion<TLiteral<T>[]>, readOneOf(values), defaultValue);
const httpUrl = () => leaf(Type.Union([Type.String({ format: 'uri' }), Type.Null()]), readHttpUrl, null);
const stringList = (check: Check) => leaf(Type.Array(Type.String()), check, []);
/** A branch whose keys are free-form (e.g. a custom adapter's own options). */
const open = () => Type.Record(Type.String(), Type.Unknown(), { default: {} });

export const configSchema = Type.Object({
  database: Type.Object({
    url: leaf(Type.Union([Type.String(), Type.Null()]), readDatabaseUrl, null),
    poolSize: integer(1, 100, 10),
    /**
     * PostgreSQL: how long a connection attempt, or a statement, may go unanswered before the
     * request gets a 503 (a database behind a dropped network answers nothing at all).
     */
    timeout: duration(5_000),
  }),
  server: Type.Object({
    /** Remote mode: the daemon the CLI talks to. */
    url: httpUrl(),
    token: optionalString({ secret: true }),
    host: leaf(Type.String(), readListenHost, '127.0.0.1'),
    port: integer(0, 65535, 8080),
    bodyLimit: integer(1024, 64 * 1024 * 1024, 1024 * 1024),
    /** How long a stop (SIGTERM) may take before the daemon exits 1, naming the step that hung. */
    shutdownTimeout: duration(20_000),
    /** From the first byte of a request to its last; a client that trickles its body is cut. */
    requestTimeout: duration(30_000),
    /** From the first byte of a request (or of a new connection) to the end of its headers. */
    headersTimeout: duration(10_000),
    /** How long a connection may idle between requests. */
    keepAliveTimeout: duration(5_000),
    /** Open connections at most; at the cap one not being served makes room (a request still arriving first, then an idle one). */
    maxConnections: integer(1, 65_535, 512),
    /** Host names a request may carry besides loopback ones while authentication is off (behind a proxy). */
    allowedHosts: stringList(readHostList),
    auth: Type.Object({
      /** Off by default on loopback; the daemon refuses a non-loopback bind without it. */
      required: boolean(false),
    }),
  }),
  gateway: Type.Object({
    adapter: Type.Object({
      type: oneOf(ADAPTER_TYPES, 'on-premise'),
      onPremise: Type.Object({
        defaultTimeout: duration(30_000),
        retryPolicy: Type.Object({
          maxAttempts: integer(1, 10, 3),
          backoffMultiplier: number(1, 10, 2),
          maxBackoff: duration(30_000),
        }),
        healthCheck: Type.Object({
          interval: duration(30_000),
          timeout: duration(5_000),
          concurrency: integer(1, 10_000, 200),
          unhealthyThreshold: integer(1, 100, 3),
          healthyThreshold: integer(1, 100, 2),
        }),
        maxResponseSize: integer(1024, 256 * 1024 * 1024, 8 * 1024 * 1024),
      }),
      cloud: Type.Object({
        provider: string('wso2-cloud'),
        apiEndpoint: httpUrl(),
        authentication: Type.Object({
          type: oneOf(['oauth2'], 'oauth2'),
          tokenUrl: httpUrl(),
          clientId: optionalString(),
          clientSecret: optionalString({ secret: true }),
        }),
        defaultRegion: string('us-east-1'),
        provisioning: Type.Object({
          timeout: duration(600_000),
          pollInterval: duration(2_000),
        }),
      }),
      custom: Type.Object({
        module: optionalString(),
        options: open(),
      }),
    }),
  }),
  network: Type.Object({
    allow: stringList(readCidrList),
    deny: stringList(readCidrList),
    denyLoopback: boolean(false),
    denyPrivate: boolean(false),
  }),
  limits: Type.Object({
    /** metadata and adapterConfig: their JSON at most this many bytes (UTF-8)… */
    objectBytes: integer(256, 1024 * 1024, 16 * 1024),
    /** …and at most this many levels deep (the object itself is level 1). */
    objectDepth: integer(1, 32, 8),
  }),
  secrets: Type.Object({
    /** 32 bytes, base64: encrypts gateway credentials and cloud secrets at rest. */
    key: optionalString({ secret: true }),
  }),
  logging: Type.Object({
    level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  }),
  dashboard: Type.Object({
    refresh: duration(2_000),
  }),
  events: Type.Object({
    /** How long the event log keeps an event; the daemon prunes older ones. */
    retention: duration(30 * 86_400_000),
    /** How often an idle event stream gets a comment, so proxies and clients see it alive. */
    heartbeat: duration(15_000),
  }),
});

/** The validated configuration. Durations are milliseconds. */
export type AgentgwConfig = Static<typeof configSchema>;
export type ConfigNode = TSchema;

export function isConfigLeaf(node: TSchema): node is ConfigLeaf {
  return READING in node;
}

/** A branch's keys and their nodes; none for an open branch (a record) or a leaf. */
export function childrenOf(node: TSchema): Record<string, TSchema> | null {
  return isConfigLeaf(node) || node.type !== 'object' || node.properties === undefined ? null : (node.properties as Record<string, TSchema>);
}
