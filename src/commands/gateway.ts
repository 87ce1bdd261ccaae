/** `agentgw gateway …`: gateways, their environments, health and metrics. */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, RegisterGatewayInput } from '../client/client.js';
import { AgentgwError, ExitCode, GatewayError, UnhealthyGatewayError, UsageError } from '../domain/errors.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import type { Environment, Gateway, GatewayHealth, GatewayMetricsReport } from '../domain/types.js';
import { hasDeployments } from '../domain/refusals.js';
import { parseGatewayStatus, parseGatewayType } from '../domain/validation.js';
import { when } from '../output/age.js';
import { fieldLines, printDocument, printList, printResource, type Column } from '../output/format.js';
import { canPrompt, type IO } from '../output/io.js';
import { confirm } from '../output/prompt.js';
import { startSpinner } from '../output/spinner.js';
import type { GlobalOptions } from './context.js';
import { GATEWAY_FIELDS } from './gateway-columns.js';
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
  keepFailed?: boolean;
  allowDuplicateUrl?: boolean;
}

/** How `gateway health --wait` waits by default, and how often it checks meanwhile. */
const HEALTH_WAIT_DEFAULT_MS = 120_000;
const HEALTH_WAIT_POLL_MS = 2_000;

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
  if (flags.keepFailed && flags.wait === false) throw new UsageError('--keep-failed needs the wait for provisioning: drop --no-wait');
  await withContext(globals, async (context) => {
    const client = await context.client();
    const { timeout, pollInterval } = context.loaded.config.gateway.adapter.cloud.provisioning;
    const input: RegisterGatewayInput = {
      name,
      gatewayType: parseGatewayType(flags.type, '--type'),
      environmentIds: flags.env ?? [],
      adapterConfig: await adapterConfigFrom(flags, context.io),
      ...(flags.displayName === undefined ? {} : { displayName: flags.displayName }),
      ...(flags.allowDuplicateUrl ? { allowDuplicateUrl: true } : {}),
    };
    // A cloud gateway still provisioning is waited for until ACTIVE or failed; a failed one is
    // released and forgotten unless --keep-failed (the failure is an error either way).
    const options = flags.wait === false ? {} : { waitMs: timeout, pollIntervalMs: pollInterval, keepFailed: flags.keepFailed === true };
    const checking = `registering ${name}: checking the gateway (a cloud gateway is waited for while it is provisioned)…`;
    let spinner = await startSpinner(context.io, checking);
    try {
      let gateway: Gateway;
      try {
        gateway = await client.gateways.register(input, options);
      } catch (error) {
        // The same controller under a second name: a person is warned and asked; a script needs the flag.
        if (!(error instanceof AgentgwError) || error.code !== 'AGW_DUPLICATE_URL' || !canPrompt(context.io)) throw error;
        spinner.stop();
        context.stderr(`warning: ${error.message}; two registrations of one controller report each other’s resources as unexpected drift`);
        await confirm(context.io, `register "${name}" as another name for the same controller?`);
        spinner = await startSpinner(context.io, checking);
        gateway = await client.gateways.register({ ...input, allowDuplicateUrl: true }, options);
      }
      if (gateway.status === 'PROVISIONING' && flags.wait !== false) {
        throw new GatewayError('AGW_PROVISIONING_TIMEOUT', `gateway "${name}" is still provisioning after ${formatDuration(timeout)}`, {
          hint: `it stays registered as PROVISIONING and the monitor keeps following it; check it with: agentgw gateway get ${name}`,
        });
      }
      spinner.stop();
      const { healthUrl } = gateway.adapterConfig;
      if (typeof healthUrl === 'string') context.stderr(`gateway "${name}": health found at ${healthUrl} (pass --admin-url to choose another)`);
      await printResource(context.output, gateway, GATEWAY_FIELDS);
    } finally {
      spinner.stop();
    }
  });
}

