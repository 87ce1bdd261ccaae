/** The bottom lines: a message (result of the last action) and the key hints of the current view. */
import { Box, Text } from 'ink';
import type { KeyHint } from './theme.js';

export interface FooterMessage {
  text: string;
  tone: 'info' | 'error';
}

const hintWidth = (hint: KeyHint) => hint.keys.length + hint.label.length + 5;

/** Hints left out first when the line is too narrow; `?` lists them all. */
const DROP_ORDER = ['tab', 'p', 'r', 't', 'e', '↑↓ jk', '/', 'enter'];

/** The hints that fit in `width`, in their order, the least needed left out first. */
export function fitHints(hints: KeyHint[], width: number): KeyHint[] {
  let shown = hints;
  for (const keys of DROP_ORDER) {
    if (shown.reduce((sum, h) => sum + hintWidth(h), 0) <= width) break;
    shown = shown.filter((h) => h.keys !== keys);
  }
  return shown;
}

export function Footer({ hints, message, prompt, width }: { hints: KeyHint[]; message: FooterMessage | null; prompt: string | null; width: number }) {
  const shown = fitHints(hints, width);
  return (
    <Box flexDirection="column">
      {prompt !== null ? (
        <Text wrap="truncate-end">
          <Text color="cyan">{prompt}</Text>
          <Text inverse> </Text>
        </Text>
      ) : (
        <Text wrap="truncate-end" color={message?.tone === 'error' ? 'red' : undefined}>
          {message?.text ?? ' '}
        </Text>
      )}
      <Text wrap="truncate-end" dimColor>
        {shown.map((hint, index) => (
          <Text key={hint.keys}>
            {index === 0 ? '' : '  '}
            <Text bold>{`<${hint.keys}>`}</Text> {hint.label}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
