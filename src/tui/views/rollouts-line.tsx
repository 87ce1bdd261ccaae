/** Running rollouts, one line each, above the body: resource, revision, wave and its gateways. */
import { Box, Text } from 'ink';
import type { Rollout } from '../../domain/rollouts.js';

export function rolloutLine(rollout: Rollout): string {
  const wave = rollout.waves[Math.min(rollout.currentWave, rollout.waves.length - 1)];
  const step = wave === undefined ? '' : ` · wave ${wave.index + 1}/${rollout.waves.length} ${wave.status === 'deployed' ? 'pausing' : 'deploying'} (${wave.gateways.join(', ')})`;
  return `rollout ${rollout.uuid.slice(0, 8)} ${rollout.resource.kind}/${rollout.resource.name} → revision ${rollout.revision}${step}`;
}

export function RolloutsLine({ rollouts }: { rollouts: Rollout[] | null }) {
  if (rollouts === null || rollouts.length === 0) return null;
  return (
    <Box flexDirection="column" flexShrink={0}>
      {rollouts.map((rollout) => (
        <Text key={rollout.uuid} wrap="truncate-end" color="cyan">
          {rolloutLine(rollout)}
        </Text>
      ))}
    </Box>
  );
}
