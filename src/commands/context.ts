/**
 * What a command runs with: the loaded config, an output, and a Client — local (services in
 * this process) or remote (a daemon) — chosen from the global flags and config.
 */
import type { Client } from '../client/client.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { UsageError } from '../domain/errors.js';
import { createOutput, parseOutputFormat, type Output } from '../output/format.js';
import type { IO } from '../output/io.js';
import type { AdapterLogger } from '../adapters/adapter.js';

export interface GlobalOptions {
  database?: string;
  server?: string;
  token?: string;
  config?: string;
  output?: string;
  color?: boolean;
}

export interface CommandContext {
  loaded: LoadedConfig;
  io: IO;
  output: Output;
  /** Messages for a person: stderr, never stdout. */
  stderr: (line: string) => void;
  client(): Promise<Client>;
  close(): Promise<void>;
}

/** The config the global flags and `env` (the command's environment) give, with the files found. */
export async function loadCommandConfig(globals: GlobalOptions, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  return loadConfig({
    env,
    ...(globals.config === undefined ? {} : { configFile: globals.config }),
    flags: {
      'database.url': globals.database,
      'server.url': globals.server,
      'server.token': globals.token,
    },
  });
}

/** Adapter warnings (e.g. TLS verification off) as lines on the command's stderr. */
export function stderrLogger(io: IO): AdapterLogger {
  return {
    warn: (message) => io.stderr.write(`warning: ${message}\n`),
    info: () => {},
    debug: () => {},
  };
}

export async function createCommandContext(globals: GlobalOptions, io: IO): Promise<CommandContext> {
  if (globals.database !== undefined && globals.server !== undefined) {
    throw new UsageError('--database and --server cannot be used together', {
      hint: '--database runs the command in this process; --server sends it to a running daemon',
    });
  }
  const loaded = await loadCommandConfig(globals, io.env);
  const output = createOutput(parseOutputFormat(globals.output), io, globals.color !== false);
  let client: Client | undefined;
  return {
    loaded,
    io,
    output,
    stderr: output.note,
    async client() {
      client ??= await openClient(loaded, globals, io);
      return client;
    },
    async close() {
      await client?.close();
    },
  };
}

/** `--database` forces local mode; otherwise a configured server means remote mode. */
async function openClient(loaded: LoadedConfig, globals: GlobalOptions, io: IO): Promise<Client> {
  const { config } = loaded;
  if (config.server.url !== null && globals.database === undefined) {
    const { RemoteClient } = await import('../client/remote.js');
    return RemoteClient.connect(config.server.url, config.server.token);
  }
  const [{ openRuntime, configDirOf }, { LocalClient }] = await Promise.all([import('../runtime/runtime.js'), import('../client/local.js')]);
  const configDir = configDirOf(loaded.files);
  const runtime = await openRuntime({ config, logger: stderrLogger(io), migrate: false, ...(configDir === undefined ? {} : { configDir }) });
  return new LocalClient(runtime);
}
