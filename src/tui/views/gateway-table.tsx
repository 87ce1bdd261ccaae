/** The gateway table: width-fitted columns, a window of rows around the selection. */
import { Box, Text } from 'ink';
import { cell, GAP, type FittedColumn, type GatewayRow } from '../columns.js';
import { statusColor } from './theme.js';

export interface GatewayTableProps {
  columns: FittedColumn<GatewayRow>[];
  rows: GatewayRow[];
  selected: number;
  top: number;
  height: number;
  now: Date;
  empty: string;
}

const gap = ' '.repeat(GAP);

export function GatewayTable({ columns, rows, selected, top, height, now, empty }: GatewayTableProps) {
  const visible = rows.slice(top, top + height);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {'  '}
        {columns.map((c) => cell(c.header, c.width, c.align)).join(gap)}
      </Text>
      {visible.length === 0 ? <Text dimColor>{`  ${empty}`}</Text> : null}
      {visible.map((row, index) => {
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
      {rows.length > top + height ? <Text dimColor>{`  … ${rows.length - top - height} more below`}</Text> : null}
    </Box>
  );
}
