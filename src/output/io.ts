/**
 * Where a command reads and writes. Commands take these streams from here instead of reaching for
 * `process.std*`, so what differs at a terminal (a header, colour, the width, a prompt) is decided
 * in one place, from the streams a command was given.
 */
import { ExitCode } from '../domain/exit-codes.js';

export interface IO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export function processIO(): IO {
  handleWriteErrors(process.stdout);
  return {
    // Node builds process.stdin on first use (a stream, ~5 ms); most commands never read it.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    // Most commands never write to stderr either. Built, a pipe's stream loads Node's net module
    // (~3 ms), and its handle, listed as a resource, keeps the launcher from exiting at once when
    // the command is done (src/launcher/launch.ts): `gateway list` with stderr piped, Node 22,
    // 4 ms less before the command starts and 3 ms less to exit.
    get stderr() {
      return process.stderr;
    },
    env: process.env,
  };
}

/**
 * What becomes of a failed write to stdout.
 * - `agentgw gateway list --all -o json | head`: once the reader has what it wants it closes the
 *   pipe, and the next write fails with EPIPE. The reader leaving is not an error of the command:
 *   the stream closes, and commands that write for a while stop on it (`readerLeft`).
 * - Anything else (`> file` on a full disk: ENOSPC; an I/O error) loses the output: one line
 *   saying so, and exit 1 at once, where Node would print the bundle's source line and a stack.
 */
function handleWriteErrors(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    process.stderr.write(`error: cannot write the output: ${error.message}\n`);
    process.exit(ExitCode.failure);
  });
}

/** Whether whoever read `stream` has gone (a closed pipe): nothing more written reaches anyone. */
export function readerLeft(stream: NodeJS.WriteStream): boolean {
  return stream.destroyed;
}

/** The width of a terminal that does not say: what most are, and what piped output never needs. */
export const DEFAULT_COLUMNS = 120;

/**
 * Colour on `stream`: only on a terminal, and never with `--no-color` (`flag` false), NO_COLOR
 * (any value, https://no-color.org) or TERM=dumb.
 */
export function colorFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv, flag = true): boolean {
  return flag && stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** Whether a person can answer a question: both the keyboard and the screen are a terminal. */
export function canPrompt(io: IO): boolean {
  return io.stdin.isTTY === true && io.stderr.isTTY === true;
}
