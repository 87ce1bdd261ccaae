import { describe, expect, it } from 'vitest';
import { age, until, when } from '../../../src/output/age.js';

const now = new Date('2026-12-07T06:23:30.000Z');

describe('times for a person', () => {
  it('reads an age as kubectl does', () => {
    expect(age('2026-12-07T06:23:18.000Z', now)).toBe('12s');
    expect(age('2026-12-07T06:18:00.000Z', now)).toBe('5m');
    expect(age('2026-12-06T06:23:30.000Z', now)).toBe('24h');
    expect(age('2026-12-01T06:23:30.000Z', now)).toBe('6d');
    expect(age(null, now)).toBe('-');
  });

  it('shows a detail view’s time with its age, or how far ahead it is', () => {
    expect(when('2026-12-07T06:18:12.345Z', now)).toBe('2026-12-07 06:18 UTC (5m ago)');
    expect(when('2026-12-10T06:23:30.000Z', now)).toBe('2026-12-10 06:23 UTC (in 3d)');
    expect(when(null, now)).toBe('-');
  });

  it('says when something ends', () => {
    expect(until('2027-01-06T06:23:30.000Z', now)).toBe('in 30d');
    expect(until('2026-12-07T06:20:30.000Z', now)).toBe('3m ago');
    expect(until(null, now)).toBe('never');
  });
});
