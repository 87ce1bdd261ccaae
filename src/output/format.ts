/**
 * Printing for every read command: `-o table|wide|json|yaml|name`. stdout carries data only.
 * On a terminal a table has a header, colour and a fit to the width (see table.ts); piped, rows
 * are tab-separated, in the same columns, with no header and no colour, for `cut` and `awk`.
 * Notes for a person (an empty result) go to stderr, and only at a terminal.
 */
import { UsageError } from '../domain/errors.js';
import { paint, toneOfStatus } from './color.js';
import { colorFor, DEFAULT_COLUMNS, readerLeft, type IO } from './io.js';
import { printable, renderTable, type Column } from './table.js';

export type { Column } from './table.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Output {
  format: OutputFormat;
  /** stdout is a terminal: a person reads the data. */
  isTTY: boolean;
  color: boolean;
  width: number;
  /** Data, to stdout. */
  write(text: string): void;
  /**
   * Resolves once stdout has taken what was written (at once when it keeps up): a writer of many
   * pages waits on it, or a reader slower than the database (a pipe, a terminal) would leave the
   * whole output queued in memory.
   */
  drained(): Promise<void>;
  /** Whether the reader of stdout has gone (`… | head` has what it wanted): stop writing. */
  readerLeft(): boolean;
  /** A line for a person, to stderr. */
  note(line: string): void;
}

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown output format "${value}"`, { hint: `use one of: ${OUTPUT_FORMATS.join(', ')}` });
}

export function createOutput(format: OutputFormat, io: IO, colorFlag = true): Output {
  return {
    format,
    isTTY: io.stdout.isTTY === true,
    color: colorFor(io.stdout, io.env, colorFlag),
    width: io.stdout.columns || DEFAULT_COLUMNS,
    write: (text) => {
      io.stdout.write(text);
    },
    drained: () => (io.stdout.writableNeedDrain && !readerLeft(io.stdout) ? drainedOrClosed(io.stdout) : Promise.resolve()),
    readerLeft: () => readerLeft(io.stdout),
    note: (line) => {
      io.stderr.write(`${line}\n`);
    },
  };
}

/** Resolves when `stream` takes more, or closes (its reader left: 'drain' would never come). */
function drainedOrClosed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

export interface ListOptions {
  /** Said on stderr at a terminal when there are no rows, e.g. "No gateways found in environment staging." */
  empty?: string;
}

/** A table on a terminal: notes beside the data help a person there, and would only clutter a pipe. */
export function isPersonReadingTable(output: Output): boolean {
  return output.isTTY && (output.format === 'table' || output.format === 'wide');
}

/** Prints a list; `document` is what -o json/yaml print (the REST list resource). */
export async function printList<T extends { name: string }>(output: Output, rows: T[], columns: Column<T>[], document: unknown, options: ListOptions = {}): Promise<void> {
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
      if (!output.isTTY) {
        output.write(rows.map((row) => `${visible.map((c) => printable(c.value(row))).join('\t')}\n`).join(''));
        return;
      }
      if (rows.length === 0) {
        if (options.empty !== undefined) output.note(options.empty);
        return;
      }
      let leftOut: string[] = [];
      output.write(renderTable(visible, rows, { width: output.width, color: output.color, mode: output.format, onLeftOut: (headers) => (leftOut = headers) }));
      // Said after the table, as gh does, so the person knows the columns exist.
      if (leftOut.length > 0) output.note(`${leftOut.join(', ')} left out to fit; -o wide shows all.`);
    }
  }
}

/** Prints one resource: as "Label:  value" lines in table mode, or the resource itself. */
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
    case 'wide':
      output.write(fieldLines(output, fields.filter((field) => output.format === 'wide' || !field.wide).map((field) => [field.header, field.value(resource), field.status === true])));
  }
}

/** "Label:  value" lines, the values aligned; a status value is coloured at a terminal. */
export function fieldLines(output: Pick<Output, 'color'>, fields: Array<[label: string, value: string, status?: boolean]>): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value, status]) => `${`${label}:`.padEnd(width + 2)}${paint(printable(value), status ? toneOfStatus(value) : undefined, output.color)}\n`).join('');
}

/** A document for json/yaml, or a few lines of text for a human. */
export async function printDocument(output: Output, document: unknown, human: () => string): Promise<void> {
  if (output.format === 'json') output.write(`${JSON.stringify(document, null, 2)}\n`);
  else if (output.format === 'yaml') output.write(await toYaml(document));
  else output.write(human());
}

export async function toYaml(document: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(document);
}
