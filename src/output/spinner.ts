/**
 * A spinner on stderr while a person waits at a terminal (ora); nothing at all when stdout or
 * stderr is not a terminal, so logs and pipes never fill with frames.
 */
import type { IO } from './io.js';

export interface Spinner {
  text(message: string): void;
  /** A line that stays above the spinner (a failure as it happens). */
  print(line: string): void;
  stop(): void;
}

const SILENT: Spinner = { text: () => {}, print: () => {}, stop: () => {} };

export async function startSpinner(io: IO, message: string): Promise<Spinner> {
  if (io.stdout.isTTY !== true || io.stderr.isTTY !== true) return SILENT;
  const { default: ora } = await import('ora');
  // discardStdin would put the terminal in raw mode to swallow keys, and then, since it never
  // starts stdin flowing, swallow Ctrl-C too (stdin-discarder 0.2): the terminal keeps its own
  // Ctrl-C, which interrupts as everywhere else.
  const spinner = ora({ text: message, stream: io.stderr, discardStdin: false }).start();
  return {
    text: (next) => {
      spinner.text = next;
    },
    print: (line) => {
      spinner.clear();
      io.stderr.write(`${line}\n`);
      spinner.render();
    },
    stop: () => {
      if (spinner.isSpinning) spinner.stop();
    },
  };
}
