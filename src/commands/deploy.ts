/**
 * `agentgw deploy RESOURCE --env NAME|--gateway NAME` and `agentgw undeploy …`: progress on
 * stderr (a spinner on a terminal, a line per gateway otherwise), a per-gateway result table on
 * stdout, exit 1 when any target failed.
 */
import { AgentgwError, ExitCode, UsageError } from '../domain/errors.js';
import type { DeployReport, TargetResult } from '../domain/resources.js';
import type { DeployProgress } from '../services/deployments.js';
import { printList, type Column } from '../output/format.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { withContext } from './run.js';

interface TargetFlags {
  env?: string;
  gateway?: string;
  concurrency?: string;
}

export async function deployCommand(globals: GlobalOptions, resource: string, flags: TargetFlags & { dryRun?: boolean }): Promise<void> {
  const request = { resource, ...target(flags), ...(flags.dryRun ? { dryRun: true } : {}) };
  await withContext(globals, async (context) => {
    const client = await context.client();
    const progress = await startProgress(context, flags.dryRun ? `planning ${resource}` : `deploying ${resource}`, client.describe().mode);
    let report: DeployReport;
    try {
      report = await client.deployments.deploy(request, { onProgress: progress.update });
    } finally {
      progress.stop();
    }
    await finish(context, report);
  });
}

export async function undeployCommand(globals: GlobalOptions, resource: string, flags: TargetFlags): Promise<void> {
  const request = { resource, ...target(flags) };
  await withContext(globals, async (context) => {
    const client = await context.client();
    const progress = await startProgress(context, `undeploying ${resource}`, client.describe().mode);
    let report: DeployReport;
    try {
      report = await client.deployments.undeploy(request, { onProgress: progress.update });
    } finally {
      progress.stop();
    }
    await finish(context, report);
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

async function finish(context: CommandContext, report: DeployReport): Promise<void> {
  const rows = report.results.map((r) => ({ ...r, name: r.gateway }));
  await printList(context.output, rows, RESULT_COLUMNS, report);
  const { summary, resource } = report;
  const where = report.target.environment === undefined ? `gateway ${report.target.gateway}` : `environment ${report.target.environment}`;
  const verb = report.dryRun ? 'plan for' : report.operation === 'deploy' ? 'deployed' : 'undeployed';
  const changed = report.dryRun ? 'to change' : 'changed';
  context.stderr(
    `${verb} ${resource.kind}/${resource.name} (revision ${resource.revision}) ${report.operation === 'undeploy' ? 'from' : 'to'} ${where}: ` +
      `${summary.changed} ${changed}, ${summary.unchanged} unchanged, ${summary.skipped} skipped, ${summary.failed} failed`,
  );
  if (summary.failed > 0) {
    throw new AgentgwError(
      'AGW_DEPLOY_INCOMPLETE',
      502,
      ExitCode.failure,
      report.dryRun ? `${summary.failed} of ${summary.total} gateway(s) could not be reached` : `${summary.failed} of ${summary.total} gateway(s) failed`,
      { hint: report.dryRun ? 'see the ERROR column' : 'fix them and run the same command again: only what differs is sent' },
    );
  }
}

const RESULT_COLUMNS: Column<TargetResult & { name: string }>[] = [
  { header: 'GATEWAY', value: (r) => r.gateway },
  { header: 'ACTION', value: (r) => r.action },
  { header: 'STATUS', value: (r) => r.status ?? '-' },
  { header: 'REVISION', value: (r) => String(r.revision) },
  { header: 'RESULT', value: (r) => (r.ok ? (r.detail ?? 'ok') : (r.error ?? 'failed')) },
  { header: 'GATEWAY ID', value: (r) => r.gatewayId, wide: true },
];

interface Progress {
  update: (progress: DeployProgress) => void;
  stop: () => void;
}

/**
 * A spinner with counts on a terminal; off a terminal, one line per finished gateway. A daemon
 * reports nothing until the deploy is done, so remote mode says that it is waiting.
 */
async function startProgress(context: CommandContext, title: string, mode: 'local' | 'remote'): Promise<Progress> {
  const tty = process.stderr.isTTY === true && context.output.isTTY;
  if (mode === 'remote' && !tty) return { update: () => {}, stop: () => {} };
  if (!tty) {
    return {
      update: ({ done, total, result }) => {
        const outcome = result.ok ? `${result.action}${result.status === null ? '' : ` ${result.status}`}` : `FAILED: ${result.error ?? 'failed'}`;
        process.stderr.write(`[${done}/${total}] ${result.gateway} ${outcome}\n`);
      },
      stop: () => {},
    };
  }
  const { default: ora } = await import('ora');
  const spinner = ora({ text: mode === 'remote' ? `${title} (the daemon answers when it is done)…` : `${title}…`, stream: process.stderr }).start();
  let failed = 0;
  return {
    update: ({ done, total, result }) => {
      if (!result.ok) failed++;
      spinner.text = `${title}: ${done}/${total}${failed > 0 ? ` (${failed} failed)` : ''}`;
    },
    stop: () => {
      if (spinner.isSpinning) spinner.stop();
    },
  };
}
