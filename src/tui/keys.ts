/** Keys out of a chunk of several characters (typed faster than a render, or pasted). */
import type { Key } from 'ink';

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The key of one character out of a multi-character chunk. */
export function keyOf(character: string): Key {
  if (character === '\r' || character === '\n') return { ...NO_KEY, return: true };
  if (character === '\t') return { ...NO_KEY, tab: true };
  if (character === '\u007F' || character === '\b') return { ...NO_KEY, backspace: true };
  return { ...NO_KEY, shift: /[A-Z]/.test(character) };
}
