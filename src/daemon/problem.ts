/**
 * Every error the daemon answers with is `application/problem+json` (RFC 9457) built from an
 * AgentgwError, so the remote client can rebuild the very error the services threw. Fastify's own
 * errors (bad JSON, body too large, wrong content type) get stable codes too; a lost database is
 * a 503 (whose location only the log names); anything unexpected is a 500 without a stack trace
 * (the stack goes to the log).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentgwError, InternalError, isAgentgwError, toProblem, ValidationError, type ProblemDocument } from '../domain/errors.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../store/connection-errors.js';
import type { RouteMethods } from './route-methods.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The error as the API reports it. A lost database is a 503 that does not say where the database is. */
export function httpErrorOf(error: unknown, bodyLimit: number): AgentgwError {
  if (isAgentgwError(error)) return error;
  const unavailable = findInChain(error, isDatabaseUnavailable);
  if (unavailable !== undefined) return databaseUnavailable(unavailable, null);
  const fastify = error as Partial<FastifyError> | null;
  switch (fastify?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AgentgwError('AGW_PAYLOAD_TOO_LARGE', `the request body is larger than the daemon's limit of ${bodyLimit} bytes`, {
        hint: 'send less, or raise server.bodyLimit in the daemon’s config',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AgentgwError('AGW_UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON (Content-Type: application/json)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ValidationError('the request body is empty, but its Content-Type says JSON', [{ path: '', message: 'expected a JSON document' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ValidationError('the Content-Length header does not match the body', [{ path: '', message: 'bad Content-Length' }]);
  }
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    // JSON syntax errors and prototype-poisoning attempts arrive here as plain 400s.
    if (fastify.statusCode === 400) {
      return new ValidationError(`the request body is not valid JSON: ${firstLine(fastify.message ?? '')}`, [{ path: '', message: 'invalid JSON' }]);
    }
    return new AgentgwError('AGW_BAD_REQUEST', firstLine(fastify.message ?? 'bad request'), { status: fastify.statusCode });
  }
  // PostgreSQL "data exception" (class 22): a value the database cannot hold, e.g. a NUL byte.
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) {
    return new ValidationError(`a value in the request cannot be stored: ${firstLine((error as Error).message)}`, [{ path: '', message: 'unstorable value' }]);
  }
  return new InternalError('internal error', { hint: 'the daemon’s log has the details' });
}

export function problemDocument(error: AgentgwError): ProblemDocument & { exitCode: number } {
  return { ...toProblem(error), exitCode: error.exitCode };
}

/**
 * Answers after which the connection is closed: a client refused for who it is (401, 403) or for
 * what it sends (413) would otherwise keep its connection, and Node would go on reading the rest
 * of a body nobody wants, however slowly it comes.
 */
const CLOSING_STATUSES = new Set([401, 403, 413]);

export function sendProblem(reply: FastifyReply, error: AgentgwError): FastifyReply {
  if (error.status === 401) reply.header('www-authenticate', 'Bearer realm="agentgw"');
  if (error.status === 503) reply.header('retry-after', '1');
  if (CLOSING_STATUSES.has(error.status)) reply.header('connection', 'close');
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemDocument(error)));
}

/**
 * Installs the error and not-found handlers on an instance. A path that some route serves with
 * other methods is answered 405 with Allow; `routes` knows which.
 */
export function registerProblemHandlers(app: FastifyInstance, options: { databaseUrl: string; bodyLimit: number; routes: RouteMethods }): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = httpErrorOf(error, options.bodyLimit);
    // A lost database is an outage to watch, not a bug: no stack for it. The log says which
    // database and what the driver said; the answer does neither.
    if (problem.status === 503) {
      const lostDatabase = findInChain(error, isDatabaseUnavailable);
      request.log.warn({ code: problem.code }, lostDatabase === undefined ? problem.message : databaseUnavailable(lostDatabase, options.databaseUrl).message);
    } else if (problem.status >= 500) request.log.error({ err: error, code: problem.code }, problem.message);
    else request.log.info({ code: problem.code }, problem.message);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = options.routes.allowed(path);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        new AgentgwError('AGW_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`, {
          hint: `it takes ${allowed.join(', ')}; see GET /openapi.json`,
          details: { allow: allowed },
        }),
      );
    }
    return sendProblem(
      reply,
      new AgentgwError('AGW_ROUTE_NOT_FOUND', `no route ${request.method} ${path}`, {
        hint: 'the API is under /api/v1; see GET /openapi.json',
      }),
    );
  });
}

function findInChain(error: unknown, test: (candidate: unknown) => boolean): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current !== null && current !== undefined; depth++) {
    if (test(current)) return current;
    if (current instanceof AggregateError && current.errors.some(test)) return current.errors.find(test);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
