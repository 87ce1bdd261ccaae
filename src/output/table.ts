/**
 * Tables at a terminal, laid out as kubectl and gh do: a header, columns three spaces apart, and
 * a fit to the terminal's width in which identifiers (names, Kind/name) are never cut.
 *
 * When a table is too wide:
 * - `-o table` first cuts free text (URLs, messages, lists) with an ellipsis, then leaves out the
 *   least important columns. Then headers wrap at their word breaks ("LlmProvider/" over
 *   "openai-provider"); what still does not fit (identifiers alone) runs on and the terminal
 *   wraps it.
 * - `-o wide` cuts nothing and leaves nothing out: free text and headers wrap inside their column.
 *
 * @example
 * renderTable(columns, rows, { width: 80, color: true, mode: 'table' });
 */
import textWidth from '../tui/text-width.js';
import { paint, toneOfStatus, type Tone } from './color.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Shown only with -o wide. */
  wide?: boolean;
  /** A name or a Kind/name: never cut, never left out. */
  identifier?: boolean;
  /** Never left out, though free text in it may be cut (the VALUE of `config show`). */
  essential?: boolean;
  /** Free text: cut with an ellipsis on a narrow terminal (`-o table`), wrapped with `-o wide`. */
  text?: boolean;
  /** A status, coloured on a terminal. */
  status?: boolean;
  /** Higher stays longer when columns are left out; by default, columns further left stay longer. */
  priority?: number;
}

export interface TableOptions {
  width: number;
  color: boolean;
  mode: 'table' | 'wide';
  /** Told the headers of the columns left out to fit the width, if any were. */
  onLeftOut?: (headers: string[]) => void;
}

export const GAP = '   ';
/** Free text is never cut below this (or its header). */
const MIN_TEXT_WIDTH = 12;

interface Laid<T> {
  column: Column<T>;
  index: number;
  natural: number;
  min: number;
  width: number;
  priority: number;
}

export function renderTable<T>(columns: Column<T>[], rows: T[], options: TableOptions): string {
  const cells = rows.map((row) => columns.map((column) => printable(column.value(row))));
  let laid: Laid<T>[] = columns.map((column, index) => {
    const widestCell = Math.max(0, ...cells.map((row) => textWidth(row[index]!)));
    const natural = Math.max(textWidth(column.header), widestCell);
    // A header may wrap at its word breaks ("LlmProviderTemplate/openai" over three lines).
    const header = Math.max(...headerWords(column.header).map((word) => textWidth(word.trimEnd())));
    const min = column.text ? Math.min(natural, Math.max(header, MIN_TEXT_WIDTH)) : Math.max(widestCell, header);
    return { column, index, natural, min, width: natural, priority: column.priority ?? columns.length - index };
  });
  const total = (widths: (l: Laid<T>) => number) => laid.reduce((sum, l) => sum + widths(l), 0) + GAP.length * (laid.length - 1);

  if (total((l) => l.natural) > options.width) {
    if (options.mode === 'table') {
      // Cut free text to its minimum; leave out the least important columns until the rest fits.
      for (const l of [...laid].sort((a, b) => a.priority - b.priority)) {
        if (total((x) => x.min) <= options.width) break;
        if (!l.column.identifier && !l.column.essential) laid = laid.filter((x) => x !== l);
      }
      const leftOut = columns.filter((column) => !laid.some((l) => l.column === column));
      if (leftOut.length > 0) options.onLeftOut?.(leftOut.map((column) => column.header));
    }
    // Share the room left among the columns that were narrowed, a column at a time, the most
    // important first: no one column takes it all while another's header wraps over four lines.
    for (const l of laid) l.width = l.min;
    let room = options.width - total((l) => l.width);
    const narrowed = [...laid].sort((a, b) => b.priority - a.priority);
    while (room > 0 && narrowed.some((l) => l.width < l.natural)) {
      for (const l of narrowed) {
        if (room > 0 && l.width < l.natural) {
          l.width++;
          room--;
        }
      }
    }
  }

  const lines: string[] = [];
  const headers = laid.map((l) => wrapWords(headerWords(l.column.header), l.width));
  for (let i = 0; i < Math.max(...headers.map((h) => h.length)); i++) {
    lines.push(joinCells(laid.map((l, c) => ({ text: headers[c]![i] ?? '', width: l.width })), options.color ? 'bold' : undefined, options.color));
  }
  for (const row of cells) {
    const parts = laid.map((l) => {
      const value = row[l.index]!;
      const fitted = textWidth(value) <= l.width ? [value] : options.mode === 'wide' ? wrap(value, l.width) : [cut(value, l.width)];
      return { lines: fitted, width: l.width, tone: l.column.status ? toneOfStatus(value) : undefined };
    });
    const height = Math.max(...parts.map((p) => p.lines.length));
    for (let i = 0; i < height; i++) {
      lines.push(joinCells(parts.map((p) => ({ text: p.lines[i] ?? '', width: p.width, tone: p.tone })), undefined, options.color));
    }
  }
  return lines.map((line) => `${line}\n`).join('');
}

/** A header's words, each with the break after it: "LlmProviderTemplate/openai" → Llm, Provider, Template/, openai. */
function headerWords(header: string): string[] {
  return header.split(/(?<=[/ ])|(?<=[a-z])(?=[A-Z])/);
}

/** Words joined into lines of at most `width` columns (a word wider than that has a line of its own). */
function wrapWords(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && textWidth((line + word).trimEnd()) > width) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += word;
  }
  lines.push(line.trimEnd());
  return lines;
}

function joinCells(cells: Array<{ text: string; width: number; tone?: Tone | undefined }>, rowTone: Tone | undefined, color: boolean): string {
  const last = cells.length - 1;
  return cells
    .map((cell, index) => {
      const pad = index === last ? '' : ' '.repeat(Math.max(0, cell.width - textWidth(cell.text)));
      // Colour the text, not the padding: a coloured run of spaces shows on some terminals.
      return paint(cell.text, rowTone ?? cell.tone, color) + pad;
    })
    .join(GAP)
    .trimEnd();
}

/**
 * One line of plain text: line breaks and tabs become spaces, and other control characters (a gateway's error
 * message could carry escape sequences) are shown as U+FFFD, never sent to the terminal; so are the
 * bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069), which would print what
 * follows them reordered ("gw-\u202eved" shows as "gw-dev").
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
}

/** Cuts text to `width` columns, ending in an ellipsis. */
export function cut(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const character of text) {
    const w = textWidth(character);
    if (used + w > width - 1) break;
    out += character;
    used += w;
  }
  return `${out}…`;
}

/** Wraps text into lines of at most `width` columns: at spaces where it can, anywhere where it must. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/(?<= )/)) {
    if (textWidth(line + word.trimEnd()) <= width) {
      line += word;
      continue;
    }
    if (line !== '') lines.push(line.trimEnd());
    line = '';
    let rest = word;
    while (textWidth(rest.trimEnd()) > width) {
      let head = '';
      for (const character of rest) {
        if (textWidth(head + character) > width) break;
        head += character;
      }
      lines.push(head);
      rest = rest.slice(head.length);
    }
    line = rest;
  }
  if (line.trimEnd() !== '' || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}
