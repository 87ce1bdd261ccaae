/**
 * The pause before a lost database is tried again: one probe at a time, a pause that doubles up
 * to its cap, stragglers that count once, and a reached probe that ends it.
 */
import { describe, expect, it } from 'vitest';
import { ReconnectBackoff } from '../../../src/store/postgres/reconnect-backoff.js';

function backoff(random = 1) {
  let now = 0;
  const clock = {
    advance: (ms: number) => (now += ms),
  };
  return { clock, backoff: new ReconnectBackoff({ initialMs: 50, maxMs: 1000, now: () => now, random: () => random }) };
}

describe('ReconnectBackoff', () => {
  it('lets everyone through while the database is reachable', () => {
    const { backoff: b } = backoff();
    expect([b.admit(), b.admit(), b.admit()]).toEqual(['go', 'go', 'go']);
    b.reached(false);
    expect(b.admit()).toBe('go');
    expect(b.waitMs).toBe(0);
  });

  it('after a loss, makes everyone wait, then lets one probe through', () => {
    const { backoff: b, clock } = backoff();
    b.lost(false);
    expect(b.admit()).toBe('wait');
    expect(b.waitMs).toBe(50);
    clock.advance(49);
    expect(b.admit()).toBe('wait');
    clock.advance(1);
    expect(b.admit()).toBe('probe');
    // While the probe is out, nobody else goes.
    expect(b.admit()).toBe('wait');
    clock.advance(10_000);
    expect(b.admit()).toBe('wait');
  });

  it('ends the pause when the probe reaches the database', () => {
    const { backoff: b, clock } = backoff();
    b.lost(false);
    clock.advance(50);
    expect(b.admit()).toBe('probe');
    b.reached(true);
    expect(b.admit()).toBe('go');
  });

  it('doubles the pause for each failed probe, up to the cap', () => {
    const { backoff: b, clock } = backoff();
    b.lost(false);
    const pauses: number[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(b.waitMs);
      expect(b.admit()).toBe('probe');
      b.lost(true);
      pauses.push(b.waitMs);
    }
    expect(pauses).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('counts the queries in flight when the database went as one loss, and ignores their answers', () => {
    const { backoff: b } = backoff();
    b.lost(false);
    b.lost(false);
    b.lost(false);
    expect(b.waitMs).toBe(50);
    b.reached(false);
    expect(b.admit()).toBe('wait');
  });

  it('jitters each pause to between half and all of it', () => {
    const low = backoff(0).backoff;
    low.lost(false);
    expect(low.waitMs).toBe(25);
    const high = backoff(1).backoff;
    high.lost(false);
    expect(high.waitMs).toBe(50);
  });

  it('gives a database that keeps refusing about one try a second, not one per request', () => {
    const { backoff: b, clock } = backoff(0.5);
    let tries = 1;
    b.lost(false);
    // 20 s of requests every 10 ms: only probes reach the database.
    for (let t = 0; t < 20_000; t += 10) {
      clock.advance(10);
      if (b.admit() === 'probe') {
        tries += 1;
        b.lost(true);
      }
    }
    expect(tries).toBeGreaterThan(20);
    expect(tries).toBeLessThan(35);
  });
});
