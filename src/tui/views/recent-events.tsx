/** The recent-events pane under the gateway table (remote mode): the latest events, one line each. */
import { Box, Text } from 'ink';
import type { AgentgwEvent } from '../../domain/events.js';
import { age } from '../../output/age.js';

/** The latest events from the daemon's stream, newest first, one line each. */
export function RecentEvents(props: { events: AgentgwEvent[]; now: Date; width: number }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      {props.events.map((event) => (
        <Text key={event.id} dimColor wrap="truncate">
          {`${age(event.time, props.now).padStart(4)}  ${event.type}  ${event.subject.kind}/${event.subject.name}  ${event.actor}${describeData(event)}`.slice(0, props.width)}
        </Text>
      ))}
    </Box>
  );
}

function describeData(event: AgentgwEvent): string {
  const data = event.data as { from?: string; to?: string };
  return event.type === 'gateway.status_changed' ? `  ${data.from} → ${data.to}` : '';
}
