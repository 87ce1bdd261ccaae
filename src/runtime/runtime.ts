/**
 * Assembles what the services run on — store (migrated), the one active adapter, the secret box,
 * the clock — from a loaded config. The CLI's local mode and the daemon both start here, so they
 * run the same code against the same adapter factory.
 */
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { createAdapter } from '../adapters/factory.js';
import type { AdapterLogger, GatewayAdapter } from '../adapters/adapter.js';
import { defaultDatabaseUrl } from '../config/paths.js';
import type { AgentgwConfig } from '../config/schema.js';
import { AgentgwError } from '../domain/errors.js';
import { lazySecretBox } from '../secrets/key-source.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { ServiceContext, ServiceDependencies } from '../services/context.js';
import { openStore, type Store } from '../store/database.js';
import { migrateToLatest, pendingMigrations } from '../store/migrator.js';
import { noteOneOffWork } from './one-off-work.js';
import { DEFAULT_ORGANIZATION_UUID } from '../../migrations/index.js';

export interface Runtime {
  deps: ServiceDependencies;
  store: Store;
  adapter: GatewayAdapter;
  /**
   * Services scoped to one organization (the default one unless a token says otherwise), acting
   * for `actor` (the token's name in the daemon; the OS user in-process).
   */
  context(organizationId?: string, actor?: string): ServiceContext;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  config: AgentgwConfig;
  logger: AdapterLogger;
  /** Apply pending migrations instead of refusing to run on an old schema. */
  migrate: boolean;
  /** Where a relative custom adapter module is resolved from. */
  configDir?: string;
  clock?: () => Date;
}

export async function openRuntime(options: OpenRuntimeOptions): Promise<Runtime> {
  const { config, logger } = options;
  const url = config.database.url ?? defaultDatabaseUrl();
  const store = await openStore(url, { poolSize: config.database.poolSize, timeoutMs: config.database.timeout });
  try {
    const secrets = lazySecretBox({
      configuredKey: config.secrets.key,
      sqlitePath: store.sqlitePath,
      warn: (message) => logger.warn(message),
    });
    await prepareSchema(store, options.migrate || store.dialect === 'sqlite', secrets);
    const adapter = await createAdapter(config, logger, options.configDir ?? process.cwd());
    const deps: ServiceDependencies = {
      store,
      adapter,
      secrets,
      clock: options.clock ?? (() => new Date()),
      health: {
        unhealthyThreshold: config.gateway.adapter.onPremise.healthCheck.unhealthyThreshold,
        healthyThreshold: config.gateway.adapter.onPremise.healthCheck.healthyThreshold,
        timeoutMs: config.gateway.adapter.onPremise.healthCheck.timeout,
      },
      limits: config.limits,
      logger,
      // Loaded on first use: the policy and ipaddr.js cost every other command nothing.
      refusedDestination: async (url) => {
        const { createEgressPolicy } = await import('../adapters/http/egress-policy.js');
        try {
          createEgressPolicy(config.network).checkUrl(url);
          return null;
        } catch (error) {
          return (error as Error).message;
        }
      },
    };
    return {
      deps,
      store,
      adapter,
      context: (organizationId = DEFAULT_ORGANIZATION_UUID, actor = localActor()) => ({ ...deps, organizationId, actor }),
      async close() {
        await adapter.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}

/**
 * The embedded SQLite store migrates itself on first use. A PostgreSQL store is shared, so the
 * CLI does not change its schema behind an operator's back: `agentgw migrate up` (or `serve`) does.
 */
async function prepareSchema(store: Store, migrate: boolean, secrets: () => SecretBox): Promise<void> {
  if (migrate) {
    const applied = await migrateToLatest(store, undefined, { secrets });
    if (applied.length > 0) noteOneOffWork();
    return;
  }
  const pending = await pendingMigrations(store);
  if (pending.length > 0) {
    throw new AgentgwError('AGW_SCHEMA_PENDING', `the database at ${store.displayUrl} has ${pending.length} pending migration(s): ${pending.join(', ')}`, {
      hint: `run: agentgw migrate up --database '${store.displayUrl}'`,
    });
  }
}

export function configDirOf(files: string[]): string | undefined {
  const last = files.at(-1);
  return last === undefined ? undefined : dirname(last);
}

/** The actor of changes made in-process: the OS user running the CLI. */
export function localActor(): string {
  // Asked for by every service a command creates; the user does not change while it runs.
  return (osUser ??= currentUser());
}

let osUser: string | undefined;

function currentUser(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    // No passwd entry (a container's arbitrary uid).
    return `local:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
