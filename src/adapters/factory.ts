/**
 * Picks the one active adapter from config at startup (the seed's AdapterFactory). There is no
 * fallback: an adapter that cannot be created stops the program with the reason.
 *
 * @example
 * const adapter = await createAdapter(config, { logger });
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importModule } from '../launcher/import-module.js';
import type { AgentgwConfig } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import { SHAPE_SCRUBBER } from '../secrets/scrubber.js';
import type { AdapterContext, AdapterLogger, GatewayAdapter } from './adapter.js';

/** Every method a GatewayAdapter must have; a custom module missing any is refused by name. */
export const ADAPTER_METHODS = [
  'validateConfig',
  'registerGateway',
  'updateGateway',
  'deregisterGateway',
  'getGatewayInfo',
  'checkHealth',
  'getMetrics',
  'deployResource',
  'undeployResource',
  'getResource',
  'listResources',
  'close',
] as const;

export function adapterContext(config: AgentgwConfig, logger: AdapterLogger): AdapterContext {
  const onPremise = config.gateway.adapter.onPremise;
  return {
    logger: scrubbingLogger(logger),
    http: {
      defaultTimeoutMs: onPremise.defaultTimeout,
      healthCheckTimeoutMs: onPremise.healthCheck.timeout,
      retryPolicy: {
        maxAttempts: onPremise.retryPolicy.maxAttempts,
        backoffMultiplier: onPremise.retryPolicy.backoffMultiplier,
        maxBackoffMs: onPremise.retryPolicy.maxBackoff,
      },
      maxResponseBytes: onPremise.maxResponseSize,
    },
    network: { ...config.network },
  };
}

/**
 * Every adapter logs through this: Authorization values and URL userinfo are cut from messages
 * and string fields, whatever an adapter (a custom one too) puts there.
 */
function scrubbingLogger(logger: AdapterLogger): AdapterLogger {
  const fields = (values: Record<string, unknown> | undefined) =>
    values === undefined ? undefined : Object.fromEntries(Object.entries(values).map(([key, value]) => [key, typeof value === 'string' ? SHAPE_SCRUBBER.scrub(value) : value]));
  const level = (write: AdapterLogger['warn']): AdapterLogger['warn'] => (message, values) => write(SHAPE_SCRUBBER.scrub(message), fields(values));
  return { warn: level((m, v) => logger.warn(m, v)), info: level((m, v) => logger.info(m, v)), debug: level((m, v) => logger.debug(m, v)) };
}

export async function createAdapter(config: AgentgwConfig, logger: AdapterLogger, baseDir = process.cwd()): Promise<GatewayAdapter> {
  const context = adapterContext(config, logger);
  const adapter = config.gateway.adapter;
  switch (adapter.type) {
    case 'on-premise': {
      const { OnPremiseAdapter } = await import('./on-premise/on-premise-adapter.js');
      return new OnPremiseAdapter(context);
    }
    case 'cloud': {
      const { CloudAdapter } = await import('./cloud/cloud-adapter.js');
      return new CloudAdapter(adapter.cloud, context);
    }
    case 'custom':
      return loadCustomAdapter(adapter.custom.module, adapter.custom.options, context, baseDir);
  }
}

async function loadCustomAdapter(
  module: string | null,
  options: Record<string, unknown>,
  context: AdapterContext,
  baseDir: string,
): Promise<GatewayAdapter> {
  if (!module) {
    throw new ConfigError('gateway.adapter.custom.module: required when gateway.adapter.type is custom', {
      hint: 'name a file (./my-adapter.js) or a package exporting createAdapter(options, context)',
    });
  }
  const specifier = module.startsWith('.') || isAbsolute(module) ? pathToFileURL(resolve(baseDir, module)).href : module;
  let loaded: { createAdapter?: unknown };
  try {
    loaded = (await importModule(specifier)) as { createAdapter?: unknown };
  } catch (error) {
    throw new ConfigError(`gateway.adapter.custom.module: cannot load "${module}": ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof loaded.createAdapter !== 'function') {
    throw new ConfigError(`gateway.adapter.custom.module: "${module}" does not export a createAdapter(options, context) function`);
  }
  const adapter = (await (loaded.createAdapter as (o: unknown, c: AdapterContext) => unknown)(options, context)) as Partial<GatewayAdapter> | null;
  const missing = ADAPTER_METHODS.filter((method) => typeof adapter?.[method] !== 'function');
  if (adapter === null || typeof adapter !== 'object' || missing.length > 0) {
    throw new ConfigError(`gateway.adapter.custom.module: the adapter from "${module}" lacks ${missing.join(', ')}`, {
      hint: 'a custom adapter implements every method of GatewayAdapter (src/adapters/adapter.ts)',
    });
  }
  // Gateways registered through it are stored as "custom", whatever the module calls itself.
  return Object.assign(adapter as GatewayAdapter, { type: 'custom' as const });
}
