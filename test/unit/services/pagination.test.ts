/**
 * Page sizes and cursors of the list endpoints. A cursor is opaque to clients but not to
 * servers: one issued by the daemon before an upgrade must still decode after it, so its form is
 * pinned here.
 */
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../../src/domain/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeCursor, encodeCursor, parseLimit } from '../../../src/services/pagination.js';

function refusal(action: () => unknown): ValidationError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

describe('parseLimit', () => {
  it('gives 100 when no limit is asked for, and at most 1000', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(100);
    expect(MAX_PAGE_SIZE).toBe(1000);
    expect(parseLimit(undefined)).toBe(100);
  });

  it.each([1, 2, 100, 999, 1000])('takes %i', (limit) => {
    expect(parseLimit(limit)).toBe(limit);
  });

  it.each([0, -1, 1001, 2.5, 0.5, 1000.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d, naming the field and the range', (limit) => {
    const error = refusal(() => parseLimit(limit));
    expect(error.message).toBe('limit: must be a whole number from 1 to 1000');
    expect(error.errors).toEqual([{ path: 'limit', message: 'must be a whole number from 1 to 1000' }]);
  });
});

describe('cursors', () => {
  it('decodes the cursor form issued since the first release', () => {
    expect(encodeCursor('gw-1')).toBe('eyJhZnRlciI6Imd3LTEifQ');
    expect(decodeCursor('eyJhZnRlciI6Imd3LTEifQ')).toBe('gw-1');
    expect(decodeCursor('eyJhZnRlciI6IsO8bsOvLeWQjSJ9')).toBe('ünï-名');
  });

  it.each(['prod-gw-1', '', 'a'.repeat(64), 'ünï-名', 'quote"and\\backslash'])('round-trips %j, URL-safe, without showing it', (name) => {
    const cursor = encodeCursor(name);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    if (name.length > 0) expect(cursor).not.toContain(name);
    expect(decodeCursor(cursor)).toBe(name);
  });

  it.each([
    ['not base64 JSON', 'not a cursor'],
    ['empty', ''],
    ['JSON null', 'bnVsbA'],
    ['an object without after', 'e30'],
    ['a number as after', 'eyJhZnRlciI6NX0'],
    ['a bare JSON string', Buffer.from('"gw-1"').toString('base64url')],
  ])('refuses %s, naming the field', (_what, cursor) => {
    const error = refusal(() => decodeCursor(cursor));
    expect(error.message).toBe('cursor: is not a cursor this server issued');
    expect(error.errors).toEqual([{ path: 'cursor', message: 'is not a cursor this server issued' }]);
  });
});
