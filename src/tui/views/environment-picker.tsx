/** `e`: choose the environment the gateway table is filtered by. */
import { Box, Text } from 'ink';
import type { Environment } from '../../domain/types.js';

export function EnvironmentPicker({ environments, selected, current }: { environments: Environment[]; selected: number; current: string | null }) {
  const choices = [{ uuid: null as string | null, label: 'all environments' }, ...environments.map((e) => ({ uuid: e.uuid as string | null, label: e.name }))];
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Filter by environment</Text>
      {choices.map((choice, index) => (
        <Text key={choice.uuid ?? '*'} inverse={index === selected} wrap="truncate-end">
          {index === selected ? '> ' : '  '}
          {choice.label}
          {choice.uuid === current ? '  (current)' : ''}
        </Text>
      ))}
    </Box>
  );
}
