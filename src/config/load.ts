/**
 * Loads the configuration from its layers — defaults < user file < project file < environment
 * < flags — and validates it against `schema.ts`. Each value remembers where it came from, so
 * `agentgw config show` can say so and every error names the file and the key path.
 *
 * @example
 * const { config } = await loadConfig({ flags: { 'database.url': 'sqlite:/tmp/a.sqlite' } });
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import { ConfigError } from '../domain/errors.js';
import { interpolateEnv } from './interpolate.js';
import { childrenOf, configSchema, isConfigLeaf, type AgentgwConfig, type ConfigNode } from './schema.js';
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
  /** For every key path set somewhere: the value as it was written ("30s", not 30000). */
  written: Map<string, unknown>;
  /** For key paths whose file value used `${VAR}`: the environment variables it took. */
  variables: Map<string, string[]>;
  files: string[];
}

/** The flag that sets a key path, for errors about a flag's value and for `config show`. */
export const FLAG_OF: Readonly<Record<string, string>> = {
  'database.url': '--database',
  'server.url': '--server',
  'server.token': '--token',
  'server.host': '--host',
  'server.port': '--port',
};

/** One source of values: key path → the value, where it came from, and the variables it took. */
type Layer = Map<string, { value: unknown; origin: string; variables?: string[] }>;

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
  const written = new Map<string, unknown>();
  const variables = new Map<string, string[]>();
  const config = resolveConfig(layers, { origins, written, variables });
  checkRelations(config, origins);
  return { config, origins, written, variables, files };
}

/** Rules between keys, which the tree of single keys cannot state. */
function checkRelations(config: AgentgwConfig, origins: Map<string, string>): void {
  const { headersTimeout, requestTimeout } = config.server;
  if (headersTimeout > requestTimeout) {
    throw new ConfigError(
      `server.headersTimeout (${headersTimeout / 1000} s, ${origins.get('server.headersTimeout')}) must not exceed server.requestTimeout (${requestTimeout / 1000} s, ${origins.get('server.requestTimeout')})`,
      { hint: 'the headers are part of the request: raise server.requestTimeout or lower server.headersTimeout' },
    );
  }
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
    // cosmiconfig parses what it finds; a broken file surfaces here. Parsed again by readConfigFile,
    // it is reported with its line, column and the lines around them.
    const message = (error as Error).message;
    const file = /Error in (.+?): ?\n/.exec(message)?.[1];
    if (file !== undefined) await readConfigFile(file);
    throw new ConfigError(`cannot read the project config: ${firstLine(message)}`);
  }
}

/**
 * A config file's contents. YAML (which JSON is, too) is parsed here, so a mistake is reported
 * as `file:line:column` with the lines around it; JavaScript config files go to cosmiconfig.
 */
async function readConfigFile(path: string): Promise<unknown> {
  if (['.js', '.cjs', '.mjs', '.ts'].includes(extname(path))) {
    const { cosmiconfig } = await import('cosmiconfig');
    try {
      return (await cosmiconfig('agentgw', { cache: false }).load(path))?.config ?? {};
    } catch (error) {
      throw new ConfigError(`${path}: cannot load: ${(error as Error).message}`);
    }
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`);
  }
  const { parseDocument } = await import('yaml');
  const document = parseDocument(text, { prettyErrors: true });
  const problem = document.errors[0];
  if (problem !== undefined) {
    const [line, column] = problem.linePos?.[0] ? [problem.linePos[0].line, problem.linePos[0].col] : [1, 1];
    const reason = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`${path}:${line}:${column}: cannot parse: ${reason}\n${codeFrame(text, line, column)}`);
  }
  const value: unknown = document.toJS();
  if (basename(path) === 'package.json') return (value as { agentgw?: unknown } | null)?.agentgw ?? {};
  return value ?? {};
}

/** The lines up to `line`, numbered, and a caret under `column`, as compilers show a mistake. */
function codeFrame(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - 2);
  const width = String(line).length;
  const shown = lines.slice(first - 1, line).map((content, i) => `${String(first + i).padStart(width)} | ${content}`);
  return [...shown, `${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`].map((l) => `  ${l}`).join('\n');
}

async function fileLayer(path: string, env: NodeJS.ProcessEnv): Promise<Layer> {
  const raw = await readConfigFile(path);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${path}: expected a mapping of keys at the top level`);
  }
  const layer: Layer = new Map();
  flatten(raw as Record<string, unknown>, configSchema.children, '', path, env, layer);
  return layer;
}

