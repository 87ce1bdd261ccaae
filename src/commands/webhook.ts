/**
 * `agentgw webhook create|list|get|delete|deliveries`. A webhook's signing secret is read from
 * standard input with --secret-stdin; without it one is generated and printed once (to stdout,
 * like `token create`), because the receiver needs it to verify signatures. It is never shown again.
 */
import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../domain/errors.js';
import { age, when } from '../output/age.js';
import { printList, printResource, type Column } from '../output/format.js';
import { confirm } from '../output/prompt.js';
import type { Webhook, WebhookDelivery } from '../services/webhooks.js';
import { columnsOf, defineCommand, type Invocation } from './define.js';
import { readPassword, withContext } from './run.js';

/** Piped: NAME URL EVENTS AGE, tab-separated; -o wide adds UUID. */
const COLUMNS: Column<Webhook>[] = [
  { header: 'NAME', value: (w) => w.name, identifier: true },
  { header: 'URL', value: (w) => w.url, priority: 9 },
  { header: 'EVENTS', value: (w) => w.events.join(','), text: true, priority: 8 },
  { header: 'AGE', value: (w) => age(w.createdAt), priority: 5 },
  { header: 'UUID', value: (w) => w.uuid, wide: true },
];

type DeliveryRow = WebhookDelivery & { name: string };

/** Piped: ID EVENT STATUS ATTEMPTS LAST AGE, tab-separated; -o wide adds EVENT ID, NEXT, ERROR. */
const DELIVERY_COLUMNS: Column<DeliveryRow>[] = [
  { header: 'ID', value: (d) => d.id, identifier: true },
  { header: 'EVENT', value: (d) => d.eventType, priority: 9 },
  { header: 'STATUS', value: (d) => d.status, priority: 9 },
  { header: 'ATTEMPTS', value: (d) => String(d.attempts), priority: 8 },
  { header: 'LAST', value: (d) => (d.lastStatus === null ? (d.lastError === null ? '-' : 'error') : String(d.lastStatus)), priority: 7 },
  { header: 'AGE', value: (d) => age(d.createdAt), priority: 5 },
  { header: 'EVENT ID', value: (d) => String(d.eventId), wide: true },
  { header: 'NEXT', value: (d) => (d.nextAttemptAt === null ? '-' : when(d.nextAttemptAt)), wide: true },
  { header: 'ERROR', value: (d) => d.lastError ?? '-', text: true, wide: true },
];

async function createWebhook(invocation: Invocation, name: string, flags: { url: string; events: string; secretStdin?: boolean }): Promise<void> {
  await withContext(invocation, async (context) => {
    const generated = flags.secretStdin === true ? null : `whsec_${randomBytes(24).toString('base64url')}`;
    const secret = generated ?? (await readPassword(context.io, '--secret-stdin'));
    const created = await (await context.client()).webhooks.create({ name, url: flags.url, events: flags.events.split(',').map((t) => t.trim()).filter((t) => t !== ''), secret });
    if (generated !== null) {
      context.output.write(`${generated}\n`);
      context.stderr(`webhook "${created.name}" created. Its signing secret is shown only now: give it to the receiver.`);
    } else {
      context.stderr(`webhook "${created.name}" created for ${created.events.join(', ')}`);
    }
  });
}

async function listWebhooks(invocation: Invocation): Promise<void> {
  await withContext(invocation, async (context) => {
    const webhooks = await (await context.client()).webhooks.list();
    await printList(context.output, webhooks, COLUMNS, { webhooks }, { empty: 'No webhooks. Create one with: agentgw webhook create NAME --url URL --events TYPE,…' });
  });
}

async function getWebhook(invocation: Invocation, name: string): Promise<void> {
  await withContext(invocation, async (context) => {
    await printResource(context.output, await (await context.client()).webhooks.get(name), [...COLUMNS, { header: 'CREATED', value: (w) => when(w.createdAt) }]);
  });
}

async function deleteWebhook(invocation: Invocation, name: string, flags: { yes?: boolean }): Promise<void> {
  await withContext(invocation, async (context) => {
    const webhooks = (await context.client()).webhooks;
    if (!(await webhooks.list()).some((w) => w.name === name)) throw new NotFoundError('webhook', name, { hint: 'list webhooks with: agentgw webhook list' });
    await confirm(context.io, `delete webhook "${name}" and its delivery log?`, { yes: flags.yes });
    await webhooks.delete(name);
    context.stderr(`webhook "${name}" deleted`);
  });
}

async function listDeliveries(invocation: Invocation, name: string): Promise<void> {
  await withContext(invocation, async (context) => {
    const deliveries = await (await context.client()).webhooks.deliveries(name);
    const rows = deliveries.map((d) => ({ ...d, name: d.id }));
    await printList(context.output, rows, DELIVERY_COLUMNS, { deliveries }, { empty: `No deliveries for webhook ${name} yet.` });
  });
}

type CreateFlags = { url: string; events: string; secretStdin?: boolean };
export const create = defineCommand<[name: string], CreateFlags>({
  flags: (command) =>
    command
      .requiredOption('--url <url>', 'where to POST events (http:// or https://; the egress policy applies)')
      .requiredOption('--events <types>', 'comma-separated event types, e.g. gateway.status_changed,deployment.failed')
      .option('--secret-stdin', 'read the signing secret (16+ characters) from standard input'),
  examples: [
    'agentgw webhook create pager --url https://hooks.example.com/agentgw --events gateway.status_changed,deployment.failed',
    'printf %s "$SECRET" | agentgw webhook create audit --url https://siem.example.com/in --events token.created,token.revoked --secret-stdin',
  ],
  run: (invocation, [name], flags) => createWebhook(invocation, name, flags),
});

export const list = defineCommand({
  notes: columnsOf(COLUMNS),
  examples: ['agentgw webhook list', 'agentgw webhook list -o json'],
  run: (invocation) => listWebhooks(invocation),
});

export const get = defineCommand<[name: string]>({
  examples: ['agentgw webhook get pager -o json'],
  run: (invocation, [name]) => getWebhook(invocation, name),
});

export const remove = defineCommand<[name: string], { yes?: boolean }>({
  flags: (command) => command.option('-y, --yes', 'do not ask for confirmation'),
  examples: ['agentgw webhook delete pager --yes'],
  run: (invocation, [name], flags) => deleteWebhook(invocation, name, flags),
});

export const deliveries = defineCommand<[name: string]>({
  notes: columnsOf(DELIVERY_COLUMNS),
  examples: ['agentgw webhook deliveries pager', 'agentgw webhook deliveries pager -o json'],
  run: (invocation, [name]) => listDeliveries(invocation, name),
});
