/**
 * Loads the configuration from its layers — defaults < user file < project file < environment
 * < flags — and validates it against `schema.ts`. Each value remembers where it came from, so
 * `agentgw config show` can say so and every error names the file and the key path.
 *
 * @example
 * const { config } = await loadConfig({ flags: { 'database.url': 'sqlite:/tmp/a.sqlite' } });
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { ConfigError } from '../domain/errors.js';
import { interpolateEnv } from './interpolate.js';
import { configSchema, type AgentgwConfig, type ConfigBranch, type ConfigNode } from './schema.js';
import { userConfigDir } from './paths.js';

/** Environment variables and the key each one sets; earlier names win over later ones. */
export const ENVIRONMENT_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['AGENTGW_DATABASE_URL', 'database.url'],
  ['DATABASE_URL', 'database.url'],
  ['AGENTGW_SERVER', 'server.url'],
  ['AGENTGW_TOKEN', 'server.token'],
  ['AGENTGW_HOST', 'server.host'],
  ['AGENTGW_PORT', 'server.port'],
  ['AGENTGW_ADAPTER', 'gateway.adapter.type'],
  ['AGENTGW_SECRET_KEY', 'secrets.key'],
  ['AGENTGW_LOG_LEVEL', 'logging.level'],
];

const PROJECT_FILES = [
  'package.json',
  'agentgw.config.yaml',
  'agentgw.config.yml',
  'agentgw.config.json',
  '.agentgwrc',
  '.agentgwrc.yaml',
  '.agentgwrc.yml',
  '.agentgwrc.json',
];
const USER_FILES = ['config.yaml', 'config.yml', 'config.json'];

export interface LoadConfigOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** An explicit file (`--config`), instead of searching the project. */
  configFile?: string;
  /** Values from command-line flags, by key path. Undefined entries are ignored. */
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: AgentgwConfig;
  /** For every key path: "default", a file path, "env NAME" or "flag". */
  origins: Map<string, string>;
  files: string[];
}

/** One source of values: key path → the value and where it came from. */
type Layer = Map<string, { value: unknown; origin: string }>;

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const layers: Layer[] = [];
  const files: string[] = [];

  const userFile = USER_FILES.map((name) => join(userConfigDir(env), name)).find((path) => existsSync(path));
  if (userFile) {
    layers.push(await fileLayer(userFile, env));
    files.push(userFile);
  }
  const projectFile = options.configFile ?? env.AGENTGW_CONFIG ?? (await findProjectFile(cwd));
  if (projectFile) {
    if (!existsSync(projectFile)) throw new ConfigError(`config file ${projectFile} does not exist`);
    layers.push(await fileLayer(projectFile, env));
    files.push(projectFile);
  }
  layers.push(environmentLayer(env));
  const flagLayer: Layer = new Map();
  for (const [path, value] of Object.entries(options.flags ?? {})) if (value !== undefined) flagLayer.set(path, { value, origin: 'flag' });
  layers.push(flagLayer);

  const origins = new Map<string, string>();
  const config = resolve(configSchema, '', layers, origins) as unknown as AgentgwConfig;
  return { config, origins, files };
}

/**
 * False when no project file can be found from `cwd` by the walk cosmiconfig's 'project' search
 * makes (up to the first directory holding a package.json or package.yaml): loading cosmiconfig
 * and its parsers is a fifth of a command's start, and most commands run where there is no
 * agentgw config at all. True whenever cosmiconfig might find something (a package.json counts
 * only with an "agentgw" key; a broken one, or a cosmiconfig meta config, is left to it).
 */
function mayHaveProjectFile(cwd: string): boolean {
  const start = resolvePath(cwd);
  if (existsSync(join(start, '.config'))) return true;
  for (let dir = start; ; dir = dirname(dir)) {
    for (const name of PROJECT_FILES) {
      const path = join(dir, name);
      if (existsSync(path) && (name !== 'package.json' || packageJsonMayConfigure(path))) return true;
    }
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'package.yaml')) || dirname(dir) === dir) return false;
  }
}

function packageJsonMayConfigure(path: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed === null || typeof parsed !== 'object' || 'agentgw' in parsed;
  } catch {
    return true;
  }
}

