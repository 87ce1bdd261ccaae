/**
 * Exit codes of the CLI, documented by `agentgw help exit-codes`. Apart from the error registry
 * (error-codes.ts), which gives each error code one of these.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  unreachable: 3,
  auth: 4,
  conflict: 5,
  /** A check found the gateway not ACTIVE (`gateway health`), like `diff --exit-code` finding drift. */
  unhealthy: 6,
  /** The person answered no (or Ctrl-D) to a question: nothing was done. */
  declined: 8,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
