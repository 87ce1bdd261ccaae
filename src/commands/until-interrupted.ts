/**
 * The end of every command that runs until the person stops it (`--watch`, `--follow`): SIGINT
 * or SIGTERM aborts the work's signal, and the command ends as interrupted (exit 130), quietly.
 */
import { InterruptedError } from '../domain/errors.js';

export async function untilInterrupted(what: string, work: (signal: AbortSignal) => Promise<void>): Promise<never> {
  const stop = new AbortController();
  let signal: NodeJS.Signals = 'SIGINT';
  const onSignal = (received: NodeJS.Signals) => {
    signal = received;
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await work(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  throw new InterruptedError(what, signal);
}
