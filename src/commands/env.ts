/** `agentgw env …`: environments. */
import { UsageError } from '../domain/errors.js';
import { environmentHasDeployments, environmentInUse } from '../domain/refusals.js';
import type { Environment } from '../domain/types.js';
import { age, when } from '../output/age.js';
import { printList, printResource, type Column } from '../output/format.js';
import { confirm } from '../output/prompt.js';
import type { GlobalOptions } from './context.js';
import { GATEWAY_COLUMNS } from './gateway-columns.js';
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

export async function createEnvironment(globals: GlobalOptions, name: string, options: { displayName?: string; description?: string }): Promise<void> {
  await withContext(globals, async (context) => {
    const client = await context.client();
    const created = await client.environments.create({
      name,
      ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
      ...(options.description === undefined ? {} : { description: options.description }),
    });
    await printResource(context.output, created, FIELDS);
  });
}

export async function listEnvironments(globals: GlobalOptions): Promise<void> {
  await withContext(globals, async (context) => {
    const environments = await (await context.client()).environments.list();
    await printList(context.output, environments, COLUMNS, { environments }, { empty: 'No environments. Create one with: agentgw env create NAME' });
  });
}

export async function getEnvironment(globals: GlobalOptions, ref: string): Promise<void> {
  await withContext(globals, async (context) => {
    await printResource(context.output, await (await context.client()).environments.get(ref), FIELDS);
  });
}

export async function updateEnvironment(globals: GlobalOptions, ref: string, options: { displayName?: string; description?: string }): Promise<void> {
  if (options.displayName === undefined && options.description === undefined) {
    throw new UsageError('nothing to update', { hint: 'pass --display-name or --description' });
  }
  await withContext(globals, async (context) => {
    const updated = await (await context.client()).environments.update(ref, {
      ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
      ...(options.description === undefined ? {} : { description: options.description }),
    });
    await printResource(context.output, updated, FIELDS);
  });
}

export async function deleteEnvironment(globals: GlobalOptions, ref: string, options: { force?: boolean; yes?: boolean }): Promise<void> {
  await withContext(globals, async (context) => {
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
}

export async function environmentGateways(globals: GlobalOptions, ref: string): Promise<void> {
  await withContext(globals, async (context) => {
    const gateways = await (await context.client()).environments.gateways(ref);
    await printList(context.output, gateways, GATEWAY_COLUMNS, { gateways }, { empty: `No gateways in environment ${ref}. Add one with: agentgw gateway env add GATEWAY ${ref}` });
  });
}