function flatten(
  object: Record<string, unknown>,
  children: Record<string, ConfigNode>,
  prefix: string,
  file: string,
  env: NodeJS.ProcessEnv,
  into: Layer,
): void {
  for (const [key, value] of Object.entries(object)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const child = children[key];
    if (child === undefined) {
      const known = Object.keys(children).join(', ');
      throw new ConfigError(`${file}: ${path}: unknown key`, { hint: `known keys here: ${known}` });
    }
    const grandchildren = childrenOf(child);
    if (grandchildren !== null) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new ConfigError(`${file}: ${path}: expected a mapping of keys`);
      }
      flatten(value as Record<string, unknown>, grandchildren, path, file, env, into);
    } else {
      const variables: string[] = [];
      into.set(path, { value: interpolate(value, file, path, env, variables), origin: file, ...(variables.length === 0 ? {} : { variables }) });
    }
  }
}

/** Replaces `${NAME}` and `${NAME:-fallback}` in strings, recursively; `used` collects the variables taken. */
function interpolate(value: unknown, file: string, path: string, env: NodeJS.ProcessEnv, used: string[]): unknown {
  // Every variable the interpolation reads with a value is one the result took.
  const recorded = new Proxy(env, {
    get(target, name) {
      const found = target[name as string];
      if (typeof name === 'string' && found !== undefined && found !== '') used.push(name);
      return found;
    },
  });
  return interpolateEnv(value, recorded, (name, at) => {
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

interface Provenance {
  origins: Map<string, string>;
  written: Map<string, unknown>;
  variables: Map<string, string[]>;
}

/**
 * The configuration, read from the layers against `configSchema`. The walk takes each value from
 * a leaf's own reading (or its default), so the result has the schema's shape: the one place that
 * names it `AgentgwConfig`.
 */
function resolveConfig(layers: Layer[], provenance: Provenance): AgentgwConfig {
  return resolve(configSchema, '', layers, provenance) as AgentgwConfig;
}

function resolve(node: ConfigNode, path: string, layers: Layer[], provenance: Provenance): unknown {
  const children = childrenOf(node);
  if (children !== null) {
    return Object.fromEntries(Object.entries(children).map(([key, child]) => [key, resolve(child, path ? `${path}.${key}` : key, layers, provenance)]));
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const entry = layers[i]!.get(path);
    if (entry === undefined) continue;
    const { value: raw, origin } = entry;
    provenance.origins.set(path, origin);
    provenance.written.set(path, raw);
    if (entry.variables !== undefined) provenance.variables.set(path, entry.variables);
    if (!isConfigLeaf(node)) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${where(origin, path)}: expected a mapping of keys`);
      return raw;
    }
    const reading = node.reading;
    const checked = reading.check(raw);
    if (!checked.ok) {
      throw new ConfigError(`${where(origin, path)}: expected ${checked.expected}, got ${describe(raw, reading.secret)}`);
    }
    return checked.value;
  }
  provenance.origins.set(path, 'default');
  return isConfigLeaf(node) ? node.default : {};
}

/** Where a bad value was written, as the person wrote it: `file: key.path`, `--server`, `AGENTGW_PORT`. */
function where(origin: string, path: string): string {
  if (origin === 'flag') return FLAG_OF[path] ?? path;
  if (origin.startsWith('env ')) return origin.slice('env '.length);
  return `${origin}: ${path}`;
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
export function listConfigKeys(node: ConfigNode = configSchema, path = ''): Array<{ path: string; secret: boolean; duration: boolean }> {
  const children = childrenOf(node);
  if (children === null) {
    const reading = isConfigLeaf(node) ? node.reading : undefined;
    return [{ path, secret: reading?.secret === true, duration: reading?.duration === true }];
  }
  return Object.entries(children).flatMap(([key, child]) => listConfigKeys(child, path ? `${path}.${key}` : key));
}
