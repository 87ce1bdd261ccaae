/**
 * The gateway table: width-fitted columns, the rows on screen only (the caller passes just those:
 * a fleet of 100,000 costs a frame what a screenful does), and how many follow.
 *
 * Each row is drawn as one line of text, made up front (tableLine), by a memoised component: a
 * frame in which a row's text and selection did not change (↓ changes two rows) does not render
 * it again, and the row is one Ink text node of three parts rather than one per cell.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import { cell, GAP, type FittedColumn, type GatewayRow } from '../columns.js';
import { statusColor } from './theme.js';

export interface GatewayTableProps {
  columns: FittedColumn<GatewayRow>[];
  /** The rows on screen, the first of them row `top` of the list. */
  rows: GatewayRow[];
  selected: number;
  top: number;
  /** Rows of the list after these. */
  below: number;
  /** More rows follow `below` that are not read yet. */
  more: boolean;
  now: Date;
  empty: string;
}

const gap = ' '.repeat(GAP);
/** The column drawn in its status's colour (with the gap before it, as one coloured part). */
const COLOURED = 'STATUS';

/** A row's text: the cells before STATUS, STATUS (with its gap), and the cells after it. */
export interface TableLine {
  before: string;
  status: string;
  after: string;
  color: string | undefined;
}

export function tableLine(columns: FittedColumn<GatewayRow>[], row: GatewayRow, now: Date): TableLine {
  let before = '';
  let status = '';
  let after = '';
  columns.forEach((column, index) => {
    const text = (index === 0 ? '' : gap) + cell(column.value(row, now), column.width, column.align);
    if (column.header === COLOURED) status = text;
    else if (status === '') before += text;
    else after += text;
  });
  return { before, status, after, color: statusColor(row.gateway.status) };
}

export function GatewayTable({ columns, rows, selected, top, below, more, now, empty }: GatewayTableProps) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {'  '}
        {columns.map((c) => cell(c.header, c.width, c.align)).join(gap)}
      </Text>
      {rows.length === 0 ? <Text dimColor>{`  ${empty}`}</Text> : null}
      {rows.map((row, index) => (
        <GatewayLine key={row.gateway.uuid} selected={top + index === selected} {...tableLine(columns, row, now)} />
      ))}
      {below > 0 || more ? <Text dimColor>{`  … ${below.toLocaleString('en-US')}${more ? '+' : ''} more below`}</Text> : null}
    </Box>
  );
}

/** Renders of a row's line, for tests: a row that did not change is not rendered again. */
export const lineRenders = { count: 0 };

const GatewayLine = memo(function GatewayLine({ before, status, after, color, selected }: TableLine & { selected: boolean }) {
  lineRenders.count += 1;
  return (
    <Text inverse={selected} wrap="truncate-end">
      {selected ? '> ' : '  '}
      {before}
      <Text color={color}>{status}</Text>
      {after}
    </Text>
  );
});