export async function listGateways(globals: GlobalOptions, flags: { env?: string; type?: string; status?: string; watch?: boolean; limit?: string; all?: boolean }): Promise<void> {
  await withContext(globals, async (context) => {
    const filter = {
      ...(flags.env === undefined ? {} : { environment: flags.env }),
      ...(flags.type === undefined ? {} : { type: parseGatewayType(flags.type, '--type') }),
      ...(flags.status === undefined ? {} : { status: parseGatewayStatus(flags.status, '--status') }),
    };
    if (flags.watch) return (await import('./gateway-watch.js')).watchGatewayList(context, filter);
    const { printGatewayPages } = await import('./gateway-list-pages.js');
    await printGatewayPages(context.output, await context.client(), filter, flags);
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
      throw new UsageError('nothing to update', { hint: 'pass --display-name, --control-plane-url, --admin-url, --password-stdin, …' });
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

interface HealthFlags {
  history?: boolean;
  watch?: boolean;
  wait?: boolean;
  timeout?: string;
}

/**
 * A live check, printed; exit 0 only when the gateway is ACTIVE and answered, 6 otherwise. With
 * --wait, checks again every 2 s until it is, or --timeout passes (exit 6 then too).
 */
export async function gatewayHealth(globals: GlobalOptions, ref: string, flags: HealthFlags = {}): Promise<void> {
  if (flags.history && flags.watch) throw new UsageError('use --history or --watch, not both');
  if (flags.wait && (flags.history || flags.watch)) throw new UsageError('--wait checks until the gateway is ACTIVE: use it without --history and --watch');
  if (flags.timeout !== undefined && !flags.wait) throw new UsageError('--timeout goes with --wait', { hint: `agentgw gateway health ${ref} --wait --timeout 2m` });
  const timeoutMs = flags.timeout === undefined ? HEALTH_WAIT_DEFAULT_MS : parseDuration(flags.timeout);
  if (timeoutMs === null || timeoutMs <= 0) throw new UsageError(`--timeout "${flags.timeout}": expected a duration like 30s, 2m or 1h`);
  await withContext(globals, async (context) => {
    if (flags.history) return (await import('./gateway-watch.js')).printHealthHistory(context, await context.client(), ref);
    if (flags.watch) return (await import('./gateway-watch.js')).watchGatewayHealth(context, ref);
    const client = await context.client();
    const health = flags.wait ? await waitUntilHealthy(client, ref, timeoutMs) : await client.gateways.health(ref);
    await printDocument(context.output, health, () =>
      fieldLines(context.output, [
        ['Status', health.status, true],
        ['Response time', health.responseTime ?? '-'],
        ['Last heartbeat', when(health.lastHeartbeat)],
        ['Checked', when(health.checkedAt)],
        ...(health.errorMessage === null ? [] : [['Error', `${health.errorMessage}${health.errorClass ? ` (${health.errorClass})` : ''}`] as [string, string]]),
      ]),
    );
    if (isHealthy(health)) return;
    const state = health.status === 'ACTIVE' ? 'ACTIVE but did not answer this check' : health.status;
    throw new UnhealthyGatewayError(`gateway "${ref}" is ${flags.wait ? `still ${state} after ${formatDuration(timeoutMs)}` : state}${health.errorMessage === null ? '' : `: ${health.errorMessage}`}`, {
      hint: flags.wait ? 'see its transitions with: agentgw gateway health NAME --history' : `wait for it with: agentgw gateway health ${ref} --wait --timeout 2m`,
    });
  });
}

function isHealthy(health: GatewayHealth): boolean {
  return health.status === 'ACTIVE' && health.errorMessage === null;
}

/** Live checks every HEALTH_WAIT_POLL_MS until one finds the gateway healthy or `timeoutMs` passes; Ctrl-C is exit 130. */
async function waitUntilHealthy(client: Client, ref: string, timeoutMs: number): Promise<GatewayHealth> {
  const deadline = Date.now() + timeoutMs;
  const interrupted = new AbortController();
  const onSignal = () => interrupted.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    for (;;) {
      const health = await client.gateways.health(ref);
      const left = deadline - Date.now();
      if (isHealthy(health) || left <= 0) return health;
      await sleep(Math.min(HEALTH_WAIT_POLL_MS, left), undefined, { signal: interrupted.signal }).catch(() => undefined);
      if (interrupted.signal.aborted) throw new AgentgwError('AGW_INTERRUPTED', 499, ExitCode.interrupted, `stopped waiting for gateway "${ref}"`);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
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
    // Rates come from a separate Prometheus endpoint that may not be configured; the resource
    // counts come from the gateway's own API, so without them the gateway could not be read.
    if (metrics.resourceCount === null) {
      throw new GatewayError('AGW_GATEWAY_UNREADABLE', `gateway "${ref}" could not be read: ${metrics.unavailable.resourceCount ?? 'its resources could not be listed'}`, {
        hint: `check it with: agentgw gateway health ${ref}`,
      });
    }
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
