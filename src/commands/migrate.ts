/** `agentgw migrate status|up`: the database schema. Always local: it needs the database itself. */
import { defaultDatabaseUrl } from '../config/paths.js';
import { UsageError } from '../domain/errors.js';
import { age } from '../output/age.js';
import { isPersonReadingTable, printDocument, printList, type Column } from '../output/format.js';
import { lazySecretBox } from '../secrets/key-source.js';
import { openStore, type Store } from '../store/database.js';
import { migrateToLatest, migrationStatus } from '../store/migrator.js';
import { createCommandContext } from './context.js';
import { columnsOf, defineCommand, type Invocation } from './define.js';

async function withStore({ globals, io }: Invocation, body: (store: Store, context: Awaited<ReturnType<typeof createCommandContext>>) => Promise<void>): Promise<void> {
  if (globals.server !== undefined) throw new UsageError('migrate works on a database, not a daemon', { hint: 'pass --database URL' });
  const context = await createCommandContext(globals, io);
  const { config } = context.loaded;
  const store = await openStore(config.database.url ?? defaultDatabaseUrl(io.env), { poolSize: 2 });
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

export const status = defineCommand({
  notes: columnsOf(COLUMNS),
  examples: ['agentgw migrate status --database postgres://postgres@127.0.0.1:5432/agentgw'],
  async run(invocation) {
    await withStore(invocation, async (store, context) => {
      const states = await migrationStatus(store);
      const migrations = states.map((s) => ({ name: s.name, appliedAt: s.appliedAt?.toISOString() ?? null }));
      if (isPersonReadingTable(context.output)) context.stderr(`Database: ${store.displayUrl}`);
      await printList(context.output, migrations, COLUMNS, { database: store.displayUrl, migrations });
    });
  },
});

export const up = defineCommand({
  examples: ['agentgw migrate up --database postgres://postgres@127.0.0.1:5432/agentgw'],
  async run(invocation) {
    await withStore(invocation, async (store, context) => {
      const { config } = context.loaded;
      const secrets = lazySecretBox({ configuredKey: config.secrets.key, sqlitePath: store.sqlitePath, warn: (message) => context.stderr(`warning: ${message}`) });
      const applied = await migrateToLatest(store, undefined, { secrets });
      await printDocument(context.output, { database: store.displayUrl, applied }, () =>
        applied.length === 0 ? `${store.displayUrl}: up to date\n` : `${store.displayUrl}: applied ${applied.join(', ')}\n`,
      );
    });
  },
});
