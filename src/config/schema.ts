/**
 * The configuration's keys, types and defaults in one tree: `AgentgwConfig` is derived from it.
 * Each leaf carries its reading (how a value written in a file, the environment or a flag becomes
 * the typed one: "30s" → 30000, "true" → true) and what it holds, so loading walks this tree once
 * and an unknown key, a wrong type or a bad duration is reported with its key path. Durations are
 * held in milliseconds.
 *
 * Plain objects, not TypeBox's: every command loads the config, and TypeBox's builders ran 240
 * functions of its own at each start (of 1,150 in `env list`), for a tree nothing validates with
 * TypeBox (the readings check every value).
 */
import { isIP } from 'node:net';
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

/**
 * What a leaf holds once read: a kind of value, or the strings it may be. The type of the leaf's
 * value is derived from it (HeldBy), and the schema's test checks every value loaded against it.
 */
export type Holds = 'string' | 'string or null' | 'http URL or null' | 'integer' | 'number' | 'boolean' | 'strings' | readonly string[];
export type HeldBy<H extends Holds> = H extends readonly (infer Value)[]
  ? Value
  : H extends 'string'
    ? string
    : H extends 'string or null' | 'http URL or null'
      ? string | null
      : H extends 'integer' | 'number'
        ? number
        : H extends 'boolean'
          ? boolean
          : string[];

export interface ConfigLeaf<H extends Holds = Holds> {
  readonly kind: 'leaf';
  readonly holds: H;
  readonly default: HeldBy<H>;
  readonly reading: LeafReading;
}
/** A branch of named keys. */
export interface ConfigBranch<Children extends Record<string, ConfigNode> = Record<string, ConfigNode>> {
  readonly kind: 'branch';
  readonly children: Children;
}
/** A branch whose keys are free-form (e.g. a custom adapter's own options); {} by default. */
export interface ConfigOpen {
  readonly kind: 'open';
}
export type ConfigNode = ConfigLeaf | ConfigBranch | ConfigOpen;

/** The configuration a node of the tree gives once loaded. */
export type ConfigOf<Node> = Node extends ConfigLeaf<infer H> ? HeldBy<H> : Node extends ConfigBranch<infer Children> ? { [Key in keyof Children]: ConfigOf<Children[Key]> } : Record<string, unknown>;

function leaf<const H extends Holds>(holds: H, check: Check, defaultValue: HeldBy<H>, options: { secret?: boolean; duration?: boolean } = {}): ConfigLeaf<H> {
  return { kind: 'leaf', holds, default: defaultValue, reading: { check, secret: options.secret === true, duration: options.duration === true } };
}
function branch<const Children extends Record<string, ConfigNode>>(children: Children): ConfigBranch<Children> {
  return { kind: 'branch', children };
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

// The leaf kinds, each what it holds paired with the reading that produces it.
const string = (defaultValue: string) => leaf('string', readString, defaultValue);
const optionalString = (options: { secret?: boolean } = {}) => leaf('string or null', readOptionalString, null, options);
const boolean = (defaultValue: boolean) => leaf('boolean', readBoolean, defaultValue);
/** Written "30s", held as milliseconds. */
const duration = (defaultMs: number) => leaf('number', readDuration, defaultMs, { duration: true });
const integer = (minimum: number, maximum: number, defaultValue: number) => leaf('integer', readInteger(minimum, maximum), defaultValue);
const number = (minimum: number, maximum: number, defaultValue: number) => leaf('number', readNumber(minimum, maximum), defaultValue);
const oneOf = <const T extends readonly string[]>(values: T, defaultValue: T[number]) => leaf(values, readOneOf(values), defaultValue as HeldBy<T>);
const httpUrl = () => leaf('http URL or null', readHttpUrl, null);
const stringList = (check: Check) => leaf('strings', check, []);
const open = (): ConfigOpen => ({ kind: 'open' });

export const configSchema = branch({
  database: branch({
    url: leaf('string or null', readDatabaseUrl, null),
    poolSize: integer(1, 100, 10),
    /**
     * PostgreSQL: how long a connection attempt, or a statement, may go unanswered before the
     * request gets a 503 (a database behind a dropped network answers nothing at all).
     */
    timeout: duration(5_000),
  }),
  server: branch({
    /** Remote mode: the daemon the CLI talks to. */
    url: httpUrl(),
    token: optionalString({ secret: true }),
    host: leaf('string', readListenHost, '127.0.0.1'),
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
    auth: branch({
      /** Off by default on loopback; the daemon refuses a non-loopback bind without it. */
      required: boolean(false),
    }),
  }),
  gateway: branch({
    adapter: branch({
      type: oneOf(ADAPTER_TYPES, 'on-premise'),
      onPremise: branch({
        defaultTimeout: duration(30_000),
        retryPolicy: branch({
          maxAttempts: integer(1, 10, 3),
          backoffMultiplier: number(1, 10, 2),
          maxBackoff: duration(30_000),
        }),
        healthCheck: branch({
          interval: duration(30_000),
          timeout: duration(5_000),
          concurrency: integer(1, 10_000, 200),
          unhealthyThreshold: integer(1, 100, 3),
          healthyThreshold: integer(1, 100, 2),
        }),
        maxResponseSize: integer(1024, 256 * 1024 * 1024, 8 * 1024 * 1024),
      }),
      cloud: branch({
        provider: string('wso2-cloud'),
        apiEndpoint: httpUrl(),
        authentication: branch({
          type: oneOf(['oauth2'], 'oauth2'),
          tokenUrl: httpUrl(),
          clientId: optionalString(),
          clientSecret: optionalString({ secret: true }),
        }),
        defaultRegion: string('us-east-1'),
        provisioning: branch({
          timeout: duration(600_000),
          pollInterval: duration(2_000),
        }),
      }),
      custom: branch({
        module: optionalString(),
        options: open(),
      }),
    }),
  }),
  network: branch({
    allow: stringList(readCidrList),
    deny: stringList(readCidrList),
    denyLoopback: boolean(false),
    denyPrivate: boolean(false),
  }),
  limits: branch({
    /** metadata and adapterConfig: their JSON at most this many bytes (UTF-8)… */
    objectBytes: integer(256, 1024 * 1024, 16 * 1024),
    /** …and at most this many levels deep (the object itself is level 1). */
    objectDepth: integer(1, 32, 8),
  }),
  secrets: branch({
    /** 32 bytes, base64: encrypts gateway credentials and cloud secrets at rest. */
    key: optionalString({ secret: true }),
  }),
  logging: branch({
    level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  }),
  dashboard: branch({
    refresh: duration(2_000),
  }),
  events: branch({
    /** How long the event log keeps an event; the daemon prunes older ones. */
    retention: duration(30 * 86_400_000),
    /** How often an idle event stream gets a comment, so proxies and clients see it alive. */
    heartbeat: duration(15_000),
  }),
});

/** The validated configuration. Durations are milliseconds. */
export type AgentgwConfig = ConfigOf<typeof configSchema>;

export function isConfigLeaf(node: ConfigNode): node is ConfigLeaf {
  return node.kind === 'leaf';
}

/** A branch's keys and their nodes; none for an open branch or a leaf. */
export function childrenOf(node: ConfigNode): Record<string, ConfigNode> | null {
  return node.kind === 'branch' ? node.children : null;
}
