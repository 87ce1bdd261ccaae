/** `agentgw migrate status|up`: the database schema. Always local: it needs the database itself. */
import { defaultDatabaseUrl } from '../config/paths.js';
import { UsageError } from '../domain/errors.js';
import { printDocument } from '../output/format.js';
import { lazySecretBox } from '../secrets/key-source.js';
import { openStore, type Store } from '../store/database.js';
import { migrateToLatest, migrationStatus } from '../store/migrator.js';
import { createCommandContext, type GlobalOptions } from './context.js';

async function withStore(globals: GlobalOptions, body: (store: Store, context: Awaited<ReturnType<typeof createCommandContext>>) => Promise<void>): Promise<void> {
  if (globals.server !== undefined) throw new UsageError('migrate works on a database, not a daemon', { hint: 'pass --database URL' });
  const context = await createCommandContext(globals);
  const { config } = context.loaded;
  const store = await openStore(config.database.url ?? defaultDatabaseUrl(), { poolSize: 2 });
  try {
    await body(store, context);
  } finally {
    await store.close();
  }
}

export async function migrationStatusCommand(globals: GlobalOptions): Promise<void> {
  await withStore(globals, async (store, context) => {
    const states = await migrationStatus(store);
    const document = { database: store.displayUrl, migrations: states.map((s) => ({ name: s.name, appliedAt: s.appliedAt?.toISOString() ?? null })) };
    await printDocument(context.output, document, () =>
      [`database: ${store.displayUrl}`, ...states.map((s) => `${s.appliedAt ? 'applied' : 'pending'}  ${s.name}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ''}`), ''].join('\n'),
    );
  });
}

export async function migrateUpCommand(globals: GlobalOptions): Promise<void> {
  await withStore(globals, async (store, context) => {
    const { config } = context.loaded;
    const secrets = lazySecretBox({ configuredKey: config.secrets.key, sqlitePath: store.sqlitePath, warn: (message) => context.stderr(`warning: ${message}`) });
    const applied = await migrateToLatest(store, undefined, { secrets });
    await printDocument(context.output, { database: store.displayUrl, applied }, () =>
      applied.length === 0 ? `${store.displayUrl}: up to date\n` : `${store.displayUrl}: applied ${applied.join(', ')}\n`,
    );
  });
}
