/** `agentgw help exit-codes` and other help topics that are not commands. */
import { ExitCode } from '../domain/errors.js';

const EXIT_CODES: Array<[number, string]> = [
  [ExitCode.ok, 'success (also: a list with no results; `gateway health`: the gateway is ACTIVE and answered)'],
  [
    ExitCode.failure,
    'runtime or gateway error: a gateway unreachable, failing or refusing the credentials stored for it; a deploy target failed; ' +
      'cloud provisioning ended in ERROR; `gateway metrics` could not read the gateway; not found (also an unknown environment in a filter)',
  ],
  [ExitCode.usage, 'usage error or invalid input: bad flags, names, URLs, config, an update with nothing to change; `diff --exit-code` found drift'],
  [ExitCode.unreachable, 'the database or the daemon cannot be reached'],
  [ExitCode.auth, 'agentgw’s own token was refused: missing, expired, revoked or without the scope (a gateway refusing its credentials is 1)'],
  [ExitCode.conflict, 'conflict: duplicate name, environment or gateway still in use, stale version (If-Match)'],
  [ExitCode.unhealthy, 'unhealthy: `gateway health` found the gateway INACTIVE, ERROR, PROVISIONING or not answering, or `--wait` timed out first'],
  [ExitCode.declined, 'declined: the question was answered no (or Ctrl-D); nothing was done'],
  [ExitCode.interrupted, 'interrupted (Ctrl-C, or a signal; also SIGTERM while waiting or watching); an interrupted deploy or undeploy first records what it did'],
];

export const HELP_TOPICS: Record<string, () => string> = {
  'exit-codes': () =>
    ['Exit codes of agentgw (the same in local and --server mode):', '', ...EXIT_CODES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`), ''].join('\n'),
};
