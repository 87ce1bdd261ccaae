/** `agentgw gateway …`: gateways, their environments, health and metrics. */
import { readFile } from 'node:fs/promises';
import { AgentgwError, ExitCode, UsageError } from '../domain/errors.js';
import { formatDuration } from '../config/duration.js';
import type { Environment, Gateway, GatewayHealth, GatewayMetricsReport } from '../domain/types.js';
import type { RegisterGatewayInput } from '../client/client.js';
import { hasDeployments } from '../domain/refusals.js';
import { parseGatewayStatus, parseGatewayType } from '../domain/validation.js';
import { when } from '../output/age.js';
import { fieldLines, printDocument, printList, printResource, type Column } from '../output/format.js';
import { canPrompt, type IO } from '../output/io.js';
import { confirm } from '../output/prompt.js';
import { startSpinner } from '../output/spinner.js';
import type { GlobalOptions } from './context.js';
import { GATEWAY_COLUMNS, GATEWAY_FIELDS, noGatewaysFound } from './gateway-columns.js';
import { readPassword, withContext } from './run.js';

interface ConnectionFlags {
  controlPlaneUrl?: string;
  adminUrl?: string;
  metricsUrl?: string;
  endpoint?: string;
  apiBasePath?: string;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  insecureSkipVerify?: boolean;
  region?: string;
  tier?: string;
  minInstances?: string;
  maxInstances?: string;
  set?: string[];
}

interface RegisterFlags extends ConnectionFlags {
  type: string;
  env?: string[];
  displayName?: string;
  wait?: boolean;
  allowDuplicateUrl?: boolean;
}

