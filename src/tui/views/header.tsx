/** The top lines, after k9s: where the data comes from, the filters, the counts and its age. */
import { Box, Text } from 'ink';
import type { ClientDescription } from '../../client/client.js';
import { formatDuration } from '../../config/duration.js';
import { GATEWAY_STATUSES, type GatewayStatus } from '../../domain/types.js';
import { age } from '../../output/age.js';
import type { GatewaySelection } from '../selection.js';
import type { FleetError } from '../use-fleet.js';
import { STATUS_COLOR } from './theme.js';

export interface HeaderProps {
  source: ClientDescription;
  selection: GatewaySelection;
  /** Null for a fleet too large to hold: only the rows read are known. */
  counts: Record<GatewayStatus, number> | null;
  shown: number;
  total: number;
  /** More gateways follow `total` that are not read yet. */
  more?: boolean;
  updatedAt: Date | null;
  error: FleetError | null;
  now: Date;
  refreshMs: number;
  /** Following the daemon's event stream: changes show as they happen. */
  live?: boolean;
  paused: boolean;
  readonly: boolean;
}

export function Header(props: HeaderProps) {
  const { source, selection, counts, now } = props;
  const where = source.mode === 'remote' ? `server ${source.target}` : `database ${source.target}`;
  const updated = props.updatedAt === null ? 'no data yet' : `updated ${age(props.updatedAt, now)} ago`;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="cyan">agentgw</Text>
        {`  ${where}  adapter ${source.adapter ?? 'unknown'}  env `}
        <Text bold>{selection.environment?.name ?? 'all'}</Text>
        {'  type '}
        <Text bold>{selection.type ?? 'all'}</Text>
        {selection.text === '' ? '' : `  filter /${selection.text}`}
      </Text>
      <Text wrap="truncate-end">
        {props.shown === props.total ? '' : `${props.shown} of `}
        {`${props.total}${props.more === true ? '+' : ''} gateway${props.total === 1 && props.more !== true ? '' : 's'}`}
        {counts === null ? '' : GATEWAY_STATUSES.filter((s) => s === 'ACTIVE' || counts[s] > 0).map((status) => (
          <Text key={status}>
            {'  '}
            <Text color={STATUS_COLOR[status]}>{status}</Text> {counts[status]}
          </Text>
        ))}
        {`  ${updated}`}
        {props.paused ? <Text color="yellow" bold>  PAUSED</Text> : props.live ? '  live' : `  every ${formatDuration(props.refreshMs)}`}
        {props.readonly ? <Text color="yellow">  READ-ONLY</Text> : ''}
      </Text>
      {props.error === null ? null : (
        <>
          <Text wrap="truncate-end" color="black" backgroundColor="yellow">
            {` STALE  ${props.updatedAt === null ? 'no data yet' : `showing data from ${age(props.updatedAt, now)} ago`}`}
            {props.paused || props.error.refused !== null ? ' ' : `, retrying every ${formatDuration(props.refreshMs)} `}
          </Text>
          <Text wrap="truncate-end" color="yellow">
            {` ${props.error.message}${props.error.hint === null ? '' : ` (${props.error.hint})`}`}
          </Text>
        </>
      )}
    </Box>
  );
}
