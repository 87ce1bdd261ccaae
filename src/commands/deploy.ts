/**
 * `agentgw deploy RESOURCE --env NAME|--gateway NAME` and `agentgw undeploy …`: progress on
 * stderr, a per-gateway result table on stdout, exit 1 when any target failed.
 *
 * Progress reads the same everywhere: one `[n/N] gateway result` line per gateway when stderr is
 * piped; at a terminal a spinner carries the latest of those lines and the failures so far, and
 * each failure stays on screen as its own line.
 *
 * Ctrl-C stops launching gateway calls: the calls in flight finish and are recorded, the gateways
 * not called keep the records they had, the table says which is which, and the command exits 130.
 * A second Ctrl-C stops at once (the rows of calls still in flight are settled by the next deploy
 * or by `agentgw serve`). Over a daemon the deploy runs in the daemon, which carries on.
 */
import { AgentgwError, ExitCode, InterruptedError, UsageError } from '../domain/errors.js';
import type { DeployReport, TargetResult } from '../domain/resources.js';
import type { DeployOptions, DeployProgress } from '../services/deployments/index.js';
import { paint } from '../output/color.js';
import { printList, type Column } from '../output/format.js';
import { startSpinner } from '../output/spinner.js';
import type { CommandContext } from './context.js';
import { withContext } from './run.js';
import { defineCommand, type Invocation } from './define.js';
import { rolloutDeployCommand, strategyFlags, wantsRollout, type StrategyFlags } from './rollouts.js';

interface TargetFlags {
  env?: string;
  gateway?: string;
  concurrency?: string;
  dryRun?: boolean;
}

/** The columns and the progress of deploy and undeploy, in their --help. */
const NOTES =
  '\nColumns (piped: tab-separated, no header):\n  GATEWAY  ACTION  STATUS  REVISION  RESULT\n  -o wide adds: GATEWAY ID\n' +
  '\nProgress goes to stderr: a line per gateway ([n/N] gateway result), or a spinner with the same line at a terminal.\n' +
  'Ctrl-C stops calling gateways: the calls in flight finish and are recorded, the rest keep their records (exit 130).\n';

export const deploy = defineCommand<[resource: string], TargetFlags & StrategyFlags>({
  flags: (command) =>
    strategyFlags(command)
      .option('--env <env>', 'every gateway of this environment that fits the kind (AI kinds: EGRESS, RestApi: INGRESS)')
      .option('--gateway <gateway>', 'this gateway only')
      .option('--dry-run', 'print the plan (create, update, no-op, unreachable) and change nothing')
      .option('--concurrency <n>', 'gateways called at once (default 32)'),
  notes: NOTES,
  examples: [
    'agentgw deploy LlmProvider/openai-provider --env staging',
    "agentgw deploy LlmProvider/openai-provider --env production --strategy canary --steps 1,25%,100% --pause 2m --gate health=ACTIVE --gate 'errorRate<1%'",
    'agentgw deploy openai-provider --env production --dry-run',
    'agentgw deploy RestApi/echo --gateway edge-1 -o json',
  ],
  run: (invocation, [resource], flags) => deployCommand(invocation, resource, flags),
});

async function deployCommand(invocation: Invocation, resource: string, flags: TargetFlags & StrategyFlags): Promise<void> {
  if (wantsRollout(flags)) return rolloutDeployCommand(invocation, resource, flags);
  const request = { resource, ...target(flags), ...(flags.dryRun ? { dryRun: true } : {}) };
  await withContext(invocation, async (context) => {
    const client = await context.client();
    const title = flags.dryRun ? `planning ${resource}` : `deploying ${resource}`;
    await finish(context, await run(context, title, client.describe().mode, resource, (options) => client.deployments.deploy(request, options)));
  });
}

export const undeploy = defineCommand<[resource: string], TargetFlags>({
  flags: (command) =>
    command
      .option('--env <env>', 'every gateway of this environment')
      .option('--gateway <gateway>', 'this gateway only')
      .option('--dry-run', 'print what would be removed (asking each gateway) and change nothing')
      .option('--concurrency <n>', 'gateways called at once (default 32)'),
  notes: NOTES,
  examples: ['agentgw undeploy LlmProvider/openai-provider --env staging --dry-run', 'agentgw undeploy LlmProvider/openai-provider --env staging'],
  run: (invocation, [resource], flags) => undeployCommand(invocation, resource, flags),
});

async function undeployCommand(invocation: Invocation, resource: string, flags: TargetFlags): Promise<void> {
  const request = { resource, ...target(flags), ...(flags.dryRun ? { dryRun: true } : {}) };
  await withContext(invocation, async (context) => {
    const client = await context.client();
    const title = flags.dryRun ? `planning the removal of ${resource}` : `undeploying ${resource}`;
    await finish(context, await run(context, title, client.describe().mode, resource, (options) => client.deployments.undeploy(request, options)));
  });
}

function target(flags: TargetFlags): { environment?: string; gateway?: string; concurrency?: number } {
  if ((flags.env === undefined) === (flags.gateway === undefined)) {
    throw new UsageError('name the target: --env NAME or --gateway NAME (one of them)', { hint: 'agentgw deploy LlmProvider/openai --env staging' });
  }
  let concurrency: number | undefined;
  if (flags.concurrency !== undefined) {
    if (!/^\d+$/.test(flags.concurrency) || Number(flags.concurrency) < 1) throw new UsageError(`--concurrency: expected a whole number ≥ 1, got "${flags.concurrency}"`);
    concurrency = Number(flags.concurrency);
  }
  return {
    ...(flags.env === undefined ? {} : { environment: flags.env }),
    ...(flags.gateway === undefined ? {} : { gateway: flags.gateway }),
    ...(concurrency === undefined ? {} : { concurrency }),
  };
}

