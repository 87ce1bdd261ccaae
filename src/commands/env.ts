/** `agentgw env …`: environments. */
import { UsageError } from '../domain/errors.js';
import { environmentHasDeployments, environmentInUse } from '../domain/refusals.js';
import type { Environment } from '../domain/types.js';
import { age, when } from '../output/age.js';
import { printList, printResource, type Column } from '../output/format.js';
import { confirm } from '../output/prompt.js';
import { columnsOf, defineCommand } from './define.js';
import { GATEWAY_COLUMNS, GATEWAY_LIST_COLUMNS } from './gateway-columns.js';
import { withContext } from './run.js';

/** Piped: NAME DISPLAY NAME DESCRIPTION AGE, tab-separated; -o wide adds UUID. */
const COLUMNS: Column<Environment>[] = [
  { header: 'NAME', value: (e) => e.name, identifier: true },
  { header: 'DISPLAY NAME', value: (e) => e.displayName, text: true, priority: 4 },
  { header: 'DESCRIPTION', value: (e) => e.description ?? '', text: true, priority: 2 },
  { header: 'AGE', value: (e) => age(e.createdAt), priority: 3 },
  { header: 'UUID', value: (e) => e.uuid, wide: true },
];

const FIELDS: Column<Environment>[] = [
  { header: 'Name', value: (e) => e.name },
  { header: 'Display name', value: (e) => e.displayName },
  { header: 'Description', value: (e) => e.description ?? '' },
  { header: 'UUID', value: (e) => e.uuid },
  { header: 'Created', value: (e) => when(e.createdAt) },
  { header: 'Updated', value: (e) => when(e.updatedAt) },
];

interface DescribeFlags {
  displayName?: string;
  description?: string;
}

export const create = defineCommand<[name: string], DescribeFlags>({
  flags: (command) =>
    command.option('--display-name <text>', 'human-readable name (default: the name)').option('--description <text>', 'what the environment is for'),
  examples: ['agentgw env create staging --display-name "Staging"'],
  async run(invocation, [name], options) {
    await withContext(invocation, async (context) => {
      const client = await context.client();
      const created = await client.environments.create({
        name,
        ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
        ...(options.description === undefined ? {} : { description: options.description }),
      });
      await printResource(context.output, created, FIELDS);
    });
  },
});

export const list = defineCommand({
  notes: columnsOf(COLUMNS),
  examples: ['agentgw env list', 'agentgw env list -o json'],
  async run(invocation) {
    await withContext(invocation, async (context) => {
      const environments = await (await context.client()).environments.list();
      await printList(context.output, environments, COLUMNS, { environments }, { empty: 'No environments. Create one with: agentgw env create NAME' });
    });
  },
});

export const get = defineCommand<[ref: string]>({
  examples: ['agentgw env get production -o yaml'],
  async run(invocation, [ref]) {
    await withContext(invocation, async (context) => {
      await printResource(context.output, await (await context.client()).environments.get(ref), FIELDS);
    });
  },
});

export const update = defineCommand<[ref: string], DescribeFlags>({
  flags: (command) => command.option('--display-name <text>', 'new display name').option('--description <text>', 'new description'),
  examples: ['agentgw env update staging --description "pre-production checks"'],
  async run(invocation, [ref], options) {
    if (options.displayName === undefined && options.description === undefined) {
      throw new UsageError('nothing to update', { hint: 'pass --display-name or --description' });
    }
    await withContext(invocation, async (context) => {
      const updated = await (await context.client()).environments.update(ref, {
        ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
        ...(options.description === undefined ? {} : { description: options.description }),
      });
      await printResource(context.output, updated, FIELDS);
    });
  },
});

export const remove = defineCommand<[ref: string], { force?: boolean; yes?: boolean }>({
  flags: (command) => command.option('--force', 'remove its gateway mappings first').option('-y, --yes', 'do not ask for confirmation'),
  examples: ['agentgw env delete staging --yes', 'agentgw env delete staging --force --yes'],
  async run(invocation, [ref], options) {
    await withContext(invocation, async (context) => {
      const client = await context.client();
      const environment = await client.environments.get(ref);
      // Refused before asking: a question whose "yes" would fail anyway wastes the person's answer.
      const live = (await client.deployments.list({ environment: environment.uuid })).filter((d) => d.status !== 'UNDEPLOYED' && (d.status !== 'FAILED' || d.deployedRevision !== null));
      if (live.length > 0) throw environmentHasDeployments(environment.name, live.map((d) => d.name));
      if (!options.force) {
        const gateways = await client.environments.gateways(environment.uuid);
        if (gateways.length > 0) throw environmentInUse(environment.name, gateways.map((g) => g.name));
      }
      await confirm(context.io, `delete environment "${environment.name}"${options.force ? ' and remove its gateway mappings' : ''}?`, { yes: options.yes });
      await client.environments.delete(environment.uuid, { force: options.force === true });
      context.stderr(`environment "${environment.name}" deleted`);
    });
  },
});

export const gateways = defineCommand<[ref: string]>({
  notes: GATEWAY_LIST_COLUMNS,
  examples: ['agentgw env gateways production -o wide'],
  async run(invocation, [ref]) {
    await withContext(invocation, async (context) => {
      const gateways = await (await context.client()).environments.gateways(ref);
      await printList(context.output, gateways, GATEWAY_COLUMNS, { gateways }, { empty: `No gateways in environment ${ref}. Add one with: agentgw gateway env add GATEWAY ${ref}` });
    });
  },
});
