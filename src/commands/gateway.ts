/** `agentgw gateway …`: gateways, their environments, health and metrics. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, RegisterGatewayInput } from '../client/client.js';
import { AgentgwError, GatewayError, UnhealthyGatewayError, UsageError } from '../domain/errors.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import type { Environment, Gateway, GatewayHealth, GatewayMetricsReport } from '../domain/types.js';
import { hasDeployments } from '../domain/refusals.js';
import { parseGatewayStatus, parseGatewayType } from '../domain/validation.js';
import { when } from '../output/age.js';
import { fieldLines, printDocument, printList, printResource, type Column } from '../output/format.js';
import { canPrompt } from '../output/io.js';
import { confirm } from '../output/prompt.js';
import { startSpinner } from '../output/spinner.js';
import { GATEWAY_FIELDS, GATEWAY_LIST_COLUMNS } from './gateway-columns.js';
import { withContext } from './run.js';
import { Option } from 'commander';
import { collect, columnsOf, defineCommand, type Invocation } from './define.js';
import { adapterConfigFrom, type ConnectionFlags } from './gateway-connection.js';

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

export const register = defineCommand<[name: string], RegisterFlags>({
  flags: (command) =>
    command
      .option('--control-plane-url <url>', 'gateway-controller management URL (on-premise)')
      .option('--admin-url <url>', 'gateway-controller admin API URL, for health (default: found from the control-plane URL: port 9092, then its port + 2, then /health on it)')
      .option('--metrics-url <url>', 'Prometheus endpoint of the gateway, for request metrics')
      .option('--endpoint <url>', 'the gateway’s traffic endpoint (default: the control-plane URL)')
      .option('--api-base-path <path>', 'management API base path: auto, /api/management/v1 or "" (legacy)')
      .addOption(new Option('--type <type>', 'EGRESS (AI traffic) or INGRESS (APIs)').default('EGRESS'))
      .option('--env <env>', 'environment to put it in (repeatable)', collect)
      .option('--display-name <text>', 'human-readable name (default: the name)')
      .option('--username <user>', 'management API user')
      .option('--password <password>', 'management API password (prefer --password-stdin: arguments show in ps)')
      .option('--password-stdin', 'read the password from standard input (at a terminal: asked for, not echoed)')
      .option('--ca-cert <file>', 'PEM file of the CA that signed the gateway’s certificate')
      .option('--client-cert <file>', 'PEM client certificate, for mutual TLS')
      .option('--client-key <file>', 'PEM client key, for mutual TLS')
      .option('--insecure-skip-verify', 'do not verify the gateway’s TLS certificate (logged)')
      .option('--region <region>', 'cloud region')
      .option('--tier <tier>', 'cloud tier')
      .option('--min-instances <n>', 'cloud autoscaling minimum')
      .option('--max-instances <n>', 'cloud autoscaling maximum')
      .option('--set <key=value>', 'any other adapterConfig setting (repeatable)', collect)
      .option('--no-wait', 'return at once while a cloud gateway is provisioning')
      .option('--keep-failed', 'keep a cloud gateway whose provisioning failed (in ERROR) instead of releasing it; the command still exits 1')
      .option('--allow-duplicate-url', 'register it even though another gateway has the same control-plane URL'),
  examples: [
    'agentgw gateway register prod-gw-1 --control-plane-url http://gw-1.internal:9090 --type EGRESS --env production',
    'agentgw gateway register gw-3 --control-plane-url http://gw-3:19090 --admin-url http://gw-3:19092',
    'printf %s "$PW" | agentgw gateway register gw-2 --control-plane-url https://gw-2:9090 --username admin --password-stdin --ca-cert ca.pem',
  ],
  run: (invocation, [name], flags) => registerGateway(invocation, name, flags),
});

async function registerGateway(invocation: Invocation, name: string, flags: RegisterFlags): Promise<void> {
  if (flags.keepFailed && flags.wait === false) throw new UsageError('--keep-failed needs the wait for provisioning: drop --no-wait');
  await withContext(invocation, async (context) => {
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

interface ListFlags {
  env?: string;
  type?: string;
  status?: string;
  watch?: boolean;
  limit?: string;
  all?: boolean;
}

export const list = defineCommand<[], ListFlags>({
  flags: (command) =>
    command
      .option('--env <env>', 'only gateways in this environment (name or uuid)')
      .option('--type <type>', 'only EGRESS or INGRESS gateways')
      .option('--status <status>', 'only ACTIVE, INACTIVE, PROVISIONING or ERROR gateways')
      .option('-w, --watch', 'poll every 2s until Ctrl-C: redraw the table on a terminal, else one JSON line per changed gateway')
      .option('--limit <n>', 'show the first N gateways (1–1000, default 100); with --all, the page size')
      .option('--all', 'every gateway, a page at a time (streamed with -o json, -o name, or into a pipe)'),
  notes: GATEWAY_LIST_COLUMNS,
  examples: ['agentgw gateway list --env production --type EGRESS --status ACTIVE', 'agentgw gateway list -o name', 'agentgw gateway list --all -o json > fleet.json', "agentgw gateway list --watch | jq -c '{name, status}'"],
  run: (invocation, _args, flags) => listGateways(invocation, flags),
});

async function listGateways(invocation: Invocation, flags: ListFlags): Promise<void> {
  await withContext(invocation, async (context) => {
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

export const get = defineCommand<[ref: string]>({
  examples: ['agentgw gateway get prod-gw-1 -o json'],
  run: (invocation, [ref]) => getGateway(invocation, ref),
});

async function getGateway(invocation: Invocation, ref: string): Promise<void> {
  await withContext(invocation, async (context) => {
    await printResource(context.output, await (await context.client()).gateways.get(ref), GATEWAY_FIELDS);
  });
}

type UpdateFlags = ConnectionFlags & { displayName?: string };

export const update = defineCommand<[ref: string], UpdateFlags>({
  flags: (command) =>
    command
      .option('--display-name <text>', 'new display name')
      .option('--control-plane-url <url>', 'new management URL')
      .option('--admin-url <url>', 'new admin URL')
      .option('--metrics-url <url>', 'new Prometheus URL')
      .option('--endpoint <url>', 'new traffic endpoint')
      .option('--username <user>', 'new management API user')
      .option('--password <password>', 'new password (prefer --password-stdin)')
      .option('--password-stdin', 'read the new password from standard input (at a terminal: asked for, not echoed)')
      .option('--ca-cert <file>', 'PEM file of the CA')
      .option('--client-cert <file>', 'PEM client certificate')
      .option('--client-key <file>', 'PEM client key')
      .option('--insecure-skip-verify', 'do not verify the gateway’s TLS certificate (logged)')
      .option('--set <key=value>', 'any other adapterConfig setting (repeatable)', collect),
  examples: ['agentgw gateway update prod-gw-1 --control-plane-url http://gw-1.new:9090', 'printf %s "$NEW" | agentgw gateway update prod-gw-1 --password-stdin'],
  run: (invocation, [ref], flags) => updateGateway(invocation, ref, flags),
});

async function updateGateway(invocation: Invocation, ref: string, flags: ConnectionFlags & { displayName?: string }): Promise<void> {
  await withContext(invocation, async (context) => {
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

export const remove = defineCommand<[ref: string], { yes?: boolean; drain?: boolean }>({
  flags: (command) => command.option('--drain', 'undeploy every resource from the gateway first, then delete it').option('-y, --yes', 'do not ask for confirmation'),
  examples: ['agentgw gateway delete old-gw --yes', 'agentgw gateway delete old-gw --drain --yes'],
  run: (invocation, [ref], flags) => deleteGateway(invocation, ref, flags),
});

async function deleteGateway(invocation: Invocation, ref: string, flags: { yes?: boolean; drain?: boolean }): Promise<void> {
  await withContext(invocation, async (context) => {
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

export const health = defineCommand<[ref: string], HealthFlags>({
  flags: (command) =>
    command
      .option('--wait', 'check every 2s until the gateway is ACTIVE, like kubectl wait (exit 6 if --timeout passes first)')
      .option('--timeout <duration>', 'with --wait: how long to wait (default 2m)')
      .option('--history', 'status transitions, newest first')
      .option('-w, --watch', 'after checking, print each change of the recorded status until Ctrl-C'),
  notes: '\nColumns of --history (piped: tab-separated, no header):\n  AGE  FROM  TO  ERROR  REASON\n  -o wide adds: TIME\n',
  examples: [
    'agentgw gateway health prod-gw-1',
    'agentgw gateway health prod-gw-1 --wait --timeout 2m && agentgw deploy LlmProvider/openai --gateway prod-gw-1',
    'agentgw gateway health prod-gw-1 --history -o json',
    'agentgw --server http://127.0.0.1:8080 gateway health prod-gw-1 --watch',
  ],
  run: (invocation, [ref], flags) => gatewayHealth(invocation, ref, flags),
});

/**
 * A live check, printed; exit 0 only when the gateway is ACTIVE and answered, 6 otherwise. With
 * --wait, checks again every 2 s until it is, or --timeout passes (exit 6 then too).
 */