/** Runs the deploy with progress on stderr, and with Ctrl-C asking it to stop. */
async function run(
  context: CommandContext,
  title: string,
  mode: 'local' | 'remote',
  resource: string,
  deploy: (options: DeployOptions) => Promise<DeployReport>,
): Promise<DeployReport> {
  const progress = await startProgress(context, title, mode);
  const stop = new AbortController();
  const onInterrupt = () => {
    if (mode === 'remote') {
      progress.stop();
      context.stderr(`stopped waiting; the daemon carries on with it. Follow it with: agentgw deployments --resource ${resource}`);
      process.exit(ExitCode.interrupted);
    }
    if (stop.signal.aborted) {
      progress.stop();
      context.stderr('stopped at once; the deployments still in flight are settled by the next deploy (or by agentgw serve)');
      process.exit(ExitCode.interrupted);
    }
    stop.abort();
    progress.print('interrupted: no further gateway is called; waiting for the calls in flight (Ctrl-C again to stop at once)…');
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await deploy({ onProgress: progress.update, signal: stop.signal });
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.stop();
  }
}

export async function finish(context: CommandContext, report: DeployReport): Promise<void> {
  const rows = report.results.map((r) => ({ ...r, name: r.gateway }));
  await printList(context.output, rows, RESULT_COLUMNS, report, { empty: `No gateways to ${report.operation === 'deploy' ? 'deploy to' : 'undeploy from'}.` });
  const { summary, resource } = report;
  const where = report.target.environment === undefined ? `gateway ${report.target.gateway}` : `environment ${report.target.environment}`;
  const notCalled = report.results.filter((r) => r.interrupted === true).length;
  const done = report.operation === 'deploy' ? 'deployed' : 'undeployed';
  const verb = report.dryRun ? 'plan for' : report.interrupted ? `interrupted: ${done}` : done;
  const changed = report.dryRun ? 'to change' : 'changed';
  context.stderr(
    `${verb} ${resource.kind}/${resource.name} (revision ${resource.revision}) ${report.operation === 'undeploy' ? 'from' : 'to'} ${where}: ` +
      `${summary.changed} ${changed}, ${summary.unchanged} unchanged, ${summary.skipped} skipped, ${summary.failed} failed` +
      (notCalled > 0 ? `, ${notCalled} not called (their records are as they were; run the same command again to finish)` : ''),
  );
  if (report.interrupted) throw new InterruptedError(report.operation);
  if (summary.failed > 0) {
    throw new AgentgwError(
      'AGW_DEPLOY_INCOMPLETE',
      report.dryRun ? `${summary.failed} of ${summary.total} gateway(s) could not be reached` : `${summary.failed} of ${summary.total} gateway(s) failed`,
      { hint: report.dryRun ? 'see the RESULT column' : 'fix them and run the same command again: only what differs is sent' },
    );
  }
}

/** Piped: GATEWAY ACTION STATUS REVISION RESULT, tab-separated; -o wide adds GATEWAY ID. */
const RESULT_COLUMNS: Column<TargetResult & { name: string }>[] = [
  { header: 'GATEWAY', value: (r) => r.gateway, identifier: true },
  { header: 'ACTION', value: (r) => r.action, priority: 8 },
  { header: 'STATUS', value: (r) => r.status ?? '-', status: true, priority: 7 },
  { header: 'REVISION', value: (r) => String(r.revision), priority: 5 },
  { header: 'RESULT', value: (r) => (r.ok ? (r.detail ?? 'ok') : (r.error ?? r.detail ?? 'failed')), text: true, priority: 9 },
  { header: 'GATEWAY ID', value: (r) => r.gatewayId, wide: true },
];

interface Progress {
  update: (progress: DeployProgress) => void;
  print: (line: string) => void;
  stop: () => void;
}

/** One gateway's outcome, as a progress line says it. */
function progressLine({ done, total, result }: DeployProgress): string {
  const outcome = result.ok ? `${result.action}${result.status === null ? '' : ` ${result.status}`}` : `FAILED: ${result.error ?? 'failed'}`;
  return `[${done}/${total}] ${result.gateway} ${outcome}`;
}

/**
 * At a terminal, a spinner with the latest gateway's line and the failures so far; failures also
 * stay on screen. Piped, one line per finished gateway. A daemon reports nothing until the deploy
 * is done, so remote mode says that it is waiting (at a terminal) or stays quiet (piped).
 */
async function startProgress(context: CommandContext, title: string, mode: 'local' | 'remote'): Promise<Progress> {
  const { io } = context;
  const tty = io.stderr.isTTY === true && io.stdout.isTTY === true;
  if (!tty) {
    return {
      update: (progress) => {
        if (mode === 'local') context.stderr(progressLine(progress));
      },
      print: context.stderr,
      stop: () => {},
    };
  }
  const spinner = await startSpinner(io, mode === 'remote' ? `${title} (the daemon answers when it is done)…` : `${title}…`);
  const color = context.output.color;
  let failed = 0;
  return {
    update: (progress) => {
      const line = progressLine(progress);
      if (!progress.result.ok) {
        failed++;
        spinner.print(paint(line, 'red', color));
      }
      spinner.text(`${title}: ${line}${failed > 0 ? ` · ${paint(`${failed} failed`, 'red', color)}` : ''}`);
    },
    print: spinner.print,
    stop: spinner.stop,
  };
}
