/**
 * `agentgw diff --env NAME [--exit-code]`: what the gateways of an environment hold against what
 * the control plane wants there. With --exit-code, drift ends the command with exit 2 (for CI).
 */
import { AgentgwError } from '../domain/errors.js';
import type { DriftItem } from '../domain/resources.js';
import { printList, type Column } from '../output/format.js';
import { withContext } from './run.js';
import { defineCommand, type Invocation } from './define.js';

export const diff = defineCommand<[], { env: string; exitCode?: boolean }>({
  flags: (command) => command.requiredOption('--env <env>', 'the environment to check').option('--exit-code', 'exit 2 when there is drift (for CI)'),
  notes: '\nColumns (piped: tab-separated, no header):\n  GATEWAY  DRIFT  RESOURCE  DETAIL\n  -o wide adds: WANTED  HELD\n',
  examples: ['agentgw diff --env production', 'agentgw diff --env production --exit-code -o json'],
  run: (invocation, _args, flags) => diffCommand(invocation, flags),
});

async function diffCommand(invocation: Invocation, flags: { env: string; exitCode?: boolean }): Promise<void> {
  await withContext(invocation, async (context) => {
    const report = await (await context.client()).deployments.drift(flags.env);
    const rows = report.items.map((item) => ({ ...item, resource: item.kind === null ? '-' : `${item.kind}/${item.name}`, name: item.kind === null ? item.gateway : `${item.kind}/${item.name}@${item.gateway}` }));
    await printList(context.output, rows, COLUMNS, report);
    if (report.inSync) {
      context.stderr(`environment ${report.environment.name} is in sync (${report.gatewaysChecked} gateway(s) checked)`);
      return;
    }
    const counts = Object.entries(report.summary)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ');
    const gateways = new Set(report.items.map((i) => i.gateway)).size;
    context.stderr(`drift in environment ${report.environment.name} on ${gateways} of ${report.gatewaysChecked} gateway(s): ${counts}`);
    if (flags.exitCode) {
      throw new AgentgwError('AGW_DRIFT', `environment ${report.environment.name} has drifted (${counts})`, {
        hint: `re-deploy what is missing or outdated: agentgw deploy RESOURCE --env ${report.environment.name}`,
      });
    }
  });
}

/** Piped: GATEWAY DRIFT RESOURCE DETAIL, tab-separated; -o wide adds WANTED HELD. */
const COLUMNS: Column<DriftItem & { name: string; resource: string }>[] = [
  { header: 'GATEWAY', value: (i) => i.gateway, identifier: true },
  { header: 'DRIFT', value: (i) => i.drift, priority: 9 },
  { header: 'RESOURCE', value: (i) => i.resource, identifier: true },
  { header: 'DETAIL', value: (i) => i.detail, text: true, priority: 8 },
  { header: 'WANTED', value: (i) => (i.expectedRevision === null ? '-' : String(i.expectedRevision)), wide: true },
  { header: 'HELD', value: (i) => (i.actualRevision === null ? '-' : String(i.actualRevision)), wide: true },
];
