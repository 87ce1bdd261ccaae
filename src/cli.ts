/**
 * The commander tree, assembled: each command is named here with its one-line description, and
 * the rest of it — flags, help, examples, handler — comes from its own module when it is about to
 * run (commands/command-tree.ts), so `agentgw gateway list` loads the code of `gateway list` only.
 * Commands write through the IO they are given (output/io.ts), never to process.std* themselves.
 */
import { Command, Option } from 'commander';
import { command, group, loadCommand, loadTree, routed, type SpecLoader } from './commands/command-tree.js';
import type { CommandSpec } from './commands/define.js';
import { reportBug, reportError } from './commands/report-error.js';
import { ExitCode, UsageError } from './domain/errors.js';
import { processIO, type IO } from './output/io.js';
import { STATEMENTS } from './store/statement-cache.js';
import { VERSION } from './version.js';

export { setModuleImporter } from './launcher/import-module.js';

function argumentsOf(listed: Command): string {
  return listed.registeredArguments.map((argument) => ` ${argument.required ? '<' : '['}${argument.name()}${argument.variadic ? '...' : ''}${argument.required ? '>' : ']'}`).join('');
}

/** A command's definition from its module, imported when first needed. */
function from<M>(load: () => Promise<M>, pick: (module: M) => CommandSpec): SpecLoader {
  return async () => pick(await load());
}

const env = () => import('./commands/env.js');
const gw = () => import('./commands/gateway.js');
const token = () => import('./commands/token.js');
const resources = () => import('./commands/apply.js');
const deploying = () => import('./commands/deploy.js');
const migrate = () => import('./commands/migrate.js');
const dev = () => import('./commands/dev.js');
const rollouts = () => import('./commands/rollouts.js');