async function findProjectFile(cwd: string): Promise<string | undefined> {
  if (!mayHaveProjectFile(cwd)) return undefined;
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('agentgw', { searchPlaces: PROJECT_FILES, searchStrategy: 'project', cache: false });
  try {
    const found = await explorer.search(cwd);
    return found?.filepath;
  } catch (error) {
    // cosmiconfig parses what it finds; a broken file surfaces here.
    const message = (error as Error).message;
    const parsed = /Error in (.+?):\n(.+)/.exec(message);
    throw new ConfigError(parsed ? `${parsed[1]}: cannot parse: ${parsed[2]}` : `cannot read the project config: ${firstLine(message)}`);
  }
}

async function fileLayer(path: string, env: NodeJS.ProcessEnv): Promise<Layer> {
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig('agentgw', { cache: false });
  let raw: unknown;
  try {
    raw = (await explorer.load(path))?.config ?? {};
  } catch (error) {
    throw new ConfigError(`${path}: cannot parse: ${firstLine((error as Error).message)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${path}: expected a mapping of keys at the top level`);
  }
  const layer: Layer = new Map();
  flatten(raw as Record<string, unknown>, configSchema, '', path, env, layer);
  return layer;
}

function flatten(
  object: Record<string, unknown>,
  node: ConfigBranch,
  prefix: string,
  file: string,
  env: NodeJS.ProcessEnv,
  into: Layer,
): void {
  for (const [key, value] of Object.entries(object)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const child = node.children[key];
    if (child === undefined) {
      const known = Object.keys(node.children).join(', ');
      throw new ConfigError(`${file}: ${path}: unknown key`, { hint: `known keys here: ${known}` });
    }
    if (child.kind === 'branch' && !child.open) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ConfigError(`${file}: ${path}: expected a mapping of keys`);
      }
      flatten(value as Record<string, unknown>, child, path, file, env, into);
    } else {
      into.set(path, { value: interpolate(value, file, path, env), origin: file });
    }
  }
}

/** Replaces `${NAME}` and `${NAME:-fallback}` in strings, recursively. */
function interpolate(value: unknown, file: string, path: string, env: NodeJS.ProcessEnv): unknown {
  return interpolateEnv(value, env, (name, at) => {
    const where = [path, ...at.filter((key) => typeof key === 'string')].join('.');
    return new ConfigError(`${file}: ${where}: environment variable ${name} is not set`, {
      hint: `export ${name}=… or write \${${name}:-default}`,
    });
  });
}

function environmentLayer(env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = new Map();
  for (const [name, path] of ENVIRONMENT_KEYS) {
    const value = env[name];
    if (value !== undefined && value !== '' && !layer.has(path)) layer.set(path, { value, origin: `env ${name}` });
  }
  return layer;
}

function resolve(node: ConfigNode, path: string, layers: Layer[], origins: Map<string, string>): unknown {
  if (node.kind === 'branch' && !node.open) {
    return Object.fromEntries(
      Object.entries(node.children).map(([key, child]) => [key, resolve(child, path ? `${path}.${key}` : key, layers, origins)]),
    );
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const entry = layers[i]!.get(path);
    if (entry === undefined) continue;
    const { value: raw, origin } = entry;
    origins.set(path, origin);
    if (node.kind === 'branch') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${origin}: ${path}: expected a mapping of keys`);
      return raw;
    }
    const checked = node.check(raw);
    if (!checked.ok) {
      throw new ConfigError(`${origin}: ${path}: expected ${checked.expected}, got ${describe(raw, node.secret === true)}`);
    }
    return checked.value;
  }
  origins.set(path, 'default');
  return node.kind === 'branch' ? {} : node.default;
}

function describe(value: unknown, secret: boolean): string {
  if (secret) return 'a value that does not fit (hidden: it is a secret)';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** Every key path and its leaf, for `config show`. */
export function listConfigKeys(node: ConfigNode = configSchema, path = ''): Array<{ path: string; secret: boolean }> {
  if (node.kind === 'leaf' || node.open) return [{ path, secret: node.kind === 'leaf' && node.secret === true }];
  return Object.entries(node.children).flatMap(([key, child]) => listConfigKeys(child, path ? `${path}.${key}` : key));
}
