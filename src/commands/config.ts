/** `agentgw config show`: the effective configuration, with where each value came from. */
import { formatDuration } from '../config/duration.js';
import { FLAG_OF, listConfigKeys, type LoadedConfig } from '../config/load.js';
import { defaultDatabaseUrl } from '../config/paths.js';
import { createOutput, parseOutputFormat, printList, type Column } from '../output/format.js';
import { redactUrl } from '../store/database-url.js';
import { loadCommandConfig } from './context.js';
import { columnsOf, defineCommand, type Invocation } from './define.js';

interface Entry {
  name: string;
  /** The effective value (what -o json|yaml print). */
  value: unknown;
  origin: string;
  /** For a person: as written, durations as "30s". */
  shown: string;
  source: string;
}

function valueAt(config: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

/** Piped: KEY VALUE SOURCE, tab-separated. */
const COLUMNS: Column<Entry>[] = [
  { header: 'KEY', value: (e) => e.name, identifier: true },
  { header: 'VALUE', value: (e) => e.shown, text: true, essential: true },
  { header: 'SOURCE', value: (e) => e.source, text: true, priority: 8 },
];

export const show = defineCommand({
  notes: columnsOf(COLUMNS),
  examples: ['agentgw config show', 'agentgw config show -o json'],
  run: (invocation) => showConfig(invocation),
});

async function showConfig({ globals, io }: Invocation): Promise<void> {
  const loaded = await loadCommandConfig(globals, io.env);
  const output = createOutput(parseOutputFormat(globals.output), io, globals.color !== false);
  const entries = listConfigKeys().map(({ path, secret, duration }): Entry => {
    const origin = loaded.origins.get(path) ?? 'default';
    let value = valueAt(loaded.config, path);
    let shown: string;
    if (secret) {
      value = value === null || value === undefined ? null : '<redacted>';
      shown = value === null ? '-' : '<redacted>';
    } else if (path === 'database.url') {
      value = value === null ? `${defaultDatabaseUrl(io.env)} (embedded default)` : redactUrl(String(value));
      shown = String(value);
    } else if (duration) {
      shown = origin === 'default' ? formatDuration(value as number) : String(loaded.written.get(path));
    } else {
      shown = value === null ? '-' : typeof value === 'string' ? value : JSON.stringify(value);
    }
    return { name: path, value, origin, shown, source: sourceOf(loaded, path, origin) };
  });
  const document = { files: loaded.files, values: entries.map(({ name, value, origin }) => ({ key: name, value, origin })) };
  if (output.format === 'table' || output.format === 'wide') output.note(`Config files: ${loaded.files.length === 0 ? 'none' : loaded.files.join(', ')}`);
  await printList(output, entries, COLUMNS, document);
}

/** "default", "flag --server", "environment AGENTGW_PORT", a file, or a file's `${VAR}`. */
function sourceOf(loaded: LoadedConfig, path: string, origin: string): string {
  if (origin === 'flag') return `flag ${FLAG_OF[path] ?? ''}`.trimEnd();
  if (origin.startsWith('env ')) return `environment ${origin.slice('env '.length)}`;
  const variables = loaded.variables.get(path);
  return variables === undefined ? origin : `environment ${variables.join(', ')} (via ${origin})`;
}
