/** `?`: every key, in the views where it applies, laid out in as many columns as fit. */
import { Box, Text } from 'ink';
import { cell } from '../columns.js';
import type { KeyHint } from './theme.js';

const KEY_WIDTH = 8;
const ENTRY_WIDTH = 34;

export function HelpView({ sections, width }: { sections: Array<{ title: string; keys: KeyHint[] }>; width: number }) {
  const perLine = Math.max(1, Math.floor((width - 2) / ENTRY_WIDTH));
  return (
    <Box flexDirection="column">
      {sections.map((section) => {
        const lines: KeyHint[][] = [];
        for (let i = 0; i < section.keys.length; i += perLine) lines.push(section.keys.slice(i, i + perLine));
        return (
          <Box key={section.title} flexDirection="column" marginBottom={1}>
            <Text bold>{section.title}</Text>
            {lines.map((line) => (
              <Text key={line[0]!.keys} wrap="truncate-end">
                {'  '}
                {line.map((hint) => (
                  <Text key={hint.keys}>
                    <Text bold>{cell(hint.keys, KEY_WIDTH)}</Text>
                    {cell(hint.label, ENTRY_WIDTH - KEY_WIDTH)}
                  </Text>
                ))}
              </Text>
            ))}
          </Box>
        );
      })}
    </Box>
  );
}
