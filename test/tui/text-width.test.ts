import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import textWidth, { simpleTextWidth } from '../../src/tui/text-width.js';

describe('textWidth', () => {
  it('agrees with string-width on every code point it measures itself', () => {
    const disagreements: string[] = [];
    let measured = 0;
    for (let code = 0x20; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const text = `a${String.fromCharCode(code)}b`;
      const own = simpleTextWidth(text);
      if (own === undefined) continue;
      measured++;
      if (own !== stringWidth(text)) disagreements.push(code.toString(16));
    }
    expect(disagreements).toEqual([]);
    expect(measured).toBeGreaterThan(20_000); // Latin, symbols, box drawing, CJK: the fast path is used
  });

  it.each([
    ['gw-1   EGRESS  production    ACTIVE 8s      21ms', 48],
    ['<↑↓ jk> move  … 3 more below', 28],
    ['● ACTIVE │ ▲ 12 ─── ✔ done', 26],
    ['网关 gateway', 12],
    ['Café Zürich', 11],
    ['', 0],
  ])('measures %j as string-width does (%i columns)', (text, width) => {
    expect(simpleTextWidth(text)).toBe(width);
    expect(textWidth(text)).toBe(stringWidth(text));
  });

  it.each([
    'e\u0301', // combining accent
    '👩‍👩‍👧', // ZWJ family
    '🇳🇱', // flag (regional indicators)
    '1\uFE0F\u20E3', // keycap
    '👍🏽', // skin tone
    '\u001B[31mred\u001B[39m', // ANSI colour
    'tab\there',
    'zero\u200Bwidth',
    '한\u11A8', // Hangul with a trailing jamo
    'ｶﾞ', // halfwidth kana with voiced mark
  ])('leaves %j to string-width', (text) => {
    expect(simpleTextWidth(text)).toBeUndefined();
    expect(textWidth(text)).toBe(stringWidth(text));
  });
});