/** The adapterConfig the flags describe; files are read here so the daemon never reads paths. */
async function adapterConfigFrom(flags: ConnectionFlags, io: IO): Promise<Record<string, unknown>> {
  if (flags.password !== undefined && flags.passwordStdin) throw new UsageError('use --password or --password-stdin, not both');
  const config: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) config[key] = value;
  };
  set('controlPlaneUrl', flags.controlPlaneUrl);
  set('adminUrl', flags.adminUrl);
  set('metricsUrl', flags.metricsUrl);
  set('endpoint', flags.endpoint);
  set('apiBasePath', flags.apiBasePath);
  set('username', flags.username);
  set('password', flags.passwordStdin ? await readPassword(io, '--password-stdin') : flags.password);
  set('caCert', flags.caCert === undefined ? undefined : await readPem(flags.caCert, '--ca-cert'));
  set('clientCert', flags.clientCert === undefined ? undefined : await readPem(flags.clientCert, '--client-cert'));
  set('clientKey', flags.clientKey === undefined ? undefined : await readPem(flags.clientKey, '--client-key'));
  if (flags.insecureSkipVerify) config.insecureSkipVerify = true;
  set('region', flags.region);
  set('tier', flags.tier);
  if (flags.minInstances !== undefined || flags.maxInstances !== undefined) {
    config.autoScaling = {
      ...(flags.minInstances === undefined ? {} : { minInstances: wholeNumber(flags.minInstances, '--min-instances') }),
      ...(flags.maxInstances === undefined ? {} : { maxInstances: wholeNumber(flags.maxInstances, '--max-instances') }),
    };
  }
  for (const pair of flags.set ?? []) {
    const index = pair.indexOf('=');
    if (index <= 0) throw new UsageError(`--set "${pair}": expected key=value`);
    config[pair.slice(0, index)] = pair.slice(index + 1);
  }
  return config;
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: expected a whole number, got "${value}"`);
  return Number(value);
}

export async function registerGateway(globals: GlobalOptions, name: string, flags: RegisterFlags): Promise<void> {
  await withContext(globals, async (context) => {
    const client = await context.client();
    const input: RegisterGatewayInput = {
      name,
      gatewayType: parseGatewayType(flags.type, '--type'),
      environmentIds: flags.env ?? [],
      adapterConfig: await adapterConfigFrom(flags, context.io),
      ...(flags.displayName === undefined ? {} : { displayName: flags.displayName }),
      ...(flags.allowDuplicateUrl ? { allowDuplicateUrl: true } : {}),
    };
    const checking = `registering ${name}: checking the gateway…`;
    let spinner = await startSpinner(context.io, checking);
    try {
      let gateway: Gateway;
      try {
        gateway = await client.gateways.register(input);
      } catch (error) {
        // The same controller under a second name: a person is warned and asked; a script needs the flag.
        if (!(error instanceof AgentgwError) || error.code !== 'AGW_DUPLICATE_URL' || !canPrompt(context.io)) throw error;
        spinner.stop();
        context.stderr(`warning: ${error.message}; two registrations of one controller report each other’s resources as unexpected drift`);
        await confirm(context.io, `register "${name}" as another name for the same controller?`);
        spinner = await startSpinner(context.io, checking);
        gateway = await client.gateways.register({ ...input, allowDuplicateUrl: true });
      }
      if (gateway.status === 'PROVISIONING' && flags.wait !== false) {
        spinner.text(`provisioning ${name}…`);
        const { timeout, pollInterval } = context.loaded.config.gateway.adapter.cloud.provisioning;
        const uuid = gateway.uuid;
        gateway = await waitWhileProvisioning(name, () => client.gateways.health(uuid).then(() => client.gateways.get(uuid)), timeout, pollInterval);
      }
      spinner.stop();
      await printResource(context.output, gateway, GATEWAY_FIELDS);
    } finally {
      spinner.stop();
    }
  });
}

/** Polls a provisioning gateway (each poll is a recorded health check) until it settles or the deadline passes. */
async function waitWhileProvisioning<T extends { status: string }>(name: string, poll: () => Promise<T>, timeoutMs: number, intervalMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await poll();
    if (current.status !== 'PROVISIONING') return current;
    if (Date.now() + intervalMs > deadline) {
      throw new AgentgwError('AGW_PROVISIONING_TIMEOUT', 504, ExitCode.failure, `gateway "${name}" is still provisioning after ${formatDuration(timeoutMs)}`, {
        hint: `it stays registered as PROVISIONING and the monitor keeps following it; check it with: agentgw gateway get ${name}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function listGateways(globals: GlobalOptions, flags: { env?: string; type?: string; status?: string; watch?: boolean }): Promise<void> {
  await withContext(globals, async (context) => {
    const filter = {
      ...(flags.env === undefined ? {} : { environment: flags.env }),
      ...(flags.type === undefined ? {} : { type: parseGatewayType(flags.type, '--type') }),
      ...(flags.status === undefined ? {} : { status: parseGatewayStatus(flags.status, '--status') }),
    };
    if (flags.watch) return (await import('./gateway-watch.js')).watchGatewayList(context, filter);
    const gateways = await (await context.client()).gateways.list(filter);
    await printList(context.output, gateways, GATEWAY_COLUMNS, { gateways }, { empty: noGatewaysFound(filter) });
  });
}

export async function getGateway(globals: GlobalOptions, ref: string): Promise<void> {
  await withContext(globals, async (context) => {
    await printResource(context.output, await (await context.client()).gateways.get(ref), GATEWAY_FIELDS);
  });
}

export async function updateGateway(globals: GlobalOptions, ref: string, flags: ConnectionFlags & { displayName?: string }): Promise<void> {
  await withContext(globals, async (context) => {
    const adapterConfig = await adapterConfigFrom(flags, context.io);
    if (flags.displayName === undefined && Object.keys(adapterConfig).length === 0) {
      throw new UsageError('nothing to update', { hint: 'pass --display-name, --control-plane-url, --password-stdin, …' });
    }
    const updated = await (await context.client()).gateways.update(ref, {
      ...(flags.displayName === undefined ? {} : { displayName: flags.displayName }),
      ...(Object.keys(adapterConfig).length === 0 ? {} : { adapterConfig }),
    });
    await printResource(context.output, updated, GATEWAY_FIELDS);
  });
}

