/**
 * One error hierarchy for the whole product. Each error carries a stable `code`, the HTTP
 * status the daemon answers with, the exit code the CLI ends with, and a hint telling the user
 * what to try next. The daemon serialises it as problem+json and the remote client rebuilds the
 * same class from it, so both modes print the same message and exit the same way.
 *
 * @example
 * throw new NotFoundError('gateway', 'prod-gw-1');
 */

/** Exit codes of the CLI, documented by `agentgw help exit-codes`. */
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

export interface FieldError {
  path: string;
  message: string;
}

export interface ErrorOptions {
  hint?: string;
  details?: Record<string, unknown>;
  errors?: FieldError[];
  cause?: unknown;
}

export class AgentgwError extends Error {
  readonly code: string;
  readonly status: number;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly errors: FieldError[] | undefined;

  constructor(code: string, status: number, exitCode: ExitCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentgwError';
    this.code = code;
    this.status = status;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.details = options.details;
    this.errors = options.errors;
  }
}

export class ValidationError extends AgentgwError {
  constructor(message: string, errors: FieldError[] = [], options: Omit<ErrorOptions, 'errors'> = {}) {
    super('AGW_VALIDATION', 400, ExitCode.usage, message, { ...options, errors });
  }

  /** One invalid field, the usual case. */
  static field(path: string, message: string, hint?: string): ValidationError {
    return new ValidationError(`${path}: ${message}`, [{ path, message }], hint === undefined ? {} : { hint });
  }
}

export class UsageError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_USAGE', 400, ExitCode.usage, message, options);
  }
}

export class ConfigError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_CONFIG', 500, ExitCode.usage, message, options);
  }
}

export class NotFoundError extends AgentgwError {
  constructor(kind: string, ref: string, options: ErrorOptions = {}) {
    super('AGW_NOT_FOUND', 404, ExitCode.failure, `${kind} "${ref}" not found`, {
      ...options,
      details: { kind, ref, ...options.details },
    });
  }
}

export class ConflictError extends AgentgwError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(code, 409, ExitCode.conflict, message, options);
  }
}

export class PreconditionFailedError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_PRECONDITION_FAILED', 412, ExitCode.conflict, message, options);
  }
}

export class AuthenticationError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_UNAUTHENTICATED', 401, ExitCode.auth, message, options);
  }
}

export class ForbiddenError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_FORBIDDEN', 403, ExitCode.auth, message, options);
  }
}

/** The database or the daemon cannot be reached: exit 3, HTTP 503. */
export class UnavailableError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_UNAVAILABLE', 503, ExitCode.unreachable, message, options);
  }
}

/**
 * A gateway (or cloud provider) could not be reached or answered badly: HTTP 502, exit 1. A
 * gateway refusing the credentials agentgw holds for it is one of these too: exit 4 is kept for
 * agentgw's own token being refused, which a CI script must be able to tell apart.
 */
export class GatewayError extends AgentgwError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super(code, 502, ExitCode.failure, message, options);
  }
}

/**
 * A check found a gateway not ACTIVE (or not answering): exit 6, so that a script can tell "the
 * gateway is unhealthy" from "the check could not be made" (1) and from success (0).
 */
export class UnhealthyGatewayError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_GATEWAY_UNHEALTHY', 503, ExitCode.unhealthy, message, options);
  }
}

/** A gateway stored under one adapter type while another is active. */
export class AdapterMismatchError extends AgentgwError {
  constructor(gatewayName: string, storedType: string, activeType: string) {
    super(
      'AGW_ADAPTER_MISMATCH',
      409,
      ExitCode.conflict,
      `gateway "${gatewayName}" was registered with the ${storedType} adapter, but the active adapter is ${activeType}`,
      { hint: `set gateway.adapter.type to ${storedType} to manage it, or re-register it under ${activeType}` },
    );
  }
}

/**
 * "n" (or Ctrl-D) at a prompt: the person's own choice, not a failure. The CLI says nothing more
 * and exits 8, so a script can tell "declined" from "failed".
 */
export class DeclinedError extends AgentgwError {
  readonly quiet = true;

  constructor(message = 'declined') {
    super('AGW_DECLINED', 400, ExitCode.declined, message);
  }
}

/**
 * A command stopped by a signal: exit 130. Ctrl-C (SIGINT) is the person's own doing, so the CLI
 * says nothing more; another signal (a supervisor's SIGTERM) is named.
 */
export class InterruptedError extends AgentgwError {
  readonly quiet: boolean;

  constructor(what: string, signal: NodeJS.Signals = 'SIGINT') {
    super('AGW_INTERRUPTED', 499, ExitCode.interrupted, `${what} stopped by ${signal}`);
    this.quiet = signal === 'SIGINT';
  }
}

export class InternalError extends AgentgwError {
  constructor(message = 'internal error', options: ErrorOptions = {}) {
    super('AGW_INTERNAL', 500, ExitCode.failure, message, options);
  }
}

export function isAgentgwError(error: unknown): error is AgentgwError {
  return error instanceof AgentgwError;
}

/** The problem+json body (RFC 9457) for an error; the remote client rebuilds the error from it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  hint?: string;
  errors?: FieldError[];
  details?: Record<string, unknown>;
}

export function toProblem(error: AgentgwError): ProblemDocument {
  const problem: ProblemDocument = {
    type: `https://agentgw.dev/problems/${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: error.code,
    status: error.status,
    detail: error.message,
    code: error.code,
  };
  if (error.hint !== undefined) problem.hint = error.hint;
  if (error.errors !== undefined && error.errors.length > 0) problem.errors = error.errors;
  if (error.details !== undefined) problem.details = error.details;
  return problem;
}

const exitCodeByStatus: Record<number, ExitCode> = {
  400: ExitCode.usage,
  401: ExitCode.auth,
  403: ExitCode.auth,
  409: ExitCode.conflict,
  412: ExitCode.conflict,
  503: ExitCode.unreachable,
};

/** Rebuilds the error a daemon serialised, so remote mode fails exactly like local mode. */
export function fromProblem(problem: ProblemDocument): AgentgwError {
  const options: ErrorOptions = {};
  if (problem.hint !== undefined) options.hint = problem.hint;
  if (problem.errors !== undefined) options.errors = problem.errors;
  if (problem.details !== undefined) options.details = problem.details;
  const exitCode = exitCodeByStatus[problem.status] ?? ExitCode.failure;
  return new AgentgwError(problem.code, problem.status, exitCode, problem.detail, options);
}
