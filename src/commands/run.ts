/** Runs a command body with its context, and always releases it (database, sockets). */
import type { CommandContext } from './context.js';
import type { Invocation } from './define.js';
import { UsageError } from '../domain/errors.js';
import type { IO } from '../output/io.js';
import { askSecret } from '../output/prompt.js';

export async function withContext(invocation: Invocation, body: (context: CommandContext) => Promise<void>): Promise<void> {
  // Imported when the command runs: a command's module loads for its --help too, which needs no config.
  const { createCommandContext } = await import('./context.js');
  const context = await createCommandContext(invocation.globals, invocation.io);
  try {
    await body(context);
  } finally {
    await context.close();
  }
}

/**
 * A password for `--password-stdin`: all of standard input without its final newline when it is
 * piped, or typed at a hidden prompt when it is a terminal (as `docker login` asks).
 */
export async function readPassword(io: IO, flag: string): Promise<string> {
  if (io.stdin.isTTY) {
    if (!io.stderr.isTTY) throw new UsageError(`${flag}: standard input is a terminal, but there is none to ask on`, { hint: `printf %s "$SECRET" | agentgw … ${flag}` });
    return askSecret(io, 'Password');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new UsageError(`${flag}: standard input was empty`);
  return text;
}
