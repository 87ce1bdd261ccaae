/** The nesting count the daemon makes on a request body's bytes before parsing it. */
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../../src/daemon/json-body.js';

const bytes = (text: string) => Buffer.from(text);

describe('nestsDeeperThan', () => {
  it('counts arrays and objects alike', () => {
    expect(nestsDeeperThan(bytes('{"a":[{"b":[1]}]}'), 4)).toBe(false);
    expect(nestsDeeperThan(bytes('{"a":[{"b":[1]}]}'), 3)).toBe(true);
    expect(nestsDeeperThan(bytes('[[],[],[]]'), 2)).toBe(false);
    expect(nestsDeeperThan(bytes('1'), 0)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(bytes(`{"a":"${'['.repeat(100)}"}`), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(`{"a":"\\"${'{'.repeat(100)}\\\\"}`), 1)).toBe(false);
    expect(nestsDeeperThan(bytes(`{"a":"\\\\",${'['.repeat(3)}`), 3)).toBe(true);
  });

  it('reads UTF-8 as bytes: multi-byte characters never look like brackets', () => {
    expect(nestsDeeperThan(bytes('{"名前":"東京 🚀 ｛［"}'), 1)).toBe(false);
  });

  it('stops at the first level past the cap, however deep the body goes', () => {
    expect(nestsDeeperThan(bytes('['.repeat(1_000_000)), 64)).toBe(true);
    expect(nestsDeeperThan(bytes(`${'['.repeat(64)}${']'.repeat(64)}`), 64)).toBe(false);
    expect(nestsDeeperThan(bytes(`${'['.repeat(65)}${']'.repeat(65)}`), 64)).toBe(true);
  });
});
