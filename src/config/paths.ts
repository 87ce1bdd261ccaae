import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where agentgw keeps its files, after the XDG base directory spec. `AGENTGW_DATA_DIR` and
 * `AGENTGW_CONFIG_DIR` override them (tests and containers use these).
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENTGW_DATA_DIR) return env.AGENTGW_DATA_DIR;
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'agentgw');
}

export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENTGW_CONFIG_DIR) return env.AGENTGW_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'agentgw');
}

/** The embedded default database: a SQLite file in the data dir. */
export function defaultDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `sqlite:${join(dataDir(env), 'agentgw.sqlite')}`;
}
