/**
 * The width of text in terminal columns, for Ink and the packages it lays text out with: the
 * build resolves their every `string-width` import to this module.
 *
 * string-width splits text into grapheme clusters (Intl.Segmenter) and matches each one against
 * /^\p{RGI_Emoji}$/v. Setting those up costs ~20 ms and ~70 ms the first time in a process, and
 * Ink's dependency tree bundled several copies of the package, each setting up its own as it
 * loaded — for a dashboard whose text is ASCII and a few symbols (… ↑↓ ● │). Text made only of
 * code points that are always a grapheme of their own, and print, is measured here by each code
 * point's East Asian Width, which is what string-width counts for such a grapheme; any other text
 * goes to string-width itself, loaded the first time it is needed.
 */
import { eastAsianWidth } from 'get-east-asian-width';
import { createRequire } from 'node:module';

/**
 * Code points that never join a neighbour into one grapheme cluster (no marks, joiners,
 * variation selectors, jamo, prepend or regional-indicator characters) and are not control,
 * format or default-ignorable: Latin-1 and Latin Extended letters, general punctuation,
 * super/subscripts and currency, letterlike symbols, arrows, mathematical and technical symbols,
 * box drawing, geometric shapes, dingbats, CJK ideographs.
 */
const SINGLE_GRAPHEME_RANGES: readonly (readonly [number, number])[] = [
  [0x00a0, 0x00ac],
  [0x00ae, 0x02ff],
  [0x2010, 0x2027],
  [0x2030, 0x205e],
  [0x2070, 0x20cf],
  [0x2100, 0x27bf],
  [0x2b00, 0x2bff],
  [0x4e00, 0x9fff],
];

function isSingleGrapheme(code: number): boolean {
  for (const [first, last] of SINGLE_GRAPHEME_RANGES) {
    if (code < first) return false;
    if (code <= last) return true;
  }
  return false;
}

/** The width of text made of printable ASCII and single-grapheme code points; undefined otherwise. */
export function simpleTextWidth(text: string): number | undefined {
  let width = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x20 && code <= 0x7e) width += 1;
    else if (isSingleGrapheme(code)) width += eastAsianWidth(code);
    else return undefined;
  }
  return width;
}

let stringWidth: ((text: string) => number) | undefined;

export default function textWidth(text: string): number {
  if (typeof text !== 'string') return 0;
  const simple = simpleTextWidth(text);
  if (simple !== undefined) return simple;
  // Emoji sequences, combining marks, ANSI escapes, …: string-width's full rules.
  stringWidth ??= (createRequire(import.meta.url)('string-width') as { default: (text: string) => number }).default;
  return stringWidth(text);
}
