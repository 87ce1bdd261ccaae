/** `agentgw migrate status|up`: the database schema. Always local: it needs the database itself. */
import { defaultDatabaseUrl } from '../config/paths.js';
import { UsageError } from '../domain/errors.js';
import { age } from '../output/age.js';
import { isPersonReadingTable, printDocument, printList, type Column } from '../output/format.js';
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

interface MigrationRow {
  name: string;
  appliedAt: string | null;
}

/** Piped: MIGRATION STATUS APPLIED, tab-separated. */
const COLUMNS: Column<MigrationRow>[] = [
  { header: 'MIGRATION', value: (m) => m.name, identifier: true },
  { header: 'STATUS', value: (m) => (m.appliedAt === null ? 'pending' : 'applied'), priority: 9 },
  { header: 'APPLIED', value: (m) => age(m.appliedAt), priority: 8 },
];

export async function migrationStatusCommand(globals: GlobalOptions): Promise<void> {
  await withStore(globals, async (store, context) => {
    const states = await migrationStatus(store);
    const migrations = states.map((s) => ({ name: s.name, appliedAt: s.appliedAt?.toISOString() ?? null }));
    if (isPersonReadingTable(context.output)) context.stderr(`Database: ${store.displayUrl}`);
    await printList(context.output, migrations, COLUMNS, { database: store.displayUrl, migrations });
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
