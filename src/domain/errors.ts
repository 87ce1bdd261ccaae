/**
 * One error hierarchy for the whole product. Each error carries a stable `code`, the HTTP
 * status the daemon answers with, the exit code the CLI ends with, and a hint telling the user
 * what to try next. The daemon serialises it as problem+json and the remote client rebuilds the
 * same class from it, so both modes print the same message and exit the same way.
 *
 * @example
 * throw new NotFoundError('gateway', 'prod-gw-1');
 */

import { errorSpec, problemType, type ErrorCode, type ErrorCodeWithStatus } from './error-codes.js';
import { ExitCode } from './exit-codes.js';

export { ExitCode } from './exit-codes.js';
export type { ErrorCode } from './error-codes.js';

export interface FieldError {
  path: string;
  message: string;
}

export interface ErrorOptions {
  /** The next step here; without one, the registry's hint for the code. */
  hint?: string | undefined;
  details?: Record<string, unknown>;
  errors?: FieldError[];
  cause?: unknown;
  /** Only for a code whose status varies (AGW_BAD_REQUEST), and for a daemon's error rebuilt. */
  status?: number;
  /** Only for a daemon's error rebuilt by the remote client: the exit code the daemon said. */
  exitCode?: ExitCode;
}

export class AgentgwError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly errors: FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // A code this version does not know comes only from a newer daemon, with its status and exit code.
    const spec = errorSpec(code);
    this.name = 'AgentgwError';
    this.code = code;
    this.status = options.status ?? spec?.status ?? 500;
    this.exitCode = options.exitCode ?? spec?.exit ?? ExitCode.failure;
    this.hint = options.hint ?? (spec?.generalHint ? undefined : spec?.hint);
    this.details = options.details;
    this.errors = options.errors;
  }

  /** A bug rather than an expected failure: the CLI asks for a report. */
  get isBug(): boolean {
    return errorSpec(this.code)?.bug === true;
  }
}

export class ValidationError extends AgentgwError {
  constructor(message: string, errors: FieldError[] = [], options: Omit<ErrorOptions, 'errors'> = {}) {
    super('AGW_VALIDATION', message, { ...options, errors });
  }

  /** One invalid field, the usual case. */
  static field(path: string, message: string, hint?: string): ValidationError {
    return new ValidationError(`${path}: ${message}`, [{ path, message }], hint === undefined ? {} : { hint });
  }
}

export class UsageError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_USAGE', message, options);
  }
}

export class ConfigError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_CONFIG', message, options);
  }
}

export class NotFoundError extends AgentgwError {
  constructor(kind: string, ref: string, options: ErrorOptions = {}) {
    super('AGW_NOT_FOUND', `${kind} "${ref}" not found`, {
      ...options,
      details: { kind, ref, ...options.details },
    });
  }
}

export class ConflictError extends AgentgwError {
  constructor(code: ErrorCodeWithStatus<409>, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
  }
}

export class PreconditionFailedError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_PRECONDITION_FAILED', message, options);
  }
}

export class AuthenticationError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_UNAUTHENTICATED', message, options);
  }
}

export class ForbiddenError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_FORBIDDEN', message, options);
  }
}

/** The database or the daemon cannot be reached: exit 3, HTTP 503. */
export class UnavailableError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_UNAVAILABLE', message, options);
  }
}

/**
 * A gateway (or cloud provider) could not be reached or answered badly: HTTP 502, exit 1. A
 * gateway refusing the credentials agentgw holds for it is one of these too: exit 4 is kept for
 * agentgw's own token being refused, which a CI script must be able to tell apart.
 */
export class GatewayError extends AgentgwError {
  constructor(code: ErrorCodeWithStatus<502>, message: string, options: ErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * A check found a gateway not ACTIVE (or not answering): exit 6, so that a script can tell "the
 * gateway is unhealthy" from "the check could not be made" (1) and from success (0).
 */
export class UnhealthyGatewayError extends AgentgwError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('AGW_GATEWAY_UNHEALTHY', message, options);
  }
}

/** A gateway stored under one adapter type while another is active. */
export class AdapterMismatchError extends AgentgwError {
  constructor(gatewayName: string, storedType: string, activeType: string) {
    super(
      'AGW_ADAPTER_MISMATCH',
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
    super('AGW_DECLINED', message);
  }
}

/**
 * A command stopped by a signal: exit 130. Ctrl-C (SIGINT) is the person's own doing, so the CLI
 * says nothing more; another signal (a supervisor's SIGTERM) is named.
 */
export class InterruptedError extends AgentgwError {
  readonly quiet: boolean;

  constructor(what: string, signal: NodeJS.Signals = 'SIGINT') {
    super('AGW_INTERRUPTED', `${what} stopped by ${signal}`);
    this.quiet = signal === 'SIGINT';
  }
}

export class InternalError extends AgentgwError {
  constructor(message = 'internal error', options: ErrorOptions = {}) {
    super('AGW_INTERNAL', message, options);
  }
}

export function isAgentgwError(error: unknown): error is AgentgwError {
  return error instanceof AgentgwError;
}

/** The problem+json body (RFC 9457) for an error; the remote client rebuilds the error from it. */
export interface ProblemDocument {
  /** The code's entry on the errors page (docs/errors.md). */
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  hint?: string;
  errors?: FieldError[];
  details?: Record<string, unknown>;
  /** The exit code the error has in-process (a status alone cannot say: a config error is a 500 but exits 2). */
  exitCode?: number;
}

export function toProblem(error: AgentgwError): ProblemDocument {
  const problem: ProblemDocument = {
    type: problemType(error.code),
    title: errorSpec(error.code)?.title ?? error.code,
    status: error.status,
    detail: error.message,
    code: error.code,
  };
  if (error.hint !== undefined) problem.hint = error.hint;
  if (error.errors !== undefined && error.errors.length > 0) problem.errors = error.errors;
  if (error.details !== undefined) problem.details = error.details;
  return problem;
}

/** For a document that does not say its exit code (an answer that was not agentgw's). */
const exitCodeByStatus: Record<number, ExitCode> = {
  400: ExitCode.usage,
  401: ExitCode.auth,
  403: ExitCode.auth,
  409: ExitCode.conflict,
  412: ExitCode.conflict,
  503: ExitCode.unreachable,
};

const EXIT_CODES = new Set<number>(Object.values(ExitCode));

/** Rebuilds the error a daemon serialised, so remote mode fails exactly like local mode. */
export function fromProblem(problem: ProblemDocument): AgentgwError {
  const options: ErrorOptions = { status: problem.status };
  if (problem.hint !== undefined) options.hint = problem.hint;
  if (problem.errors !== undefined) options.errors = problem.errors;
  if (problem.details !== undefined) options.details = problem.details;
  const said = problem.exitCode;
  options.exitCode = said !== undefined && EXIT_CODES.has(said) ? (said as ExitCode) : (exitCodeByStatus[problem.status] ?? ExitCode.failure);
  // A code this version does not know (a newer daemon's) keeps its status and exit code from the document.
  return new AgentgwError(problem.code as ErrorCode, problem.detail, options);
}
