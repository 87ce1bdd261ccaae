/**
 * Bounded and printable input: display names and descriptions refuse control characters, bidi
 * overrides and lone surrogates; free-form objects (metadata, adapterConfig) are held to their
 * depth and size, and to valid Unicode, with the offending field named.
 */
import { describe, expect, it } from 'vitest';
import { checkDescription, checkDisplayName, checkFreeformObject, FieldErrors, type ObjectLimits } from '../../../src/domain/validation.js';

const LIMITS: ObjectLimits = { objectBytes: 16 * 1024, objectDepth: 8 };

/** The errors a check adds; it must say it accepted the value exactly when it added none. */
function errorsOf(check: (errors: FieldErrors) => boolean): Array<{ path: string; message: string }> {
  const errors = new FieldErrors();
  const accepted = check(errors);
  expect(accepted).toBe(errors.errors.length === 0);
  return errors.errors;
}

/** `levels` objects nested in one another: `{a: {a: … 1}}`. */
function nested(levels: number, array = false): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = array ? [value] : { a: value };
  return value;
}

const UNPRINTABLE: Array<[string, string]> = [
  ['NUL', '\u0000'],
  ['ESC', '\u001b[31m'],
  ['BEL', '\u0007'],
  ['newline', '\n'],
  ['tab', '\t'],
  ['carriage return', '\r'],
  ['DEL', '\u007f'],
  ['NEL (C1)', '\u0085'],
  ['CSI (C1)', '\u009b'],
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069].map((code): [string, string] => [`U+${code.toString(16).toUpperCase()}`, String.fromCharCode(code)]),
];

describe('display names and descriptions', () => {
  it.each(UNPRINTABLE)('refuse %s, naming the character and where it is', (_label, char) => {
    const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    expect(errorsOf((e) => checkDisplayName(e, 'displayName', `gw-${char}x`))).toEqual([
      { path: 'displayName', message: `must not contain control characters or bidirectional overrides (${code} at position 3)` },
    ]);
    expect(errorsOf((e) => checkDescription(e, 'description', `a${char}`))).toEqual([
      { path: 'description', message: `must not contain control characters or bidirectional overrides (${code} at position 1)` },
    ]);
  });

  it.each([
    ['a lone high surrogate', 'a\ud800b', 'U+D800'],
    ['a lone low surrogate', 'a\udc00b', 'U+DC00'],
    ['a high surrogate at the end', 'ab\ud83d', 'U+D83D'],
    ['two high surrogates', 'a\ud83d\ud83d', 'U+D83D'],
  ])('refuse %s', (_label, value, code) => {
    const [error] = errorsOf((e) => checkDisplayName(e, 'displayName', value));
    expect(error?.message).toContain(`must be valid Unicode: a lone UTF-16 surrogate (${code})`);
  });

  it('accept text in any script, emoji, combining marks and the marks that are not overrides', () => {
    for (const value of ['Prod 🚀', '東京 staging', 'e\u0301te', 'left\u200eright', 'مرحبا', 'zero\u200bwidth']) {
      expect(errorsOf((e) => checkDisplayName(e, 'displayName', value))).toEqual([]);
      expect(errorsOf((e) => checkDescription(e, 'description', value))).toEqual([]);
    }
    expect(errorsOf((e) => checkDescription(e, 'description', null))).toEqual([]);
  });
});

describe('free-form objects', () => {
  it('accept an object exactly as deep and as large as the limits', () => {
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', nested(8), LIMITS))).toEqual([]);
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { tags: nested(7, true) }, LIMITS))).toEqual([]);
    const exact = { note: 'x'.repeat(16 * 1024 - '{"note":""}'.length) };
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(16 * 1024);
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', exact, LIMITS))).toEqual([]);
  });

  it('refuse one level more, of objects or arrays, naming where it goes too deep', () => {
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', nested(9), LIMITS))).toEqual([
      { path: 'metadata.a.a.a.a.a.a.a.a', message: 'nests deeper than 8 levels (limits.objectDepth)' },
    ]);
    expect(errorsOf((e) => checkFreeformObject(e, 'adapterConfig', { tls: nested(8, true) }, LIMITS))[0]?.path).toBe('adapterConfig.tls.0.0.0.0.0.0.0');
  });

  it('refuse thousands of levels without recursing through them', () => {
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', nested(100_000), LIMITS))[0]?.message).toBe('nests deeper than 8 levels (limits.objectDepth)');
  });

  it('refuse one byte more, counting UTF-8 bytes, not characters', () => {
    const over = { note: 'x'.repeat(16 * 1024 - '{"note":""}'.length + 1) };
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', over, LIMITS))).toEqual([
      { path: 'metadata', message: 'must be at most 16384 bytes as JSON (got 16385); raise limits.objectBytes to store more' },
    ]);
    const wide = { note: 'é'.repeat(9000) };
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', wide, LIMITS))[0]?.message).toMatch(/got 18011\)/);
  });

  it('follow the limits they are given', () => {
    const tight: ObjectLimits = { objectBytes: 256, objectDepth: 2 };
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', nested(2), tight))).toEqual([]);
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', nested(3), tight))[0]?.message).toBe('nests deeper than 2 levels (limits.objectDepth)');
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { note: 'x'.repeat(300) }, tight))[0]?.message).toMatch(/at most 256 bytes/);
  });

  it('refuse lone surrogates in keys and in string values, at any depth', () => {
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { team: { name: 'a\ud800' } }, LIMITS))).toEqual([
      { path: 'metadata.team.name', message: 'must be valid Unicode: it holds a lone UTF-16 surrogate' },
    ]);
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { list: ['ok', '\udfff'] }, LIMITS))[0]?.path).toBe('metadata.list.1');
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { ['k\udc00']: 1 }, LIMITS))[0]?.message).toBe('the key is not valid Unicode: it holds a lone UTF-16 surrogate');
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { emoji: '🚀' }, LIMITS))).toEqual([]);
  });

  it('walk past nulls and nested objects to every value', () => {
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { a: null, b: [null, { c: null }] }, LIMITS))).toEqual([]);
    expect(errorsOf((e) => checkFreeformObject(e, 'metadata', { a: { b: 1 }, c: [], d: 'x\ud800' }, LIMITS))[0]?.path).toBe('metadata.d');
  });

  it('refuse what is not an object', () => {
    for (const value of [null, [], 'text', 3, true]) {
      expect(errorsOf((e) => checkFreeformObject(e, 'metadata', value, LIMITS))).toEqual([{ path: 'metadata', message: 'must be an object' }]);
    }
  });
});
