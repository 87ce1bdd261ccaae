/**
 * The dashboard's window over a large fleet (src/tui/fleet-window.ts): which reads change what
 * the screen shows, so that a read ahead of it does not draw a frame of its own, and a read that
 * brings nothing new changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/domain/types.js';
import { changesView, emptyWindow, withRead, type FleetWindow } from '../../src/tui/fleet-window.js';

const gateway = (index: number) => ({ uuid: `u-${index}`, name: `gw-${String(index).padStart(5, '0')}` }) as Gateway;
const page = (from: number, size: number, more = true) => ({
  items: Array.from({ length: size }, (_, i) => gateway(from + i)),
  nextCursor: more ? gateway(from + size - 1).name : null,
});

/** A window of segments of these sizes, read in turn. */
function windowOf(...sizes: number[]): FleetWindow {
  let window = emptyWindow({});
  let from = 0;
  for (const [index, size] of sizes.entries()) {
    window = withRead(window, { index, page: { limit: size, ...(index === 0 ? {} : { cursor: gateway(from - 1).name }) } }, page(from, size));
    from += size;
  }
  return window;
}

describe('changesView', () => {
  const view = { from: 100, to: 150 };

  it('is false for a segment read beyond a screen below the view: only the count of rows known changes', () => {
    const before = windowOf(100, 250);
    const after = withRead(before, { index: 2, page: { limit: 250, cursor: 'gw-00349' } }, page(350, 250));
    expect(changesView(before, after, view)).toBe(false);
  });

  it('is true when rows on screen, or within a screen of it, arrive or change', () => {
    const first = windowOf(100);
    // Rows 100–349 arrive: the screen showed none of them.
    expect(changesView(first, windowOf(100, 250), view)).toBe(true);
    // The same rows read again (a poll), one of them changed.
    const before = windowOf(100, 250);
    const changed = page(100, 250);
    changed.items[20] = { ...changed.items[20]!, status: 'INACTIVE' };
    const reread = withRead(before, { index: 1, page: { limit: 250, cursor: 'gw-00099' } }, changed);
    expect(changesView(before, reread, view)).toBe(true);
    // Rows a Page Down away (150–199) only.
    expect(changesView(windowOf(100, 90), windowOf(100, 90, 250), view)).toBe(true);
  });

  it('is true when the list ends within a screen of the view (its last rows and "more" change)', () => {
    const before = windowOf(100, 90);
    const ended = withRead(before, { index: 2, page: { limit: 250, cursor: 'gw-00189' } }, page(190, 0, false));
    expect(changesView(before, ended, view)).toBe(true);
  });

  it('is false for nothing read', () => {
    const window = windowOf(100, 250);
    expect(changesView(window, window, view)).toBe(false);
  });
});

describe('withRead', () => {
  const reread = { index: 1, page: { limit: 250, cursor: 'gw-00099' } };

  it('leaves the window as it was when a segment is read again unchanged (each gateway a new object)', () => {
    const before = windowOf(100, 250);
    expect(withRead(before, reread, page(100, 250))).toBe(before);
  });

  it('keeps the gateways read again unchanged, and takes the one that changed', () => {
    const before = windowOf(100, 250);
    const read = page(100, 250);
    read.items[3] = { ...read.items[3]!, status: 'INACTIVE' };
    const after = withRead(before, reread, read);
    expect(after).not.toBe(before);
    const [held, now] = [before.segments[1]!.items!, after.segments[1]!.items!];
    expect(now[3]).toBe(read.items[3]);
    expect(now.filter((gateway, index) => gateway === held[index])).toHaveLength(249);
  });
});
