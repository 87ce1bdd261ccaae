/**
 * An IO for running commands in this process (src/cli.ts main(argv, io)): stdout and stderr are
 * collected as text, stdin is the given text, and whether they are terminals, and how wide, is
 * what the test says.
 */
import { Readable, Writable } from 'node:stream';
import type { IO } from '../../src/output/io.js';

export interface FakeIO {
  io: IO;
  stdout(): string;
  stderr(): string;
}

export function fakeIO(options: { tty?: boolean; columns?: number; stdin?: string; env?: NodeJS.ProcessEnv } = {}): FakeIO {
  const written = { stdout: '', stderr: '' };
  const stream = (name: 'stdout' | 'stderr') =>
    Object.assign(
      new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          written[name] += chunk.toString();
          done();
        },
      }),
      { isTTY: options.tty === true, columns: options.columns ?? 80 },
    ) as unknown as NodeJS.WriteStream;
  const stdin = Object.assign(Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]), { isTTY: false }) as unknown as NodeJS.ReadStream;
  return {
    io: { stdin, stdout: stream('stdout'), stderr: stream('stderr'), env: { NO_COLOR: '1', ...options.env } },
    stdout: () => written.stdout,
    stderr: () => written.stderr,
  };
}
