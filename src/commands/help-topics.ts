/** `agentgw help exit-codes` and other help topics that are not commands. */
import { ExitCode } from '../domain/errors.js';

const EXIT_CODES: Array<[number, string]> = [
  [ExitCode.ok, 'success (also: a list with no results)'],
  [ExitCode.failure, 'runtime or gateway error: a gateway unreachable or refusing, a deploy target failed, not found'],
  [ExitCode.usage, 'usage error or invalid input: bad flags, names, URLs, config; `diff --exit-code` found drift'],
  [ExitCode.unreachable, 'the database or the daemon cannot be reached'],
  [ExitCode.auth, 'authentication or authorization failed (token missing, expired, revoked or without the scope)'],
  [ExitCode.conflict, 'conflict: duplicate name, environment or gateway still in use, stale version (If-Match)'],
  [ExitCode.declined, 'declined: the question was answered no (or Ctrl-D); nothing was done'],
  [ExitCode.interrupted, 'interrupted (Ctrl-C, or a signal); an interrupted deploy or undeploy first records what it did'],
];

export const HELP_TOPICS: Record<string, () => string> = {
  'exit-codes': () =>
    ['Exit codes of agentgw (the same in local and --server mode):', '', ...EXIT_CODES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`), ''].join('\n'),
};
