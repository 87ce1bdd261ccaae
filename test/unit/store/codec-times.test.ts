import { describe, expect, it } from 'vitest';
import { postgresCodec } from '../../../src/store/postgres/postgres-codec.js';
import { sqliteCodec } from '../../../src/store/sqlite/sqlite-codec.js';

/** What the REST resources printed before readIsoTime: a Date made of the stored value, printed. */
const throughDate = (value: string | Date) => (value instanceof Date ? value : new Date(value)).toISOString();

/** A pseudo-random sequence, the same on every run. */
function numbers(seed: number) {
  let state = seed;
  return (below: number) => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state % below;
  };
}

describe('Codec.readIsoTime', () => {
  it('gives what a Date made of the stored value prints, for every day of every month, leap years and the ends of the range', () => {
    const next = numbers(17);
    const first = Date.parse('0000-01-01T00:00:00.000Z');
    const last = Date.parse('9999-12-31T23:59:59.999Z');
    const times = [first, last, Date.parse('2024-02-29T12:00:00.000Z'), Date.parse('2025-02-28T23:59:59.999Z'), 0];
    for (let i = 0; i < 20_000; i++) times.push(first + ((next(65_536) * 4_294_967_296 + next(4_294_967_296)) % (last - first)));
    for (const ms of times) {
      const date = new Date(ms);
      const text = date.toISOString();
      expect(sqliteCodec.readIsoTime(text)).toBe(throughDate(text));
      expect(postgresCodec.readIsoTime(date)).toBe(text);
    }
  });

  it('returns the stored text itself when it is in toISOString form, a day every month has', () => {
    const stored = '2026-12-08T00:41:07.123Z';
    expect(sqliteCodec.readIsoTime(stored)).toBe(stored);
    expect(sqliteCodec.readIsoTime('2026-02-28T23:59:59.999Z')).toBe('2026-02-28T23:59:59.999Z');
  });

  it('takes text in any other form through a Date, as before', () => {
    for (const stored of [
      '2026-12-08 00:41:07', // SQLite's datetime()
      '2026-12-08T00:41:07Z', // no milliseconds
      '2026-12-08T01:41:07.123+01:00', // an offset
      '2026-02-30T10:00:00.000Z', // no such day: the Date rolls it over, as it always did
      '2026-02-29T10:00:00.000Z',
      '2024-02-29T10:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      '+010000-01-01T00:00:00.000Z',
      '2026-12-08T24:00:00.000Z',
    ]) {
      expect(sqliteCodec.readIsoTime(stored), stored).toBe(throughDate(stored));
    }
  });

  it('refuses what is not a time, as toISOString does', () => {
    for (const stored of ['yesterday', '2026-13-01T00:00:00.000Z', '']) {
      expect(() => sqliteCodec.readIsoTime(stored), stored).toThrow(RangeError);
    }
    expect(() => sqliteCodec.readIsoTime({})).toThrow(TypeError);
  });

  it('reads null as null', () => {
    expect(sqliteCodec.readIsoTimeOrNull(null)).toBeNull();
    expect(postgresCodec.readIsoTimeOrNull(null)).toBeNull();
    expect(sqliteCodec.readIsoTimeOrNull('2026-12-08T00:41:07.123Z')).toBe('2026-12-08T00:41:07.123Z');
  });
});
