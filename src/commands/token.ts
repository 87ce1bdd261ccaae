/**
 * `agentgw token create|list|revoke`: API tokens for the daemon. In local mode they work on the
 * database; with --server they go to the daemon's /api/v1/tokens, which takes a token with the
 * admin scope (and a daemon that requires authentication).
 */
import { parseDuration } from '../config/duration.js';
import { NotFoundError, UsageError } from '../domain/errors.js';
import { age, until, when } from '../output/age.js';
import { printDocument, printList, type Column } from '../output/format.js';
import { confirm } from '../output/prompt.js';
import { parseTokenScope, type ApiToken } from '../services/tokens.js';
import { withContext } from './run.js';
import { Option } from 'commander';
import { columnsOf, defineCommand, type Invocation } from './define.js';

/** Piped: NAME SCOPE STATUS AGE EXPIRES LAST USED, tab-separated; -o wide adds UUID ORGANIZATION. */
const COLUMNS: Column<ApiToken>[] = [
  { header: 'NAME', value: (t) => t.name, identifier: true },
  { header: 'SCOPE', value: (t) => t.scope, priority: 9 },
  { header: 'STATUS', value: (t) => t.status, status: true, priority: 8 },
  { header: 'AGE', value: (t) => age(t.createdAt), priority: 5 },
  { header: 'EXPIRES', value: (t) => until(t.expiresAt), priority: 7 },
  { header: 'LAST USED', value: (t) => (t.lastUsedAt === null ? 'never' : age(t.lastUsedAt)), priority: 6 },
  { header: 'UUID', value: (t) => t.uuid, wide: true },
  { header: 'ORGANIZATION', value: (t) => t.organizationId, wide: true },
];

const DAY_MS = 86_400_000;

/** "30d", "2w", "12h", "90m", or a combination the config's durations accept ("1h30m"). */
export function parseExpiry(text: string): number {
  const days = /^(\d+)([dw])$/.exec(text.trim());
  const ms = days ? Number(days[1]) * (days[2] === 'w' ? 7 : 1) * DAY_MS : parseDuration(text);
  if (ms === null || ms <= 0) throw new UsageError(`--expires "${text}": expected a duration like 30d, 2w, 12h or 90m`);
  return ms;
}

export const create = defineCommand<[name: string], { scope?: string; expires?: string }>({
  flags: (command) =>
    command
      .addOption(new Option('--scope <scope>', 'read (GET), write (changes) or admin').choices(['read', 'write', 'admin']).default('read'))
      .option('--expires <duration>', 'lifetime, e.g. 30d, 2w, 12h (default: until revoked)'),
  examples: ['agentgw token create ci --scope write --expires 30d', 'export AGENTGW_TOKEN=$(agentgw token create dashboard)'],
  run: (invocation, [name], flags) => createToken(invocation, name, flags),
});

async function createToken(invocation: Invocation, name: string, flags: { scope?: string; expires?: string }): Promise<void> {
  await withContext(invocation, async (context) => {
    const created = await (await context.client()).tokens.create({
      name,
      scope: parseTokenScope(flags.scope ?? 'read', '--scope'),
      ...(flags.expires === undefined ? {} : { expiresInMs: parseExpiry(flags.expires) }),
    });
    // The token goes to stdout (so `TOKEN=$(agentgw token create ci)` works); the rest is for a person.
    await printDocument(context.output, created, () => `${created.token}\n`);
    context.stderr(
      `token "${created.name}" created: scope ${created.scope}, ${created.expiresAt === null ? 'no expiry' : `expires ${when(created.expiresAt)}`}. ` +
        'It is shown only now: store it safely.',
    );
  });
}

export const list = defineCommand({
  notes: columnsOf(COLUMNS),
  examples: ['agentgw token list', 'agentgw token list -o json'],
  run: (invocation) => listTokens(invocation),
});

async function listTokens(invocation: Invocation): Promise<void> {
  await withContext(invocation, async (context) => {
    const list = await (await context.client()).tokens.list();
    await printList(context.output, list, COLUMNS, { tokens: list }, { empty: 'No API tokens. Create one with: agentgw token create NAME --scope read' });
  });
}

export const revoke = defineCommand<[name: string], { yes?: boolean }>({
  flags: (command) => command.option('-y, --yes', 'do not ask for confirmation'),
  examples: ['agentgw token revoke ci --yes'],
  run: (invocation, [name], flags) => revokeToken(invocation, name, flags),
});

async function revokeToken(invocation: Invocation, name: string, flags: { yes?: boolean }): Promise<void> {
  await withContext(invocation, async (context) => {
    const tokens = (await context.client()).tokens;
    if (!(await tokens.list()).some((token) => token.name === name)) throw new NotFoundError('token', name, { hint: 'list tokens with: agentgw token list' });
    await confirm(context.io, `revoke token "${name}"?`, { yes: flags.yes });
    const revoked = await tokens.revoke(name);
    context.stderr(`token "${revoked.name}" revoked`);
  });
}
