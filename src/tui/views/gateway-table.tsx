/**
 * The gateway table: width-fitted columns, the rows on screen only (the caller passes just those:
 * a fleet of 100,000 costs a frame what a screenful does), and how many follow.
 */
import { Box, Text } from 'ink';
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

export function GatewayTable({ columns, rows, selected, top, below, more, now, empty }: GatewayTableProps) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {'  '}
        {columns.map((c) => cell(c.header, c.width, c.align)).join(gap)}
      </Text>
      {rows.length === 0 ? <Text dimColor>{`  ${empty}`}</Text> : null}
      {rows.map((row, index) => {
        const isSelected = top + index === selected;
        return (
          <Text key={row.gateway.uuid} inverse={isSelected} wrap="truncate-end">
            {isSelected ? '> ' : '  '}
            {columns.map((c, i) => (
              <Text key={c.header} color={c.header === 'STATUS' ? statusColor(row.gateway.status) : undefined}>
                {i === 0 ? '' : gap}
                {cell(c.value(row, now), c.width, c.align)}
              </Text>
            ))}
          </Text>
        );
      })}
      {below > 0 || more ? <Text dimColor>{`  … ${below.toLocaleString('en-US')}${more ? '+' : ''} more below`}</Text> : null}
    </Box>
  );
}
