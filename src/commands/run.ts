/** Runs a command body with its context, and always releases it (database, sockets). */
import { createCommandContext, type CommandContext, type GlobalOptions } from './context.js';
import { UsageError } from '../domain/errors.js';

export async function withContext(globals: GlobalOptions, body: (context: CommandContext) => Promise<void>): Promise<void> {
  const context = await createCommandContext(globals);
  try {
    await body(context);
  } finally {
    await context.close();
  }
}

/**
 * Asks before a destructive action on a terminal; off a terminal it needs --yes, so a script
 * never hangs on a prompt it cannot see.
 */
export async function confirm(question: string, yes: boolean | undefined, flagHint = '--yes'): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`${question.replace(/\?$/, '')}: refusing without confirmation`, { hint: `not a terminal; pass ${flagHint} to confirm` });
  }
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('cancelled');
  } finally {
    prompt.close();
  }
}

/** Reads all of standard input (for --password-stdin), without the final newline. */
export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(`${what} expected on standard input, but it is a terminal`, { hint: `printf %s "$SECRET" | agentgw … ${what}` });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new UsageError(`${what}: standard input was empty`);
  return text;
}
