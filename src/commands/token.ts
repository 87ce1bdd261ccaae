/**
 * `agentgw token create|list|revoke`: API tokens for the daemon. They work on the database
 * directly (a daemon never hands out tokens), so they run in local mode only.
 */
import { parseDuration } from '../config/duration.js';
import { NotFoundError, UsageError } from '../domain/errors.js';
import { age, until, when } from '../output/age.js';
import { printDocument, printList, type Column } from '../output/format.js';
import { confirm } from '../output/prompt.js';
import type { Runtime } from '../runtime/runtime.js';
import { parseTokenScope, TokenService, type ApiToken } from '../services/tokens.js';
import { createCommandContext, stderrLogger, type CommandContext, type GlobalOptions } from './context.js';

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

async function withTokens(globals: GlobalOptions, body: (tokens: TokenService, context: CommandContext) => Promise<void>): Promise<void> {
  if (globals.server !== undefined) {
    throw new UsageError('token commands work on the database, not through a daemon', {
      hint: 'run them where the database is reachable, with --database URL (the one the daemon serves)',
    });
  }
  const context = await createCommandContext(globals);
  const { config } = context.loaded;
  if (config.server.url !== null && globals.database === undefined) {
    throw new UsageError(`token commands need the database, but a daemon is configured (${config.server.url})`, {
      hint: 'pass --database URL (the database that daemon serves)',
    });
  }
  const { openRuntime, configDirOf } = await import('../runtime/runtime.js');
  const configDir = configDirOf(context.loaded.files);
  let runtime: Runtime | undefined;
  try {
    runtime = await openRuntime({ config, logger: stderrLogger, migrate: false, ...(configDir === undefined ? {} : { configDir }) });
    await body(new TokenService(runtime.context()), context);
  } finally {
    await runtime?.close();
    await context.close();
  }
}

export async function createToken(globals: GlobalOptions, name: string, flags: { scope?: string; expires?: string }): Promise<void> {
  await withTokens(globals, async (tokens, context) => {
    const created = await tokens.create({
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

export async function listTokens(globals: GlobalOptions): Promise<void> {
  await withTokens(globals, async (tokens, context) => {
    const list = await tokens.list();
    await printList(context.output, list, COLUMNS, { tokens: list }, { empty: 'No API tokens. Create one with: agentgw token create NAME --scope read' });
  });
}

export async function revokeToken(globals: GlobalOptions, name: string, flags: { yes?: boolean }): Promise<void> {
  await withTokens(globals, async (tokens, context) => {
    if (!(await tokens.list()).some((token) => token.name === name)) throw new NotFoundError('token', name, { hint: 'list tokens with: agentgw token list' });
    await confirm(context.io, `revoke token "${name}"?`, { yes: flags.yes });
    const revoked = await tokens.revoke(name);
    context.stderr(`token "${revoked.name}" revoked`);
  });
}
