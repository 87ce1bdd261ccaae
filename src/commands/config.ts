/** `agentgw config show`: the effective configuration, with where each value came from. */
import { listConfigKeys } from '../config/load.js';
import { defaultDatabaseUrl } from '../config/paths.js';
import { printDocument } from '../output/format.js';
import { redactUrl } from '../store/database.js';
import type { GlobalOptions } from './context.js';
import { loadCommandConfig } from './context.js';
import { createOutput, parseOutputFormat } from '../output/format.js';

function valueAt(config: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

export async function showConfig(globals: GlobalOptions): Promise<void> {
  const loaded = await loadCommandConfig(globals);
  const output = createOutput(parseOutputFormat(globals.output), process.stdout, globals.color !== false);
  const entries = listConfigKeys().map(({ path, secret }) => {
    let value = valueAt(loaded.config, path);
    if (secret && value !== null && value !== undefined) value = '<redacted>';
    else if (path === 'database.url') value = value === null ? `${defaultDatabaseUrl()} (embedded default)` : redactUrl(String(value));
    return { key: path, value, origin: loaded.origins.get(path) ?? 'default' };
  });
  await printDocument(output, { files: loaded.files, values: entries }, () => {
    const width = Math.max(...entries.map((e) => e.key.length));
    const lines = entries.map((e) => `${e.key.padEnd(width)}  ${JSON.stringify(e.value)}  (${e.origin})`);
    return [`files: ${loaded.files.length === 0 ? 'none' : loaded.files.join(', ')}`, ...lines, ''].join('\n');
  });
}
