/**
 * The commander tree, and nothing else: every action imports its command module when it runs,
 * so `agentgw --version` loads commander and this file only.
 */
import { Command, CommanderError, Option } from 'commander';
import { AgentgwError, DeclinedError, ExitCode, InterruptedError, UsageError } from './domain/errors.js';
import type { GlobalOptions } from './commands/context.js';
import { VERSION } from './version.js';

type Action = (globals: GlobalOptions, ...args: any[]) => Promise<void>;

/** Wraps a lazily imported action so it receives the global options first. */
function lazy(load: () => Promise<Action>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const action = await load();
    await action(command.optsWithGlobals() as GlobalOptions, ...args.slice(0, -1));
  };
}

function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}

/**
 * Documents a list's columns, in order: piped, they are what each tab-separated line holds (no
 * header). At a terminal, a narrow one leaves out the least important columns; -o wide shows them all.
 */
function columns(command: Command, table: string, wide?: string): Command {
  return command.addHelpText('after', `\nColumns (piped: tab-separated, no header):\n  ${table}${wide === undefined ? '' : `\n  -o wide adds: ${wide}`}\n`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export { setModuleImporter } from './launcher/import-module.js';

const GATEWAY_TABLE = 'NAME  TYPE  STATUS  CHECKED  ENVIRONMENTS  URL  AGE';
const GATEWAY_WIDE = 'CHANGED  RESPONSE  HEARTBEAT  ADAPTER  UUID';
const DEPLOY_NOTES =
  '\nColumns (piped: tab-separated, no header):\n  GATEWAY  ACTION  STATUS  REVISION  RESULT\n  -o wide adds: GATEWAY ID\n' +
  '\nProgress goes to stderr: a line per gateway ([n/N] gateway result), or a spinner with the same line at a terminal.\n' +
  'Ctrl-C stops calling gateways: the calls in flight finish and are recorded, the rest keep their records (exit 130).\n';

export function buildProgram(): Command {
  const program = new Command('agentgw')
    .description('Control plane for AI gateways: register, group, health-check, deploy to and decommission gateways')
    .version(VERSION, '-v, --version')
    .option('--database <url>', 'run in this process against this database (postgres://… or sqlite:PATH)')
    .option('--server <url>', 'send commands to this agentgw daemon (or AGENTGW_SERVER)')
    .option('--token <token>', 'API token for --server (or AGENTGW_TOKEN)')
    .option('--config <file>', 'config file to use instead of searching for one')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml', 'name']))
    .option('--no-color', 'no colour in output (also NO_COLOR=1)')
    .helpCommand(false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) })
    .exitOverride();

  // environments
  const env = program.command('env').alias('environment').description('manage environments (development, staging, production, …)');
  examples(
    env
      .command('create <name>')
      .description('create an environment')
      .option('--display-name <text>', 'human-readable name (default: the name)')
      .option('--description <text>', 'what the environment is for')
      .action(lazy(async () => (await import('./commands/env.js')).createEnvironment)),
    ['agentgw env create staging --display-name "Staging"'],
  );
  examples(
    columns(
      env.command('list').alias('ls').description('list environments').action(lazy(async () => (await import('./commands/env.js')).listEnvironments)),
      'NAME  DISPLAY NAME  DESCRIPTION  AGE',
      'UUID',
    ),
    ['agentgw env list', 'agentgw env list -o json'],
  );
  examples(
    env.command('get <env>').description('show one environment (by name or uuid)').action(lazy(async () => (await import('./commands/env.js')).getEnvironment)),
    ['agentgw env get production -o yaml'],
  );
  examples(
    env
      .command('update <env>')
      .description('change an environment’s display name or description')
      .option('--display-name <text>', 'new display name')
      .option('--description <text>', 'new description')
      .action(lazy(async () => (await import('./commands/env.js')).updateEnvironment)),
    ['agentgw env update staging --description "pre-production checks"'],
  );
  examples(
    env
      .command('delete <env>')
      .alias('rm')
      .description('delete an environment (refused while gateways are in it, unless --force)')
      .option('--force', 'remove its gateway mappings first')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(lazy(async () => (await import('./commands/env.js')).deleteEnvironment)),
    ['agentgw env delete staging --yes', 'agentgw env delete staging --force --yes'],
  );
  examples(
    columns(
      env.command('gateways <env>').description('list the gateways of an environment').action(lazy(async () => (await import('./commands/env.js')).environmentGateways)),
      GATEWAY_TABLE,
      GATEWAY_WIDE,
    ),
    ['agentgw env gateways production -o wide'],
  );

  // gateways
  const gateway = program.command('gateway').alias('gw').description('manage gateways');
  examples(
    gateway
      .command('register <name>')
      .description('register a gateway; its connectivity and health are checked before it is stored')
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
      .option('--allow-duplicate-url', 'register it even though another gateway has the same control-plane URL')
      .action(lazy(async () => (await import('./commands/gateway.js')).registerGateway)),
    [
      'agentgw gateway register prod-gw-1 --control-plane-url http://gw-1.internal:9090 --type EGRESS --env production',
      'agentgw gateway register gw-3 --control-plane-url http://gw-3:19090 --admin-url http://gw-3:19092',
      'printf %s "$PW" | agentgw gateway register gw-2 --control-plane-url https://gw-2:9090 --username admin --password-stdin --ca-cert ca.pem',
    ],
  );
  examples(
    columns(
      gateway
        .command('list')
        .alias('ls')
        .description('list gateways, filtered as the seed’s environment query')
        .option('--env <env>', 'only gateways in this environment (name or uuid)')
        .option('--type <type>', 'only EGRESS or INGRESS gateways')
        .option('--status <status>', 'only ACTIVE, INACTIVE, PROVISIONING or ERROR gateways')
        .option('-w, --watch', 'poll every 2s until Ctrl-C: redraw the table on a terminal, else one JSON line per changed gateway')
        .action(lazy(async () => (await import('./commands/gateway.js')).listGateways)),
      GATEWAY_TABLE,
      GATEWAY_WIDE,
    ),
    ['agentgw gateway list --env production --type EGRESS --status ACTIVE', 'agentgw gateway list -o name', 'agentgw gateway list --watch | jq -c \'{name, status}\''],
  );
  examples(
    gateway.command('get <gateway>').description('show one gateway (by name or uuid)').action(lazy(async () => (await import('./commands/gateway.js')).getGateway)),
    ['agentgw gateway get prod-gw-1 -o json'],
  );
  examples(
    gateway
      .command('update <gateway>')
      .description('change a gateway’s display name or adapter settings (a changed URL is checked again)')
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
      .option('--set <key=value>', 'any other adapterConfig setting (repeatable)', collect)
      .action(lazy(async () => (await import('./commands/gateway.js')).updateGateway)),
    ['agentgw gateway update prod-gw-1 --control-plane-url http://gw-1.new:9090', 'printf %s "$NEW" | agentgw gateway update prod-gw-1 --password-stdin'],
  );
  examples(
    gateway
      .command('delete <gateway>')
      .alias('rm')
      .description('decommission a gateway (refused while resources are deployed to it, unless --drain)')
      .option('--drain', 'undeploy every resource from the gateway first, then delete it')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(lazy(async () => (await import('./commands/gateway.js')).deleteGateway)),
    ['agentgw gateway delete old-gw --yes', 'agentgw gateway delete old-gw --drain --yes'],
  );
  examples(
    gateway
      .command('health <gateway>')
      .description(
        'check a gateway’s health now (exit 0 when ACTIVE, 6 when not: see agentgw help exit-codes); or follow the status the health monitor records, or list its transitions',
      )
      .option('--wait', 'check every 2s until the gateway is ACTIVE, like kubectl wait (exit 6 if --timeout passes first)')
      .option('--timeout <duration>', 'with --wait: how long to wait (default 2m)')
      .option('--history', 'status transitions, newest first')
      .option('-w, --watch', 'after checking, print each change of the recorded status until Ctrl-C')
      .action(lazy(async () => (await import('./commands/gateway.js')).gatewayHealth))
      .addHelpText('after', '\nColumns of --history (piped: tab-separated, no header):\n  AGE  FROM  TO  ERROR  REASON\n  -o wide adds: TIME\n'),
    [
      'agentgw gateway health prod-gw-1',
      'agentgw gateway health prod-gw-1 --wait --timeout 2m && agentgw deploy LlmProvider/openai --gateway prod-gw-1',
      'agentgw gateway health prod-gw-1 --history -o json',
      'agentgw --server http://127.0.0.1:8080 gateway health prod-gw-1 --watch',
    ],
  );
  examples(
    gateway
      .command('metrics <gateway>')
      .description('resource counts and request rates of a gateway (exit 1 when the gateway could not be read)')
      .action(lazy(async () => (await import('./commands/gateway.js')).gatewayMetrics)),
    ['agentgw gateway metrics prod-gw-1 -o json'],
  );
  const gatewayEnv = gateway.command('env').description('a gateway’s environments');
  examples(
    gatewayEnv.command('add <gateway> <env>').description('put a gateway in an environment').action(lazy(async () => (await import('./commands/gateway.js')).addGatewayEnvironment)),
    ['agentgw gateway env add prod-gw-1 staging'],
  );
  examples(
    gatewayEnv.command('remove <gateway> <env>').alias('rm').description('take a gateway out of an environment').action(lazy(async () => (await import('./commands/gateway.js')).removeGatewayEnvironment)),
    ['agentgw gateway env remove prod-gw-1 staging'],
  );
  examples(
    columns(
      gatewayEnv.command('list <gateway>').alias('ls').description('list a gateway’s environments').action(lazy(async () => (await import('./commands/gateway.js')).listGatewayEnvironments)),
      'NAME  DISPLAY NAME',
      'UUID',
    ),
    ['agentgw gateway env list prod-gw-1'],
  );

  // daemon
  examples(
    program
      .command('serve')
      .description('run the daemon: the REST API on 127.0.0.1:8080 (migrates the database first)')
      .option('--host <ip>', 'address to listen on (beyond loopback only with server.auth.required: true)')
      .option('--port <n>', 'port to listen on (0: any free port)')
      .option('--no-monitor', 'do not health-check gateways in the background')
      .addOption(new Option('--log-format <format>', 'log lines for a person (text) or JSON lines (default: text at a terminal, json otherwise)').choices(['text', 'json']))
      .action(lazy(async () => (await import('./commands/serve.js')).serveCommand)),
    [
      'agentgw serve --database postgres://postgres@127.0.0.1:5432/agentgw',
      'agentgw serve --log-format json | tee agentgw.log',
      'AGENTGW_SECRET_KEY=$(cat key) agentgw serve --port 9000',
      'agentgw --server http://127.0.0.1:8080 gateway list',
    ],
  );
  const token = program.command('token').description('API tokens for the daemon (local mode: they work on the database)');
  examples(
    token
      .command('create <name>')
      .description('create a token; it is printed once, only its digest is stored')
      .addOption(new Option('--scope <scope>', 'read (GET), write (changes) or admin').choices(['read', 'write', 'admin']).default('read'))
      .option('--expires <duration>', 'lifetime, e.g. 30d, 2w, 12h (default: until revoked)')
      .action(lazy(async () => (await import('./commands/token.js')).createToken)),
    ['agentgw token create ci --scope write --expires 30d', 'export AGENTGW_TOKEN=$(agentgw token create dashboard)'],
  );
  examples(
    columns(
      token.command('list').alias('ls').description('list tokens (never the tokens themselves)').action(lazy(async () => (await import('./commands/token.js')).listTokens)),
      'NAME  SCOPE  STATUS  AGE  EXPIRES  LAST USED',
      'UUID  ORGANIZATION',
    ),
    ['agentgw token list', 'agentgw token list -o json'],
  );
  examples(
    token
      .command('revoke <name>')
      .description('revoke a token at once')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(lazy(async () => (await import('./commands/token.js')).revokeToken)),
    ['agentgw token revoke ci --yes'],
  );

  // events
  const eventTypes = 'one of: environment.*, gateway.*, deployment.*, token.* (see docs/events.md); repeatable, or comma-separated';
  examples(
    columns(
      program
        .command('events')
        .description('the event log: every change and status change, oldest first (since 1h unless --since)')
        .option('-f, --follow', 'go on printing events as they happen (piped: one JSON event per line) until Ctrl-C')
        .option('--type <type>', eventTypes, collect)
        .option('--gateway <gateway>', 'only this gateway’s events and its deployments’ (name or uuid)')
        .option('--since <when>', 'a duration back from now (10m, 2h, 7d) or an ISO time (default 1h)')
        .action(lazy(async () => (await import('./commands/events.js')).listEvents)),
      'AGE  TYPE  SUBJECT  ACTOR  DETAILS',
      'ID  TIME',
    ),
    [
      'agentgw events --since 10m',
      'agentgw events --follow --type gateway.status_changed',
      'agentgw events --gateway edge-1 -o json',
      'agentgw --server http://127.0.0.1:8080 events -f | jq .type',
    ],
  );
  examples(
    columns(
      program
        .command('audit')
        .description('who changed what: the event log without the health monitor’s status changes')
        .option('-f, --follow', 'go on printing changes as they happen until Ctrl-C')
        .option('--type <type>', eventTypes, collect)
        .option('--gateway <gateway>', 'only changes of this gateway and its deployments (name or uuid)')
        .option('--since <when>', 'a duration back from now (10m, 2h, 7d) or an ISO time (default 1h)')
        .action(lazy(async () => (await import('./commands/events.js')).audit)),
      'AGE  TYPE  SUBJECT  ACTOR  DETAILS',
      'ID  TIME',
    ),
    ['agentgw audit --since 7d --type gateway.deleted', 'agentgw audit --gateway edge-1 -o wide'],
  );

  // webhooks
  const webhook = program.command('webhook').description('webhooks: signed POSTs of events to a URL, sent by the daemon (see docs/webhooks.md)');
  const loadWebhook = () => import('./commands/webhook.js');
  examples(
    webhook
      .command('create <name>')
      .description('create a webhook; without --secret-stdin a signing secret is generated and printed once')
      .requiredOption('--url <url>', 'where to POST events (http:// or https://; the egress policy applies)')
      .requiredOption('--events <types>', 'comma-separated event types, e.g. gateway.status_changed,deployment.failed')
      .option('--secret-stdin', 'read the signing secret (16+ characters) from standard input')
      .action(lazy(async () => (await loadWebhook()).createWebhook)),
    [
      'agentgw webhook create pager --url https://hooks.example.com/agentgw --events gateway.status_changed,deployment.failed',
      'printf %s "$SECRET" | agentgw webhook create audit --url https://siem.example.com/in --events token.created,token.revoked --secret-stdin',
    ],
  );
  examples(
    columns(webhook.command('list').alias('ls').description('list webhooks (never their secrets)').action(lazy(async () => (await loadWebhook()).listWebhooks)), 'NAME  URL  EVENTS  AGE', 'UUID'),
    ['agentgw webhook list', 'agentgw webhook list -o json'],
  );
  examples(webhook.command('get <name>').description('show one webhook').action(lazy(async () => (await loadWebhook()).getWebhook)), ['agentgw webhook get pager -o json']);
  examples(
    webhook
      .command('delete <name>')
      .alias('rm')
      .description('delete a webhook and its delivery log')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(lazy(async () => (await loadWebhook()).deleteWebhook)),
    ['agentgw webhook delete pager --yes'],
  );
  examples(
    columns(
      webhook.command('deliveries <name>').description('the delivery log: each event sent, its attempts and the last answer').action(lazy(async () => (await loadWebhook()).listDeliveries)),
      'ID  EVENT  STATUS  ATTEMPTS  LAST  AGE',
      'EVENT ID  NEXT  ERROR',
    ),
    ['agentgw webhook deliveries pager', 'agentgw webhook deliveries pager -o json'],
  );

  // dashboard
  examples(
    program
      .command('dashboard')
      .description('interactive view of the gateways: status, response times, metrics, environments (needs a terminal)')
      .option('--env <env>', 'start filtered to this environment (name or uuid; `e` changes it)')
      .option('--readonly', 'disable decommissioning from the dashboard')
      .option('--refresh <duration>', 'how often to poll (default: config dashboard.refresh, 2s)')
      .action(lazy(async () => (await import('./commands/dashboard.js')).dashboard)),
    ['agentgw dashboard', 'agentgw dashboard --env production --readonly', 'agentgw dashboard --server http://127.0.0.1:8080 --refresh 5s'],
  );

  // resources and deployments
  examples(
    program
      .command('apply')
      .description(
        'add or update resources from gateway-controller manifests (YAML or JSON, one or many documents); a changed manifest is a new revision. ' +
          '${VAR} in a manifest is replaced from the environment here, before it is sent; secret fields (API keys, Secret values) are stored encrypted and read back as {set: true}',
      )
      .option('-f, --filename <file>', 'manifest file, or - for standard input (repeatable)', collect)
      .action(lazy(async () => (await import('./commands/apply.js')).applyCommand))
      .addHelpText('after', '\nColumns (piped: tab-separated, no header):\n  RESOURCE  REVISION  ACTION\n  -o wide adds: DIGEST\n'),
    [
      'agentgw apply -f openai-template.yaml -f openai-provider.yaml',
      'agentgw apply -f openai-provider.yaml     # value: "Bearer ${OPENAI_API_KEY}" in the file, read from the environment',
      'cat resources.yaml | agentgw apply -f - -o json',
    ],
  );
  const resource = program.command('resource').description('resources kept by the control plane (add them with: agentgw apply)');
  examples(
    columns(
      resource
        .command('list')
        .alias('ls')
        .description('list resources and their latest revisions')
        .option('--kind <kind>', 'only this kind: LlmProvider, LlmProxy, Mcp, RestApi, LlmProviderTemplate or Secret')
        .action(lazy(async () => (await import('./commands/apply.js')).listResources)),
      'RESOURCE  REVISION  DISPLAY NAME  UPDATED',
      'UUID',
    ),
    ['agentgw resource list', 'agentgw resource list --kind LlmProvider -o name'],
  );
  examples(
    resource
      .command('get <resource>')
      .description('print a resource’s manifest as YAML, as apply -f takes it (Kind/name, or a name only one kind has); -o json|yaml: the REST resource')
      .action(lazy(async () => (await import('./commands/apply.js')).getResource)),
    ['agentgw resource get LlmProvider/openai-provider > provider.yaml', 'agentgw resource get LlmProvider/openai-provider -o json'],
  );
  examples(
    resource
      .command('delete <resource>')
      .alias('rm')
      .description('delete a resource and its revisions (refused while it is deployed)')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(lazy(async () => (await import('./commands/apply.js')).deleteResource)),
    ['agentgw resource delete LlmProvider/old-provider --yes'],
  );
  examples(
    program
      .command('deploy <resource>')
      .description('deploy a resource (Kind/name) to every fitting gateway of an environment, or to one gateway; only what differs is sent')
      .option('--env <env>', 'every gateway of this environment that fits the kind (AI kinds: EGRESS, RestApi: INGRESS)')
      .option('--gateway <gateway>', 'this gateway only')
      .option('--dry-run', 'print the plan (create, update, no-op, unreachable) and change nothing')
      .option('--concurrency <n>', 'gateways called at once (default 32)')
      .action(lazy(async () => (await import('./commands/deploy.js')).deployCommand))
      .addHelpText('after', DEPLOY_NOTES),
    [
      'agentgw deploy LlmProvider/openai-provider --env staging',
      'agentgw deploy openai-provider --env production --dry-run',
      'agentgw deploy RestApi/echo --gateway edge-1 -o json',
    ],
  );
  examples(
    program
      .command('undeploy <resource>')
      .description('take a resource off every gateway of an environment, or off one gateway')
      .option('--env <env>', 'every gateway of this environment')
      .option('--gateway <gateway>', 'this gateway only')
      .option('--dry-run', 'print what would be removed (asking each gateway) and change nothing')
      .option('--concurrency <n>', 'gateways called at once (default 32)')
      .action(lazy(async () => (await import('./commands/deploy.js')).undeployCommand))
      .addHelpText('after', DEPLOY_NOTES),
    ['agentgw undeploy LlmProvider/openai-provider --env staging --dry-run', 'agentgw undeploy LlmProvider/openai-provider --env staging'],
  );
  examples(
    program
      .command('deployments')
      .description('which resources are deployed to which gateways')
      .option('--env <env>', 'on the gateways of this environment')
      .option('--gateway <gateway>', 'on this gateway')
      .option('--resource <resource>', 'of this resource (Kind/name)')
      .option('--matrix', 'a gateway × resource table of an environment (needs --env)')
      .action(lazy(async () => (await import('./commands/deployments.js')).deploymentsCommand))
      .addHelpText(
        'after',
        '\nColumns (piped: tab-separated, no header):\n  RESOURCE  GATEWAY  STATUS  REVISION  UPDATED\n  -o wide adds: ERROR  UUID\n' +
          '  --matrix: GATEWAY, then one column per resource deployed in the environment (Kind/name); -o wide adds TYPE after GATEWAY\n',
      ),
    ['agentgw deployments --env production', 'agentgw deployments --matrix --env production', 'agentgw deployments --gateway prod-gw-1 -o json'],
  );
  examples(
    program
      .command('diff')
      .description('drift: what the gateways of an environment hold against what agentgw deployed there')
      .requiredOption('--env <env>', 'the environment to check')
      .option('--exit-code', 'exit 2 when there is drift (for CI)')
      .action(lazy(async () => (await import('./commands/diff.js')).diffCommand))
      .addHelpText('after', '\nColumns (piped: tab-separated, no header):\n  GATEWAY  DRIFT  RESOURCE  DETAIL\n  -o wide adds: WANTED  HELD\n'),
    ['agentgw diff --env production', 'agentgw diff --env production --exit-code -o json'],
  );

  // database
  const migrate = program.command('migrate').description('database schema migrations');
  examples(
    columns(
      migrate.command('status').description('list migrations and whether each is applied').action(lazy(async () => (await import('./commands/migrate.js')).migrationStatusCommand)),
      'MIGRATION  STATUS  APPLIED',
    ),
    ['agentgw migrate status --database postgres://postgres@127.0.0.1:5432/agentgw'],
  );
  examples(
    migrate.command('up').description('apply pending migrations (safe when several processes run it at once)').action(lazy(async () => (await import('./commands/migrate.js')).migrateUpCommand)),
    ['agentgw migrate up --database postgres://postgres@127.0.0.1:5432/agentgw'],
  );

  // config
  const config = program.command('config').description('configuration');
  examples(
    columns(
      config.command('show').description('the effective configuration, where each value came from, secrets redacted').action(lazy(async () => (await import('./commands/config.js')).showConfig)),
      'KEY  VALUE  SOURCE',
    ),
    ['agentgw config show', 'agentgw config show -o json'],
  );

  // development tools
  const dev = program.command('dev').description('tools for trying agentgw without real gateways');
  examples(
    dev
      .command('gateway-sim')
      .description(
        'run simulated gateway-controllers shaped like real ones: the management API on --port, the admin API (health) on --admin-port; each gateway under /gateways/NAME on both, or at the root with --single',
      )
      .option('--port <n>', 'management API port (0: any free port whose + 2 is free too)', '9090')
      .option('--admin-port <n>', 'admin API port (default: --port + 2, as on a real controller)')
      .option('--host <ip>', 'address to listen on', '127.0.0.1')
      .option('--count <n>', 'how many gateways (gw-1 … gw-N)', '1')
      .option('--name <name>', 'a gateway name (repeatable; instead of --count)', collect)
      .option('--legacy', 'speak the legacy (2026-02) controller API: /health on the management port, no admin API')
      .option('--username <user>', 'require HTTP Basic auth with this user')
      .option('--password <password>', '… and this password')
      .option('--latency <ms>', 'added latency per response', '0')
      .option('--single', 'serve one gateway at the root, like a real controller')
      .action(lazy(async () => (await import('./commands/dev.js')).gatewaySim)),
    ['agentgw dev gateway-sim --port 9090 --count 3', 'agentgw dev gateway-sim --single --port 9090   # admin API on 9092', 'agentgw dev gateway-sim --port 0 --name edge-1 --legacy'],
  );
  examples(
    dev
      .command('cloud-sim')
      .description('run a simulated cloud provider that provisions simulated gateway-controllers')
      .option('--port <n>', 'port to listen on (0: any free port)', '9400')
      .option('--host <ip>', 'address to listen on', '127.0.0.1')
      .requiredOption('--client-id <id>', 'OAuth2 client id it accepts')
      .requiredOption('--client-secret <secret>', 'OAuth2 client secret it accepts')
      .option('--delay <duration>', 'how long provisioning takes', '2s')
      .option('--token-ttl <duration>', 'lifetime of issued tokens', '1h')
      .option('--fail-region <region>', 'provisioning in this region ends in ERROR (repeatable)', collect)
      .action(lazy(async () => (await import('./commands/dev.js')).cloudSim)),
    ['agentgw dev cloud-sim --port 9400 --client-id demo --client-secret demo-secret --delay 3s'],
  );
  examples(
    program
      .command('completion <shell>')
      .description('print shell completion for bash, zsh or fish: commands, aliases, flags, and the names of gateways, environments and resources')
      .action(lazy(async () => (await import('./commands/completion.js')).completionCommand)),
    ['eval "$(agentgw completion bash)"', 'agentgw completion zsh > "${fpath[1]}/_agentgw"', 'agentgw completion fish > ~/.config/fish/completions/agentgw.fish'],
  );
  examples(
    program
      .command('help [topic...]')
      .description('help for a command, or a topic: exit-codes')
      .action(async (topic: string[]) => {
        const { HELP_TOPICS } = await import('./commands/help-topics.js');
        const name = topic.join(' ');
        const text = HELP_TOPICS[name];
        if (text) {
          process.stdout.write(text());
          return;
        }
        let command: Command = program;
        for (const word of topic) {
          const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
          if (!next) throw new UsageError(`no help for "${name}"`, { hint: `topics: ${Object.keys(HELP_TOPICS).join(', ')}; or a command name` });
          command = next;
        }
        command.outputHelp();
      }),
    ['agentgw help exit-codes', 'agentgw help gateway register'],
  );
  return program;
}

/** Runs the CLI; resolves with the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  // The shell's completion asks before commander parses anything: the words are not this run's flags.
  if (argv[2] === '__complete') {
    await (await import('./commands/completion.js')).completeCommand(argv.slice(3));
    return ExitCode.ok;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; they already printed.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage;
  }
  // The person's own choice (n at a prompt, Ctrl-C): they know what happened.
  if ((error instanceof DeclinedError || error instanceof InterruptedError) && error.quiet) return error.exitCode;
  if (error instanceof AgentgwError) {
    process.stderr.write(`error: ${error.message}\n`);
    for (const field of error.errors ?? []) {
      if (!error.message.includes(field.message)) process.stderr.write(`  ${field.path}: ${field.message}\n`);
    }
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: unexpected failure: ${message}\n`);
  if (process.env.AGENTGW_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return ExitCode.failure;
}
