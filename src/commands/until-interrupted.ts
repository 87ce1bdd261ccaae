/**
 * The end of every command that runs until the person stops it (`--watch`, `--follow`): SIGINT
 * or SIGTERM aborts the work's signal, and the command ends as interrupted (exit 130), quietly.
 * When the reader of its output leaves (`agentgw gateway watch | head -3`), the work stops too,
 * and the command ends as done: nothing went wrong, nobody is reading any more.
 */
import { InterruptedError } from '../domain/errors.js';

export async function untilInterrupted(what: string, work: (signal: AbortSignal) => Promise<void>, stdout: NodeJS.WriteStream = process.stdout): Promise<void> {
  const stop = new AbortController();
  let signal: NodeJS.Signals | null = null;
  const onSignal = (received: NodeJS.Signals) => {
    signal = received;
    stop.abort();
  };
  const onReaderLeft = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  stdout.once('close', onReaderLeft);
  try {
    if (!stdout.destroyed) await work(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stdout.off('close', onReaderLeft);
  }
  if (signal === null && stop.signal.aborted) return;
  throw new InterruptedError(what, signal ?? 'SIGINT');
}