async function gatewayHealth(invocation: Invocation, ref: string, flags: HealthFlags = {}): Promise<void> {
  if (flags.history && flags.watch) throw new UsageError('use --history or --watch, not both');
  if (flags.wait && (flags.history || flags.watch)) throw new UsageError('--wait checks until the gateway is ACTIVE: use it without --history and --watch');
  if (flags.timeout !== undefined && !flags.wait) throw new UsageError('--timeout goes with --wait', { hint: `agentgw gateway health ${ref} --wait --timeout 2m` });
  const timeoutMs = flags.timeout === undefined ? HEALTH_WAIT_DEFAULT_MS : parseDuration(flags.timeout);
  if (timeoutMs === null || timeoutMs <= 0) throw new UsageError(`--timeout "${flags.timeout}": expected a duration like 30s, 2m or 1h`);
  await withContext(invocation, async (context) => {
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
      if (interrupted.signal.aborted) throw new AgentgwError('AGW_INTERRUPTED', `stopped waiting for gateway "${ref}"`);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

export const metrics = defineCommand<[ref: string]>({
  examples: ['agentgw gateway metrics prod-gw-1 -o json'],
  run: (invocation, [ref]) => gatewayMetrics(invocation, ref),
});

async function gatewayMetrics(invocation: Invocation, ref: string): Promise<void> {
  await withContext(invocation, async (context) => {
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
        ['p99 latency', show('p99Latency', metrics.p99Latency)],
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

export const addEnvironment = defineCommand<[ref: string, environment: string]>({
  examples: ['agentgw gateway env add prod-gw-1 staging'],
  run: (invocation, [ref, environment]) => addGatewayEnvironment(invocation, ref, environment),
});

async function addGatewayEnvironment(invocation: Invocation, ref: string, environment: string): Promise<void> {
  await withContext(invocation, async (context) => {
    await (await context.client()).gateways.addEnvironment(ref, environment);
    context.stderr(`gateway "${ref}" is in environment "${environment}"`);
  });
}

export const removeEnvironment = defineCommand<[ref: string, environment: string]>({
  examples: ['agentgw gateway env remove prod-gw-1 staging'],
  run: (invocation, [ref, environment]) => removeGatewayEnvironment(invocation, ref, environment),
});

async function removeGatewayEnvironment(invocation: Invocation, ref: string, environment: string): Promise<void> {
  await withContext(invocation, async (context) => {
    await (await context.client()).gateways.removeEnvironment(ref, environment);
    context.stderr(`gateway "${ref}" removed from environment "${environment}"`);
  });
}

export const listEnvironments = defineCommand<[ref: string]>({
  notes: columnsOf(ENVIRONMENT_COLUMNS),
  examples: ['agentgw gateway env list prod-gw-1'],
  run: (invocation, [ref]) => listGatewayEnvironments(invocation, ref),
});

async function listGatewayEnvironments(invocation: Invocation, ref: string): Promise<void> {
  await withContext(invocation, async (context) => {
    const environments = await (await context.client()).gateways.environments(ref);
    await printList(context.output, environments, ENVIRONMENT_COLUMNS, { environments }, { empty: `Gateway ${ref} is in no environment. Add it to one with: agentgw gateway env add ${ref} ENV` });
  });
}
