/** The environments, each with its gateways counted by status, and the selected one's gateways listed. */
import { Box, Text } from 'ink';
import type { Environment, Gateway } from '../../domain/types.js';
import { age } from '../../output/age.js';
import { cell, fitColumns, GAP, type TableColumn } from '../columns.js';
import { countByStatus } from '../selection.js';
import { statusColor } from './theme.js';

export interface EnvironmentsViewProps {
  environments: Environment[];
  /** Null for a fleet too large to hold: no counts, and the table lists an environment's gateways. */
  gateways: Gateway[] | null;
  selected: number;
  width: number;
  height: number;
  now: Date;
}

interface EnvironmentRow {
  environment: Environment;
  gateways: Gateway[] | null;
}

const counted = (gateways: Gateway[] | null, count: (gateways: Gateway[]) => number) => (gateways === null ? '-' : String(count(gateways)));

const COLUMNS: TableColumn<EnvironmentRow>[] = [
  { header: 'NAME', value: (r) => r.environment.name, min: 8, max: 32, align: 'left', keep: 100 },
  { header: 'DISPLAY NAME', value: (r) => r.environment.displayName, min: 12, max: 32, align: 'left', keep: 30 },
  { header: 'GATEWAYS', value: (r) => counted(r.gateways, (g) => g.length), min: 8, max: 8, align: 'right', keep: 100 },
  { header: 'ACTIVE', value: (r) => counted(r.gateways, (g) => countByStatus(g).ACTIVE), min: 6, max: 6, align: 'right', keep: 90 },
  { header: 'NOT ACTIVE', value: (r) => counted(r.gateways, (g) => g.length - countByStatus(g).ACTIVE), min: 10, max: 10, align: 'right', keep: 80 },
  { header: 'DESCRIPTION', value: (r) => r.environment.description ?? '-', min: 11, max: 60, align: 'left', keep: 10 },
];

const gap = ' '.repeat(GAP);

export function EnvironmentsView({ environments, gateways, selected, width, height, now }: EnvironmentsViewProps) {
  const rows = environments.map((environment) => ({
    environment,
    gateways: gateways === null ? null : gateways.filter((g) => g.environments.some((e) => e.uuid === environment.uuid)).sort((a, b) => a.name.localeCompare(b.name)),
  }));
  const columns = fitColumns(COLUMNS, rows, width, now);
  const current = rows[selected];
  const listed = Math.max(1, height - rows.length - 3);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">{`  ${columns.map((c) => cell(c.header, c.width, c.align)).join(gap)}`}</Text>
      {rows.length === 0 ? <Text dimColor>{'  no environments'}</Text> : null}
      {rows.map((row, index) => (
        <Text key={row.environment.uuid} inverse={index === selected} wrap="truncate-end">
          {index === selected ? '> ' : '  '}
          {columns.map((c) => cell(c.value(row, now), c.width, c.align)).join(gap)}
        </Text>
      ))}
      {current === undefined ? null : current.gateways === null ? (
        <Text dimColor>{`  enter lists the gateways of ${current.environment.name} in the table`}</Text>
      ) : (
        <>
          <Text bold>{`Gateways in ${current.environment.name}`}</Text>
          {current.gateways.length === 0 ? <Text dimColor>{'  none'}</Text> : null}
          {current.gateways.slice(0, listed).map((g) => (
            <Text key={g.uuid} wrap="truncate-end">
              {`  ${cell(g.name, 24)}  ${cell(g.type, 7)}  `}
              <Text color={statusColor(g.status)}>{cell(g.status, 12)}</Text>
              <Text dimColor>{`checked ${age(g.lastCheckedAt, now)} ago`}</Text>
            </Text>
          ))}
          {current.gateways.length > listed ? <Text dimColor>{`  … ${current.gateways.length - listed} more`}</Text> : null}
        </>
      )}
    </Box>
  );
}
