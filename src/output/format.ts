/**
 * Printing for every read command: `-o table|wide|json|yaml|name`. stdout carries data only.
 * On a TTY a table has a header and is fitted to the width; piped, rows are tab-separated with
 * no header and no colour, for `cut` and `awk`.
 */
import { UsageError } from '../domain/errors.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Shown only with -o wide. */
  wide?: boolean;
}

export interface Output {
  format: OutputFormat;
  isTTY: boolean;
  color: boolean;
  width: number;
  write(text: string): void;
}

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown output format "${value}"`, { hint: `use one of: ${OUTPUT_FORMATS.join(', ')}` });
}

export function createOutput(format: OutputFormat, stream: NodeJS.WriteStream = process.stdout, color = true): Output {
  const isTTY = stream.isTTY === true;
  return {
    format,
    isTTY,
    color: color && isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
    width: stream.columns ?? 120,
    write: (text) => {
      stream.write(text);
    },
  };
}

/** Prints a list; `document` is what -o json/yaml print (the REST list resource). */
export async function printList<T extends { name: string }>(output: Output, rows: T[], columns: Column<T>[], document: unknown): Promise<void> {
  switch (output.format) {
    case 'json':
      output.write(`${JSON.stringify(document, null, 2)}\n`);
      return;
    case 'yaml':
      output.write(await toYaml(document));
      return;
    case 'name':
      output.write(rows.map((row) => `${row.name}\n`).join(''));
      return;
    case 'table':
    case 'wide': {
      const visible = columns.filter((column) => output.format === 'wide' || !column.wide);
      output.write(await renderTable(output, visible.map((c) => c.header), rows.map((row) => visible.map((c) => c.value(row)))));
    }
  }
}

/** Prints one resource: as key/value lines in table mode, or the resource itself. */
export async function printResource<T extends { name: string }>(output: Output, resource: T, fields: Column<T>[]): Promise<void> {
  switch (output.format) {
    case 'json':
      output.write(`${JSON.stringify(resource, null, 2)}\n`);
      return;
    case 'yaml':
      output.write(await toYaml(resource));
      return;
    case 'name':
      output.write(`${resource.name}\n`);
      return;
    case 'table':
    case 'wide': {
      const visible = fields.filter((field) => output.format === 'wide' || !field.wide);
      const width = Math.max(...visible.map((f) => f.header.length));
      const lines = visible.map((field) => `${`${field.header}:`.padEnd(width + 2)}${printable(field.value(resource))}`);
      output.write(`${lines.join('\n')}\n`);
    }
  }
}

/** A document for json/yaml, or a few lines of text for a human. */
export async function printDocument(output: Output, document: unknown, human: () => string): Promise<void> {
  if (output.format === 'json') output.write(`${JSON.stringify(document, null, 2)}\n`);
  else if (output.format === 'yaml') output.write(await toYaml(document));
  else output.write(human());
}

async function toYaml(document: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(document);
}

/**
 * Control characters (C0, DEL, C1) and bidirectional overrides and isolates, shown escaped
 * (`\x1b`, `\u202e`) in tables and TSV: whatever a database holds, a cell cannot move the
 * cursor, recolour the terminal, reorder what follows it, or split a TSV row.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

async function renderTable(output: Output, headers: string[], unescaped: string[][]): Promise<string> {
  const rows = unescaped.map((row) => row.map(printable));
  if (!output.isTTY) return rows.map((row) => `${row.join('\t')}\n`).join('');
  if (rows.length === 0) return '';
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  fitToWidth(widths, output.width, headers.length);
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: headers,
    colWidths: widths.map((w) => w + 2),
    wordWrap: false,
    truncate: '…',
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ' },
    style: { head: output.color ? ['bold'] : [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  table.push(...rows);
  return `${table.toString().split('\n').map((line) => line.trimEnd()).join('\n')}\n`;
}

/** Shrinks the widest columns until the table fits the terminal. */
function fitToWidth(widths: number[], terminalWidth: number, columnCount: number): void {
  const budget = terminalWidth - columnCount * 3;
  while (widths.reduce((a, b) => a + b, 0) > budget) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= 8) break;
    widths[widest]! -= 1;
  }
}