export async function deleteGateway(globals: GlobalOptions, ref: string, flags: { yes?: boolean; drain?: boolean }): Promise<void> {
  await withContext(globals, async (context) => {
    const client = await context.client();
    const gateway = await client.gateways.get(ref);
    if (!flags.drain) {
      // Refused before asking. FAILED deployments are left to the delete, which asks the gateway whether it holds them.
      const blocking = (await client.deployments.list({ gateway: gateway.uuid })).filter((d) => d.status !== 'UNDEPLOYED' && d.status !== 'FAILED');
      if (blocking.length > 0) throw hasDeployments('gateway', gateway.name, blocking);
    }
    await confirm(context.io, `decommission gateway "${gateway.name}"${flags.drain ? ', undeploying everything from it first' : ''}?`, { yes: flags.yes });
    await client.gateways.delete(gateway.uuid, { drain: flags.drain === true });
    context.stderr(`gateway "${gateway.name}" ${flags.drain ? 'drained and ' : ''}deleted`);
  });
}

export async function gatewayHealth(globals: GlobalOptions, ref: string, flags: { history?: boolean; watch?: boolean } = {}): Promise<void> {
  await withContext(globals, async (context) => {
    if (flags.history && flags.watch) throw new UsageError('use --history or --watch, not both');
    if (flags.history) return (await import('./gateway-watch.js')).printHealthHistory(context, await context.client(), ref);
    if (flags.watch) return (await import('./gateway-watch.js')).watchGatewayHealth(context, ref);
    const health: GatewayHealth = await (await context.client()).gateways.health(ref);
    await printDocument(context.output, health, () =>
      fieldLines(context.output, [
        ['Status', health.status, true],
        ['Response time', health.responseTime ?? '-'],
        ['Last heartbeat', when(health.lastHeartbeat)],
        ['Checked', when(health.checkedAt)],
        ...(health.errorMessage === null ? [] : [['Error', `${health.errorMessage}${health.errorClass ? ` (${health.errorClass})` : ''}`] as [string, string]]),
      ]),
    );
  });
}

export async function gatewayMetrics(globals: GlobalOptions, ref: string): Promise<void> {
  await withContext(globals, async (context) => {
    const metrics: GatewayMetricsReport = await (await context.client()).gateways.metrics(ref);
    const show = (field: keyof GatewayMetricsReport & string, value: unknown) =>
      value === null ? `- (${metrics.unavailable[field] ?? metrics.unavailable[field.replace(/Ms$/, '')] ?? 'unavailable'})` : String(value);
    await printDocument(context.output, metrics, () =>
      fieldLines(context.output, [
        ['Resources', show('resourceCount', metrics.resourceCount)],
        ['Providers', show('providerCount', metrics.providerCount)],
        ['Proxies', show('proxyCount', metrics.proxyCount)],
        ['MCP proxies', show('mcpCount', metrics.mcpCount)],
        ['Request rate', show('requestRate', metrics.requestRate === null ? null : `${metrics.requestRate}/s`)],
        ['Error rate', show('errorRate', metrics.errorRate === null ? null : `${metrics.errorRate}%`)],
        ['Avg latency', show('averageLatency', metrics.averageLatency)],
        ['Measured', when(metrics.timestamp)],
      ]),
    );
  });
}

const ENVIRONMENT_COLUMNS: Column<Environment>[] = [
  { header: 'NAME', value: (e) => e.name, identifier: true },
  { header: 'DISPLAY NAME', value: (e) => e.displayName, text: true },
  { header: 'UUID', value: (e) => e.uuid, wide: true },
];

export async function addGatewayEnvironment(globals: GlobalOptions, ref: string, environment: string): Promise<void> {
  await withContext(globals, async (context) => {
    await (await context.client()).gateways.addEnvironment(ref, environment);
    context.stderr(`gateway "${ref}" is in environment "${environment}"`);
  });
}

export async function removeGatewayEnvironment(globals: GlobalOptions, ref: string, environment: string): Promise<void> {
  await withContext(globals, async (context) => {
    await (await context.client()).gateways.removeEnvironment(ref, environment);
    context.stderr(`gateway "${ref}" removed from environment "${environment}"`);
  });
}

export async function listGatewayEnvironments(globals: GlobalOptions, ref: string): Promise<void> {
  await withContext(globals, async (context) => {
    const environments = await (await context.client()).gateways.environments(ref);
    await printList(context.output, environments, ENVIRONMENT_COLUMNS, { environments }, { empty: `Gateway ${ref} is in no environment. Add it to one with: agentgw gateway env add ${ref} ENV` });
  });
}