export function buildProgram(io: IO = processIO()): Command {
  const program = routed(
    new Command('agentgw')
      .description('Control plane for AI gateways: register, group, health-check, deploy to and decommission gateways')
      .version(VERSION, '-v, --version')
      .option('--database <url>', 'run in this process against this database (postgres://… or sqlite:PATH)')
      .option('--server <url>', 'send commands to this agentgw daemon (or AGENTGW_SERVER)')
      .option('--token <token>', 'API token for --server (or AGENTGW_TOKEN)')
      .option('--config <file>', 'config file to use instead of searching for one')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml', 'name']))
      .option('--no-color', 'no colour in output (also NO_COLOR=1)')
      .helpCommand(false)
      // A command's flags are added when its module loads, which listing it does not do: a list
      // of commands says "[options]" of none, and each command's own help lists its flags.
      .configureHelp({ subcommandTerm: (listed) => [listed.name(), ...listed.aliases().slice(0, 1)].join('|') + argumentsOf(listed) })
      .showHelpAfterError('(run with --help for usage)')
      .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text), outputError: (text, write) => write(text) })
      .exitOverride(),
  );
  const add = (parent: Command, usage: string, description: string, load: SpecLoader, aliases: string[] = []) => command(parent, io, usage, description, load, aliases);

  group(program, 'env', 'manage environments (development, staging, production, …)', ['environment'], (environments) => {
    add(environments, 'create <name>', 'create an environment', from(env, (m) => m.create));
    add(environments, 'list', 'list environments', from(env, (m) => m.list), ['ls']);
    add(environments, 'get <env>', 'show one environment (by name or uuid)', from(env, (m) => m.get));
    add(environments, 'update <env>', 'change an environment’s display name or description', from(env, (m) => m.update));
    add(environments, 'delete <env>', 'delete an environment (refused while gateways are in it, unless --force)', from(env, (m) => m.remove), ['rm']);
    add(environments, 'gateways <env>', 'list the gateways of an environment', from(env, (m) => m.gateways));
  });

  group(program, 'gateway', 'manage gateways', ['gw'], (gateways) => {
    add(gateways, 'register <name>', 'register a gateway; its connectivity and health are checked before it is stored', from(gw, (m) => m.register));
    add(gateways, 'list', 'list gateways, filtered as the seed’s environment query', from(gw, (m) => m.list), ['ls']);
    add(gateways, 'get <gateway>', 'show one gateway (by name or uuid)', from(gw, (m) => m.get));
    add(gateways, 'update <gateway>', 'change a gateway’s display name or adapter settings (a changed URL is checked again)', from(gw, (m) => m.update));
    add(gateways, 'delete <gateway>', 'decommission a gateway (refused while resources are deployed to it, unless --drain)', from(gw, (m) => m.remove), ['rm']);
    add(
      gateways,
      'health <gateway>',
      'check a gateway’s health now (exit 0 when ACTIVE, 6 when not: see agentgw help exit-codes); or follow the status the health monitor records, or list its transitions',
      from(gw, (m) => m.health),
    );
    add(gateways, 'metrics <gateway>', 'resource counts and request rates of a gateway (exit 1 when the gateway could not be read)', from(gw, (m) => m.metrics));
    group(gateways, 'env', 'a gateway’s environments', (gatewayEnvironments) => {
      add(gatewayEnvironments, 'add <gateway> <env>', 'put a gateway in an environment', from(gw, (m) => m.addEnvironment));
      add(gatewayEnvironments, 'remove <gateway> <env>', 'take a gateway out of an environment', from(gw, (m) => m.removeEnvironment), ['rm']);
      add(gatewayEnvironments, 'list <gateway>', 'list a gateway’s environments', from(gw, (m) => m.listEnvironments), ['ls']);
    });
  });

  add(program, 'serve', 'run the daemon: the REST API on 127.0.0.1:8080 (migrates the database first)', from(() => import('./commands/serve.js'), (m) => m.serve));
  group(program, 'token', 'API tokens for the daemon (local mode: they work on the database)', (tokens) => {
    add(tokens, 'create <name>', 'create a token; it is printed once, only its digest is stored', from(token, (m) => m.create));
    add(tokens, 'list', 'list tokens (never the tokens themselves)', from(token, (m) => m.list), ['ls']);
    add(tokens, 'revoke <name>', 'revoke a token at once', from(token, (m) => m.revoke));
  });

  add(
    program,
    'dashboard',
    'interactive view of the gateways: status, response times, metrics, environments (needs a terminal)',
    from(() => import('./commands/dashboard.js'), (m) => m.dashboardCommand),
  );

  add(
    program,
    'apply',
    'add or update resources from gateway-controller manifests (YAML or JSON, one or many documents); a changed manifest is a new revision. ' +
      '${VAR} in a manifest is replaced from the environment here, before it is sent; secret fields (API keys, Secret values) are stored encrypted and read back as {set: true}',
    from(resources, (m) => m.apply),
  );
  group(program, 'resource', 'resources kept by the control plane (add them with: agentgw apply)', (resource) => {
    add(resource, 'list', 'list resources and their latest revisions', from(resources, (m) => m.list), ['ls']);
    add(
      resource,
      'get <resource>',
      'print a resource’s manifest as YAML, as apply -f takes it (Kind/name, or a name only one kind has); -o json|yaml: the REST resource',
      from(resources, (m) => m.get),
    );
    add(resource, 'history <resource>', 'every revision of a resource: time, actor, and what changed (secret values never shown)', from(rollouts, (m) => m.history));
    add(resource, 'delete <resource>', 'delete a resource and its revisions (refused while it is deployed)', from(resources, (m) => m.remove), ['rm']);
  });
  add(
    program,
    'deploy <resource>',
    'deploy a resource (Kind/name) to every fitting gateway of an environment, or to one gateway; only what differs is sent',
    from(deploying, (m) => m.deploy),
  );
  add(program, 'undeploy <resource>', 'take a resource off every gateway of an environment, or off one gateway', from(deploying, (m) => m.undeploy));
  add(
    program,
    'rollback <resource>',
    'deploy an earlier revision (the one before the latest, or --to-revision N) to every gateway of an environment, or one gateway, that runs another one',
    from(rollouts, (m) => m.rollback),
  );
  group(program, 'rollout', 'progressive rollouts (start one with: agentgw deploy … --strategy canary)', (rollout) => {
    add(rollout, 'list', 'list rollouts, newest first', from(rollouts, (m) => m.list), ['ls']);
    add(rollout, 'status <id>', 'a rollout: its waves, their gate results and why it stopped', from(rollouts, (m) => m.status));
    add(rollout, 'pause <id>', 'stop a running rollout after its current step', from(rollouts, (m) => m.pause));
    add(rollout, 'resume <id>', 'continue a paused rollout, or one whose process was killed, and follow it', from(rollouts, (m) => m.resume));
    add(rollout, 'abort <id>', 'stop a rollout for good and roll its completed waves back (unless started with --no-rollback)', from(rollouts, (m) => m.abort));
  });
  add(program, 'deployments', 'which resources are deployed to which gateways', from(() => import('./commands/deployments.js'), (m) => m.deployments));
  add(program, 'diff', 'drift: what the gateways of an environment hold against what agentgw deployed there', from(() => import('./commands/diff.js'), (m) => m.diff));

  group(program, 'migrate', 'database schema migrations', (migrations) => {
    add(migrations, 'status', 'list migrations and whether each is applied', from(migrate, (m) => m.status));
    add(migrations, 'up', 'apply pending migrations (safe when several processes run it at once)', from(migrate, (m) => m.up));
  });

  const events = () => import('./commands/events.js');
  add(program, 'events', 'the event log: every change and status change, oldest first (since 1h unless --since)', from(events, (m) => m.events));
  add(program, 'audit', 'who changed what: the event log without the health monitor’s status changes', from(events, (m) => m.auditLog));
  const webhook = () => import('./commands/webhook.js');
  group(program, 'webhook', 'webhooks: signed POSTs of events to a URL, sent by the daemon (see docs/webhooks.md)', (webhooks) => {
    add(webhooks, 'create <name>', 'create a webhook; without --secret-stdin a signing secret is generated and printed once', from(webhook, (m) => m.create));
    add(webhooks, 'list', 'list webhooks (never their secrets)', from(webhook, (m) => m.list), ['ls']);
    add(webhooks, 'get <name>', 'show one webhook', from(webhook, (m) => m.get));
    add(webhooks, 'delete <name>', 'delete a webhook and its delivery log', from(webhook, (m) => m.remove), ['rm']);
    add(webhooks, 'deliveries <name>', 'the delivery log: each event sent, its attempts and the last answer', from(webhook, (m) => m.deliveries));
  });

  group(program, 'config', 'configuration', (config) => {
    add(config, 'show', 'the effective configuration, where each value came from, secrets redacted', from(() => import('./commands/config.js'), (m) => m.show));
  });

  group(program, 'dev', 'tools for trying agentgw without real gateways', (tools) => {
    add(
      tools,
      'gateway-sim',
      'run simulated gateway-controllers shaped like real ones: the management API on --port, the admin API (health) on --admin-port; each gateway under /gateways/NAME on both, or at the root with --single',
      from(dev, (m) => m.gatewaySimCommand),
    );
    add(tools, 'cloud-sim', 'run a simulated cloud provider that provisions simulated gateway-controllers', from(dev, (m) => m.cloudSimCommand));
  });
  add(
    program,
    'completion <shell>',
    'print shell completion for bash, zsh or fish: commands, aliases, flags, and the names of gateways, environments and resources',
    from(() => import('./commands/completion.js'), (m) => m.completion),
  );
  add(program, 'help [topic...]', 'help for a command, or a topic: exit-codes, errors', async () => helpCommand(program));
  return program;
}

