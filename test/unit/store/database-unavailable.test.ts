/**
 * How a lost database is worded: for the CLI and the daemon's log, where it is and what the
 * driver said; for the daemon's answers, which anyone may get, neither — a driver's message can
 * carry the host and port, the database's name or the user's.
 */
import { describe, expect, it } from 'vitest';
import { databaseUnavailable, isDatabaseUnavailable } from '../../../src/store/connection-errors.js';

const URL = 'postgres://agentgw:***@db.internal:6543/agentgw_prod?schema=tenant_a';

function driverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('databaseUnavailable', () => {
  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:6543', 'connection refused'],
    ['CONNECTION_CLOSED', 'write CONNECTION_CLOSED db.internal:6543', 'the connection was lost'],
    ['CONNECT_TIMEOUT', 'write CONNECT_TIMEOUT db.internal:6543', 'no answer in time'],
    ['3D000', 'database "agentgw_prod" does not exist', 'the database does not exist'],
    ['28P01', 'password authentication failed for user "agentgw"', 'authentication failed'],
    ['53300', 'sorry, too many clients already', 'too many clients already'],
    ['57P03', 'the database system is shutting down', 'the server is starting up or shutting down'],
  ])('answers %s without the location or the driver’s words', (code, message, quiet) => {
    const error = driverError(code, message);
    expect(isDatabaseUnavailable(error)).toBe(true);
    const answered = databaseUnavailable(error, null);
    expect(answered.status).toBe(503);
    expect(answered.message).toBe(`cannot reach the database: ${quiet}`);
    for (const secret of ['db.internal', '6543', '10.1.2.3', 'agentgw_prod', 'tenant_a', '"agentgw"']) expect(answered.message).not.toContain(secret);
    expect(answered.cause).toBe(error);
  });

  it('names the database and the cause for the CLI and the log', () => {
    const located = databaseUnavailable(driverError('3D000', 'database "agentgw_prod" does not exist'), URL);
    expect(located.message).toBe('cannot reach the database at db.internal:6543/agentgw_prod: database "agentgw_prod" does not exist');
  });
});
