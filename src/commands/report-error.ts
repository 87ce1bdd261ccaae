/**
 * How the CLI ends on an error. An expected failure (an AgentgwError) prints its message and the
 * next step, and exits with its code. Anything else is a bug: one line with the message and one
 * asking for a report; the stack only with AGENTGW_DEBUG=1, mapped to the TypeScript sources.
 */
import { CommanderError } from 'commander';
import { REPORT_A_BUG } from '../domain/error-codes.js';
import { AgentgwError, DeclinedError, ExitCode, InterruptedError } from '../domain/errors.js';

export interface ErrorSink {
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Prints `error` for a person on stderr; returns the exit code. */
export function reportError(error: unknown, io: ErrorSink): number {
  const write = (line: string) => io.stderr.write(`${line}\n`);
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; they already printed.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage;
  }
  // The person's own choice (n at a prompt, Ctrl-C): they know what happened.
  if ((error instanceof DeclinedError || error instanceof InterruptedError) && error.quiet) return error.exitCode;
  if (error instanceof AgentgwError) {
    write(`error: ${error.message}`);
    for (const field of error.errors ?? []) {
      if (!error.message.includes(field.message)) write(`  ${field.path}: ${field.message}`);
    }
    if (error.hint) write(`hint: ${error.hint}`);
    if (error.isBug && error.hint !== REPORT_A_BUG) write(REPORT_A_BUG);
    return error.exitCode;
  }
  reportBug(error, io);
  return ExitCode.failure;
}

/** An exception agentgw did not anticipate: its message, its stack with AGENTGW_DEBUG=1, and a request for a report. */
export function reportBug(error: unknown, io: ErrorSink): void {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`error: unexpected failure: ${message}\n`);
  if (io.env.AGENTGW_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
  io.stderr.write(`${REPORT_A_BUG}\n`);
}
