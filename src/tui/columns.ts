/**
 * The gateway table's columns, fitted to the terminal: each column takes the width its content
 * needs (within a cap); when the row is too wide, ENVIRONMENTS is cut with an ellipsis, then the
 * least useful columns go. NAME is cut only when NAME and STATUS alone are wider than the
 * terminal. Pure, so it is tested without Ink.
 *
 * @example
 * const layout = fitColumns(GATEWAY_TABLE, rows, 80);
 * layout.map((column) => cell(column.value(row), column.width, column.align));
 */
import type { Gateway, GatewayMetricsReport } from '../domain/types.js';
import { age } from '../output/age.js';
import { NAME_MAX } from '../domain/validation.js';

/** What a row of the table is made of: the gateway and, when fetched, its metrics. */
export interface GatewayRow {
  gateway: Gateway;
  metrics: GatewayMetricsReport | null;
}

export interface TableColumn<Row> {
  header: string;
  value: (row: Row, now: Date) => string;
  /** Smallest width worth showing; columns that can shrink are cut with an ellipsis. */
  min: number;
  max: number;
  align: 'left' | 'right';
  /** Lower goes first when the terminal is too narrow; NAME and STATUS are never dropped. */
  keep: number;
}

export interface FittedColumn<Row> extends TableColumn<Row> {
  width: number;
}

/** Space between columns, and the selection marker in front of each row. */
export const GAP = 2;
export const MARKER_WIDTH = 2;

const dash = (value: number | null | undefined, format: (n: number) => string) => (value === null || value === undefined ? '-' : format(value));

export const GATEWAY_TABLE: TableColumn<GatewayRow>[] = [
  // A name is never cut while the essential columns fit (see fitColumns).
  { header: 'NAME', value: (r) => r.gateway.name, min: NAME_MAX, max: NAME_MAX, align: 'left', keep: 100 },
  { header: 'TYPE', value: (r) => r.gateway.type, min: 7, max: 7, align: 'left', keep: 40 },
  { header: 'ENVIRONMENTS', value: (r) => r.gateway.environments.map((e) => e.name).join(',') || '-', min: 12, max: 32, align: 'left', keep: 50 },
  { header: 'STATUS', value: (r) => r.gateway.status, min: 8, max: 12, align: 'left', keep: 100 },
  { header: 'CHECKED', value: (r, now) => age(r.gateway.lastCheckedAt, now), min: 7, max: 7, align: 'right', keep: 45 },
  { header: 'RESPONSE', value: (r) => dash(r.gateway.responseTimeMs, (ms) => `${ms}ms`), min: 8, max: 9, align: 'right', keep: 30 },
  { header: 'RESOURCES', value: (r) => dash(r.metrics?.resourceCount, String), min: 9, max: 9, align: 'right', keep: 10 },
  { header: 'REQ/S', value: (r) => dash(r.metrics?.requestRate, (n) => n.toFixed(1)), min: 6, max: 9, align: 'right', keep: 25 },
  { header: 'ERR%', value: (r) => dash(r.metrics?.errorRate, (n) => n.toFixed(1)), min: 5, max: 6, align: 'right', keep: 20 },
];

/** The columns that fit in `width`, each with the width it is drawn at. */
export function fitColumns<Row>(columns: TableColumn<Row>[], rows: Row[], width: number, now: Date = new Date()): FittedColumn<Row>[] {
  let fitted = columns.map((column) => {
    const widest = rows.reduce((w, row) => Math.max(w, column.value(row, now).length), column.header.length);
    return { ...column, width: Math.min(column.max, Math.max(column.header.length, widest)) };
  });
  const excess = () => MARKER_WIDTH + fitted.reduce((sum, c) => sum + c.width, 0) + GAP * Math.max(0, fitted.length - 1) - width;
  const shrink = (column: FittedColumn<Row>, floor: number) => {
    column.width = Math.max(Math.min(floor, column.width), column.width - Math.max(0, excess()));
  };
  const optional = [...fitted].filter((c) => c.keep < 100).sort((a, b) => a.keep - b.keep);
  const essential = fitted.filter((c) => c.keep >= 100);

  // Text that can be cut with an ellipsis (ENVIRONMENTS) is cut before a figure is dropped; then
  // the optional columns go, least useful first; then NAME and STATUS are cut, NAME first.
  for (const column of optional) if (column.align === 'left') shrink(column, column.min);
  for (const column of optional) {
    if (excess() <= 0) break;
    fitted = fitted.filter((c) => c !== column);
  }
  for (const column of essential) shrink(column, column.min);
  if (essential[0]) shrink(essential[0], 3);
  return fitted;
}

/** A cell padded (or cut, with an ellipsis) to exactly `width` characters. */
export function cell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
}
