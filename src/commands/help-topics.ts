/** `agentgw help exit-codes`, `agentgw help errors`: help topics that are not commands. */
import { ERRORS_PAGE } from '../domain/error-codes.js';
import { errorEntries } from '../domain/errors-page.js';
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

/** The error registry: each code with its HTTP status, exit code, title and next step. */
function errorCodes(): string {
  const entries = errorEntries();
  const width = Math.max(...entries.map(([code]) => code.length));
  return [
    `Error codes of agentgw (each also at ${ERRORS_PAGE}#CODE, the problem+json type of the daemon's answers):`,
    '',
    `  ${'CODE'.padEnd(width)}  HTTP  EXIT  TITLE`,
    ...entries.flatMap(([code, spec]) => [
      `  ${code.padEnd(width)}  ${String(spec.status).padEnd(4)}  ${String(spec.exit).padStart(4)}  ${spec.title}`,
      `  ${' '.repeat(width)}  next: ${spec.hint}`,
    ]),
    '',
  ].join('\n');
}

export const HELP_TOPICS: Record<string, () => string> = {
  errors: errorCodes,
  'exit-codes': () =>
    ['Exit codes of agentgw (the same in local and --server mode):', '', ...EXIT_CODES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`), ''].join('\n'),
};
