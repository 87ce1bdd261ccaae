/** Config loading: layers and precedence, interpolation, durations, and errors naming file and key. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { configSchema, type ConfigNode, type Holds } from '../../../src/config/schema.js';
import { isHttpUrl } from '../../../src/domain/http-url.js';
import { parseDuration } from '../../../src/config/duration.js';
import { ConfigError } from '../../../src/domain/errors.js';

function workspace(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'agentgw-config-'));
  const project = join(root, 'project');
  const user = join(root, 'user');
  mkdirSync(project);
  mkdirSync(user);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(name.startsWith('user:') ? user : project, name.replace(/^user:/, '')), text);
  return { project, user, env: { AGENTGW_CONFIG_DIR: user } as NodeJS.ProcessEnv };
}

describe('loadConfig', () => {
  it('gives the seed’s defaults with no files', async () => {
    const ws = workspace({});
    const { config, origins } = await loadConfig({ cwd: ws.project, env: ws.env });
    expect(config.gateway.adapter.type).toBe('on-premise');
    expect(config.gateway.adapter.onPremise).toMatchObject({
      defaultTimeout: 30_000,
      retryPolicy: { maxAttempts: 3, backoffMultiplier: 2, maxBackoff: 30_000 },
      healthCheck: { interval: 30_000, timeout: 5_000 },
    });
    expect(origins.get('gateway.adapter.type')).toBe('default');
  });

  it('layers flags > env > project file > user file > defaults', async () => {
    const ws = workspace({
      'user:config.yaml': 'gateway:\n  adapter:\n    onPremise:\n      defaultTimeout: 10s\n      healthCheck:\n        interval: 1m\nlogging:\n  level: warn\n',
      'agentgw.config.yaml': 'gateway:\n  adapter:\n    onPremise:\n      defaultTimeout: 20s\nlogging:\n  level: debug\n',
    });
    const { config, origins } = await loadConfig({
      cwd: ws.project,
      env: { ...ws.env, AGENTGW_LOG_LEVEL: 'error', DATABASE_URL: 'sqlite:/tmp/from-env.sqlite' },
      flags: { 'database.url': 'sqlite:/tmp/from-flag.sqlite' },
    });
    expect(config.gateway.adapter.onPremise.healthCheck.interval).toBe(60_000);
    expect(origins.get('gateway.adapter.onPremise.healthCheck.interval')).toBe(join(ws.user, 'config.yaml'));
    expect(config.gateway.adapter.onPremise.defaultTimeout).toBe(20_000);
    expect(config.logging.level).toBe('error');
    expect(origins.get('logging.level')).toBe('env AGENTGW_LOG_LEVEL');
    expect(config.database.url).toBe('sqlite:/tmp/from-flag.sqlite');
    expect(origins.get('database.url')).toBe('flag');
  });

  it('finds the project file up the tree, stopping at the project root (the first package.json)', async () => {
    const ws = workspace({ '.agentgwrc': 'logging:\n  level: debug\n' });
    const nested = join(ws.project, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    const found = await loadConfig({ cwd: nested, env: ws.env });
    expect(found.config.logging.level).toBe('debug');
    expect(found.files).toEqual([join(ws.project, '.agentgwrc')]);

    // A package.json in between is the project root: nothing above it is read.
    writeFileSync(join(ws.project, 'a', 'package.json'), '{"name": "app"}');
    const stopped = await loadConfig({ cwd: nested, env: ws.env });
    expect(stopped.files).toEqual([]);
    expect(stopped.origins.get('logging.level')).toBe('default');

    // …unless it holds an "agentgw" key, which is then the config.
    writeFileSync(join(ws.project, 'a', 'package.json'), '{"name": "app", "agentgw": {"logging": {"level": "error"}}}');
    const fromPackage = await loadConfig({ cwd: nested, env: ws.env });
    expect(fromPackage.config.logging.level).toBe('error');
    expect(fromPackage.files).toEqual([join(ws.project, 'a', 'package.json')]);
  });

  it('reports a broken package.json the search meets, naming it', async () => {
    const ws = workspace({ 'package.json': '{"agentgw": ' });
    const error = await loadConfig({ cwd: ws.project, env: ws.env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(join(ws.project, 'package.json'));
  });

  it('interpolates ${VAR} and ${VAR:-default}', async () => {
    const ws = workspace({
      'agentgw.config.yaml': 'gateway:\n  adapter:\n    type: cloud\n    cloud:\n      apiEndpoint: ${CLOUD_URL:-https://api.example.test/v1}\n      authentication:\n        clientId: ${CLOUD_CLIENT_ID}\n        clientSecret: ${CLOUD_CLIENT_SECRET}\n',
    });
    const { config } = await loadConfig({ cwd: ws.project, env: { ...ws.env, CLOUD_CLIENT_ID: 'id-1', CLOUD_CLIENT_SECRET: 's3cret' } });
    expect(config.gateway.adapter.cloud.apiEndpoint).toBe('https://api.example.test/v1');
    expect(config.gateway.adapter.cloud.authentication).toMatchObject({ clientId: 'id-1', clientSecret: 's3cret' });
  });

  it.each([
    ['a bad duration', 'gateway:\n  adapter:\n    onPremise:\n      healthCheck:\n        timeout: fast\n', 'gateway.adapter.onPremise.healthCheck.timeout: expected a duration'],
    ['an unknown key', 'gateway:\n  adaptr:\n    type: cloud\n', 'gateway.adaptr: unknown key'],
    ['an unknown adapter type', 'gateway:\n  adapter:\n    type: serverless\n', 'gateway.adapter.type: expected one of on-premise, cloud, custom'],
    ['a bad CIDR', 'network:\n  deny: [10.0.0.0/33]\n', 'network.deny: expected a list of CIDRs'],
    ['a bad database URL', 'database:\n  url: mysql://x\n', 'database.url: expected a postgres://'],
    ['a scalar where a mapping belongs', 'gateway: on-premise\n', 'gateway: expected a mapping'],
    ['YAML that does not parse', 'gateway: [\n', 'cannot parse'],
  ])('rejects %s, naming the file and the key path', async (_label, text, message) => {
    const ws = workspace({ 'agentgw.config.yaml': text });
    const error = await loadConfig({ cwd: ws.project, env: ws.env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).message).toContain(join(ws.project, 'agentgw.config.yaml'));
    expect((error as ConfigError).message).toContain(message);
  });

  it('shows where a file does not parse: file, line, column and the lines around them', async () => {
    const ws = workspace({ 'agentgw.config.yaml': 'gateway:\n  adapter:\n    cloud:\n      authentication: { type: oauth2, clientId: ${CLOUD_CLIENT_ID} }\n' });
    const error = (await loadConfig({ cwd: ws.project, env: ws.env }).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    const file = join(ws.project, 'agentgw.config.yaml');
    expect(error.message.split('\n')).toEqual([
      `${file}:4:50: cannot parse: Unexpected flow-map-start at node end`,
      '  2 |   adapter:',
      '  3 |     cloud:',
      '  4 |       authentication: { type: oauth2, clientId: ${CLOUD_CLIENT_ID} }',
      '    |                                                  ^',
    ]);
  });

  it('says a JSON config file’s mistake the same way', async () => {
    const ws = workspace({ '.agentgwrc.json': '{\n  "logging": { "level": "debug", }\n  "server": {}\n}\n' });
    const error = (await loadConfig({ cwd: ws.project, env: ws.env }).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^${join(ws.project, '.agentgwrc.json').replace(/[.]/g, '\\.')}:3:3: cannot parse: `));
    expect(error.message).toContain('  3 |   "server": {}');
  });

  it('names the flag or the environment variable whose value is wrong, not a key path', async () => {
    const flag = await loadConfig({ env: {}, flags: { 'server.url': 'ftp://x' } }).catch((e: unknown) => e);
    expect((flag as ConfigError).message).toBe('--server: expected an http:// or https:// URL, got "ftp://x"');
    const env = await loadConfig({ env: { AGENTGW_PORT: 'eighty' } }).catch((e: unknown) => e);
    expect((env as ConfigError).message).toBe('AGENTGW_PORT: expected a whole number from 0 to 65535, got "eighty"');
  });

  it('gives the hardening defaults: connection timeouts and cap, input limits, database timeout', async () => {
    const ws = workspace({});
    const { config } = await loadConfig({ cwd: ws.project, env: ws.env });
    expect(config.server).toMatchObject({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, maxConnections: 512, allowedHosts: [] });
    expect(config.limits).toEqual({ objectBytes: 16 * 1024, objectDepth: 8 });
    expect(config.database.timeout).toBe(5_000);
  });

  it('reads server.allowedHosts as lower-case names, and refuses a URL or a port in it', async () => {
    const ws = workspace({ 'agentgw.config.yaml': 'server:\n  allowedHosts: [Agentgw.Example.com., 10.0.0.5, "::1"]\n' });
    const { config } = await loadConfig({ cwd: ws.project, env: ws.env });
    expect(config.server.allowedHosts).toEqual(['agentgw.example.com', '10.0.0.5', '::1']);
    for (const bad of ['http://agentgw.example.com', 'agentgw.example.com:8080', '*.example.com']) {
      const error = await loadConfig({ cwd: ws.project, env: ws.env, flags: { 'server.allowedHosts': [bad] } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`bad entry "${bad}"`);
    }
  });

  it('refuses a headers timeout longer than the request timeout, naming both keys and where they came from', async () => {
    const ws = workspace({ 'agentgw.config.yaml': 'server:\n  requestTimeout: 5s\n' });
    const error = await loadConfig({ cwd: ws.project, env: ws.env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `server.headersTimeout (10 s, default) must not exceed server.requestTimeout (5 s, ${join(ws.project, 'agentgw.config.yaml')})`,
    );
  });

  it('never shows a secret’s value in an error', async () => {
    const ws = workspace({ 'agentgw.config.yaml': 'secrets:\n  key: [zebra-canary-1]\n' });
    const error = (await loadConfig({ cwd: ws.project, env: ws.env }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('secrets.key');
    expect(error.message).not.toContain('zebra-canary-1');
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
  ])('%s → %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '30', 's', '3 s', '-1s', 'abc'])('rejects %j', (text) => expect(parseDuration(text)).toBeNull());
});

/** Whether `value` is what a leaf that `holds` it may hold. */
function fits(holds: Holds, value: unknown): boolean {
  if (typeof holds !== 'string') return holds.includes(value as string);
  switch (holds) {
    case 'string':
      return typeof value === 'string';
    case 'string or null':
      return value === null || typeof value === 'string';
    case 'http URL or null':
      return value === null || (typeof value === 'string' && isHttpUrl(value));
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'strings':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

/** The key paths of `config` whose value does not fit what the schema says they hold, and keys it does not have. */
function misfits(node: ConfigNode, config: unknown, path = ''): string[] {
  if (node.kind === 'leaf') return fits(node.holds, config) ? [] : [`${path}: ${JSON.stringify(config)} is not ${JSON.stringify(node.holds)}`];
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [`${path}: not a mapping`];
  if (node.kind === 'open') return [];
  const values = config as Record<string, unknown>;
  const unknown = Object.keys(values).filter((key) => !(key in node.children)).map((key) => `${path}.${key}: not in the schema`);
  return [...unknown, ...Object.entries(node.children).flatMap(([key, child]) => misfits(child, values[key], path ? `${path}.${key}` : key))];
}

describe('the config schema', () => {
  it('is the type of what loading gives: defaults and values read from every layer fit it', async () => {
    const ws = workspace({ 'agentgw.config.yaml': 'server:\n  url: https://agentgw.example.com\n  allowedHosts: [Agentgw.Example.com.]\ngateway:\n  adapter:\n    custom:\n      options: { depth: { a: 1 } }\n' });
    const defaults = await loadConfig({ cwd: mkdtempSync(join(tmpdir(), 'agentgw-config-')), env: { AGENTGW_CONFIG_DIR: ws.user } });
    const loaded = await loadConfig({ cwd: ws.project, env: { ...ws.env, AGENTGW_PORT: '9000' }, flags: { 'server.requestTimeout': '45s', 'network.denyPrivate': 'true' } });
    for (const { config } of [defaults, loaded]) expect(misfits(configSchema, config)).toEqual([]);
    expect(loaded.config.server).toMatchObject({ port: 9000, requestTimeout: 45_000, allowedHosts: ['agentgw.example.com'] });
  });

  it('tells a value that does not fit from one that does', () => {
    expect(misfits(configSchema, { server: 1 })).toContain('server: not a mapping');
    const leafOf = (holds: Holds) => ({ kind: 'leaf', holds, default: null, reading: { check: () => ({ ok: true, value: null }), secret: false, duration: false } }) as ConfigNode;
    expect(misfits(leafOf('integer'), 1.5)).toHaveLength(1);
    expect(misfits(leafOf('http URL or null'), 'ftp://x')).toHaveLength(1);
    expect(misfits(leafOf(['a', 'b']), 'c')).toHaveLength(1);
    expect(misfits(leafOf('strings'), ['a', 1])).toHaveLength(1);
    expect(misfits(leafOf('string or null'), null)).toEqual([]);
  });
});
