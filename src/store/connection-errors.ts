/**
 * Errors that mean the database could not be reached (not that a statement was wrong), and how
 * they are told: to the operator with the database's location, to a daemon's client without it.
 */
import { UnavailableError } from '../domain/errors.js';
import { hostOf } from './database-url.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECTION_BACKOFF', // left alone for a pause after a loss (postgres/postgres-driver.ts)
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  '3D000', // database does not exist
  '28P01', // password authentication failed
  '28000',
]);

/** True when an error means the database could not be reached, not that a query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/**
 * An UnavailableError naming the cause, without a stack trace: with `displayUrl`, the database's
 * location and the driver's own words too (for the CLI and the daemon's log); without it, only
 * what says nothing of where the database is (for the daemon's answers, which anyone may get:
 * a driver's message can carry the host and port).
 */
export function databaseUnavailable(error: unknown, displayUrl: string | null): UnavailableError {
  const cause = displayUrl === null ? quietCause(error) : describeCause(error);
  return new UnavailableError(`cannot reach the database${displayUrl === null ? '' : ` at ${hostOf(displayUrl)}`}: ${cause}`, {
    hint: 'check that the database is running and that --database / DATABASE_URL / database.url is right',
    cause: error,
  });
}

/** Causes worded without the database's host, port, name or user. */
const QUIET_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not found',
  CONNECT_TIMEOUT: 'no answer in time',
  ETIMEDOUT: 'no answer in time',
  CONNECTION_BACKOFF: 'it did not answer moments ago, and is tried again shortly',
  '28P01': 'authentication failed',
  '28000': 'authentication failed',
  '3D000': 'the database does not exist',
  '53300': 'too many clients already',
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or shutting down',
};

function quietCause(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' ? QUIET_CAUSES[code] : undefined) ?? 'the connection was lost';
}

function describeCause(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as Error | null)?.message ?? String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connection timed out';
    case '3D000':
      return message;
    case '28P01':
    case '28000':
      return 'authentication failed';
    default:
      return message.split('\n')[0] ?? 'unknown error';
  }
}