/** `agentgw help TOPIC` or `agentgw help COMMAND…`: about the tree itself, so assembled here. */
function helpCommand(program: Command): CommandSpec<[topic: string[]]> {
  return {
    examples: ['agentgw help exit-codes', 'agentgw help errors', 'agentgw help gateway register'],
    async run({ io }, [topic]) {
      const { HELP_TOPICS } = await import('./commands/help-topics.js');
      const name = topic.join(' ');
      const text = HELP_TOPICS[name];
      if (text) {
        io.stdout.write(text());
        return;
      }
      let target: Command = program;
      for (const word of topic) {
        await loadCommand(target);
        const next = target.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!next) throw new UsageError(`no help for "${name}"`, { hint: `topics: ${Object.keys(HELP_TOPICS).join(', ')}; or a command name` });
        target = next;
      }
      await loadTree(target);
      target.outputHelp();
    },
  };
}

/** Runs the CLI; resolves with the exit code instead of exiting, so tests can call it. */
/**
 * An exception no command caught (thrown from a stray callback, such as a custom adapter's
 * timer) ends as a bug reportError reports, in one line, where Node would print the bundle's
 * minified source line. Called once per process by the launcher. `serve` handles these itself
 * (some are not fatal to a daemon): with another listener present, this one leaves it to that.
 */
export function reportUncaughtExceptions(io: IO = processIO()): void {
  const listener = (error: Error) => {
    if (process.listenerCount('uncaughtException') > 1) return;
    reportBug(error, io);
    process.exit(ExitCode.failure);
  };
  process.on('uncaughtException', listener);
}

/** For the launcher: whether to keep no code cache from this run (src/runtime/one-off-work.ts). */
export { ranOneOffWork } from './runtime/one-off-work.js';

/** For the launcher: the SQL statements a command compiled, kept from one run to the next. */
export function rememberStatements(text: string): void {
  STATEMENTS.remember(text);
}
export function statementsToRemember(): string | undefined {
  return STATEMENTS.toRemember();
}

export async function main(argv: string[], io: IO = processIO()): Promise<number> {
  // The shell's completion asks before commander parses anything: the words are not this run's flags.
  if (argv[2] === '__complete') {
    await (await import('./commands/completion.js')).completeCommand(argv.slice(3), io);
    return ExitCode.ok;
  }
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    return reportError(error, io);
  }
}
