/** `agentgw deployments [--env|--gateway|--resource] [--matrix]`: what runs where. */
import { UsageError } from '../domain/errors.js';
import type { Deployment, DeploymentMatrix, MatrixCell } from '../domain/resources.js';
import { age } from '../output/age.js';
import { isPersonReadingTable, printList, type Column } from '../output/format.js';
import { withContext } from './run.js';
import { defineCommand, type Invocation } from './define.js';

interface DeploymentsFlags {
  env?: string;
  gateway?: string;
  resource?: string;
  matrix?: boolean;
}

export const deployments = defineCommand<[], DeploymentsFlags>({
  flags: (command) =>
    command
      .option('--env <env>', 'on the gateways of this environment')
      .option('--gateway <gateway>', 'on this gateway')
      .option('--resource <resource>', 'of this resource (Kind/name)')
      .option('--matrix', 'a gateway × resource table of an environment (needs --env)'),
  notes:
    '\nColumns (piped: tab-separated, no header):\n  RESOURCE  GATEWAY  STATUS  REVISION  UPDATED\n  -o wide adds: ERROR  UUID\n' +
    '  --matrix: GATEWAY, then one column per resource deployed in the environment (Kind/name); -o wide adds TYPE after GATEWAY\n',
  examples: ['agentgw deployments --env production', 'agentgw deployments --matrix --env production', 'agentgw deployments --gateway prod-gw-1 -o json'],
  run: (invocation, _args, flags) => deploymentsCommand(invocation, flags),
});

async function deploymentsCommand(invocation: Invocation, flags: DeploymentsFlags): Promise<void> {
  if (flags.matrix) {
    if (flags.env === undefined) throw new UsageError('--matrix needs --env NAME', { hint: 'agentgw deployments --matrix --env production' });
    if (flags.gateway !== undefined || flags.resource !== undefined) throw new UsageError('--matrix shows a whole environment: drop --gateway and --resource');
    const environment = flags.env;
    await withContext(invocation, async (context) => {
      const matrix = await (await context.client()).deployments.matrix(environment);
      const rows = matrix.gateways.map((g) => ({ ...g, cells: matrix.resources.map((r) => r.cells[g.name] ?? null) }));
      await printList(context.output, rows, matrixColumns(matrix), matrix, { empty: `No gateways in environment ${matrix.environment.name}.` });
      if (rows.length > 0 && matrix.resources.length === 0 && isPersonReadingTable(context.output)) context.stderr(`Nothing is deployed in environment ${matrix.environment.name}.`);
    });
    return;
  }
  await withContext(invocation, async (context) => {
    const deployments = await (await context.client()).deployments.list({
      ...(flags.env === undefined ? {} : { environment: flags.env }),
      ...(flags.gateway === undefined ? {} : { gateway: flags.gateway }),
      ...(flags.resource === undefined ? {} : { resource: flags.resource }),
    });
    await printList(context.output, deployments, COLUMNS, { deployments }, { empty: noDeployments(flags) });
  });
}

/** Piped: RESOURCE GATEWAY STATUS REVISION UPDATED, tab-separated; -o wide adds ERROR UUID. */
const COLUMNS: Column<Deployment>[] = [
  { header: 'RESOURCE', value: (d) => `${d.resource.kind}/${d.resource.name}`, identifier: true },
  { header: 'GATEWAY', value: (d) => d.gateway.name, identifier: true },
  { header: 'STATUS', value: (d) => d.status, status: true, priority: 9 },
  { header: 'REVISION', value: (d) => revision(d.deployedRevision, d.resource.revision), priority: 8 },
  { header: 'UPDATED', value: (d) => age(d.updatedAt), priority: 7 },
  { header: 'ERROR', value: (d) => d.errorMessage ?? '', wide: true, text: true },
  { header: 'UUID', value: (d) => d.uuid, wide: true },
];

function noDeployments(flags: DeploymentsFlags): string {
  const where = [
    flags.resource === undefined ? '' : ` of ${flags.resource}`,
    flags.gateway === undefined ? '' : ` on gateway ${flags.gateway}`,
    flags.env === undefined ? '' : ` in environment ${flags.env}`,
  ].join('');
  return `No deployments found${where}.`;
}

/** "2" when the gateway holds the latest, "1 (latest 2)" when it lags, "-" when it holds none. */
function revision(deployed: number | null, latest: number): string {
  if (deployed === null) return '-';
  return deployed === latest ? String(deployed) : `${deployed} (latest ${latest})`;
}

type MatrixRow = DeploymentMatrix['gateways'][number] & { cells: Array<MatrixCell | null> };

/** One row per gateway, one column per resource (resources are few, gateways many). */
function matrixColumns(matrix: DeploymentMatrix): Column<MatrixRow>[] {
  return [
    { header: 'GATEWAY', value: (g) => g.name, identifier: true },
    { header: 'TYPE', value: (g) => g.type, wide: true },
    ...matrix.resources.map((resource, i) => ({ header: `${resource.kind}/${resource.name}`, value: (g: MatrixRow) => cell(g.cells[i] ?? null), identifier: true, status: true })),
  ];
}

function cell(value: MatrixCell | null): string {
  if (value === null || value.status === 'UNDEPLOYED') return '-';
  if (value.status === 'DEPLOYED') return value.current ? `r${value.deployedRevision}` : `r${value.deployedRevision} (old)`;
  return value.status;
}
