import { describe, expect, it, vi } from 'vitest';
import { SafetyNets } from '../../../src/services/health-safety-nets.js';
import { ManualClock } from '../../support/manual-clock.js';

const AFTER = 6000;
const BUCKET = 100;

describe('SafetyNets', () => {
  it('gives checks that start together one net: one timer, one signal', () => {
    const clock = new ManualClock();
    const nets = new SafetyNets(clock, AFTER, BUCKET);
    const held = Array.from({ length: 50 }, () => nets.hold(() => {}));
    expect(new Set(held).size).toBe(1);
    // Its firing, and its closing to new checks.
    expect(clock.sleeping()).toBe(2);
  });

  it('never gives up on a check before afterMs, and always by afterMs + bucketMs', () => {
    const clock = new ManualClock();
    const nets = new SafetyNets(clock, AFTER, BUCKET);
    const given: string[] = [];
    const first = nets.hold(() => given.push('first'));
    clock.advance(BUCKET - 1);
    const last = nets.hold(() => given.push('last'));
    expect(last).toBe(first);
    clock.advance(AFTER);
    // The last check has had AFTER - 1 ms: neither is given up on yet, nor aborted.
    expect(given).toEqual([]);
    expect(first.signal.aborted).toBe(false);
    clock.advance(1);
    expect(given).toEqual(['first', 'last']);
    expect(first.signal.aborted).toBe(true);
  });

  it('leaves a released check alone, and a later net’s checks to their own time', () => {
    const clock = new ManualClock();
    const nets = new SafetyNets(clock, AFTER, BUCKET);
    const given: string[] = [];
    const finished = () => given.push('finished');
    const early = nets.hold(finished);
    nets.hold(() => given.push('hanging'));
    early.release(finished);
    clock.advance(BUCKET);
    const later = nets.hold(() => given.push('later'));
    expect(later).not.toBe(early);
    clock.advance(AFTER);
    expect(given).toEqual(['hanging']);
    expect(early.signal.aborted).toBe(true);
    expect(later.signal.aborted).toBe(false);
    clock.advance(BUCKET);
    expect(given).toEqual(['hanging', 'later']);
  });

  it('aborts nothing and leaves no timer once every check of a net is released', () => {
    const clock = new ManualClock();
    const nets = new SafetyNets(clock, AFTER, BUCKET);
    const done = () => {};
    const net = nets.hold(done);
    clock.advance(BUCKET);
    expect(clock.sleeping(BUCKET + AFTER)).toBe(1);
    net.release(done);
    expect(clock.sleeping()).toBe(0);
    clock.advance(AFTER);
    expect(net.signal.aborted).toBe(false);
    // Released before its net closed: the firing timer goes when the net closes.
    const quick = nets.hold(done);
    quick.release(done);
    clock.advance(BUCKET);
    expect(clock.sleeping()).toBe(0);
  });

  it('lets every check of a net listen on its signal without a leak warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const nets = new SafetyNets(new ManualClock(), AFTER, BUCKET);
      for (let i = 0; i < 50; i++) nets.hold(() => {}).signal.addEventListener('abort', () => {}, { once: true });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

