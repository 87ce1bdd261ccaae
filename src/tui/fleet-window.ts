/**
 * The part of a large fleet the dashboard holds: the list, in the daemon's order (by name), as a
 * chain of segments read by cursor from its start. Every segment keeps its cursor, its size and
 * the cursor after it, so the row index of any gateway is known and any segment can be read again;
 * only the segments around the rows on screen keep their gateways. A fleet of 100,000 is then a
 * hundred small records and a few thousand gateways, whatever row is shown.
 *
 * Pure functions of the window: `use-fleet.ts` reads what `nextRead` asks for and stores it with
 * `withRead`.
 *
 * @example
 * let window = emptyWindow({ environment: uuid });
 * const refreshed = new Set<number>();
 * for (let read = nextRead(window, view, refreshed); read !== null; read = nextRead(window, view, refreshed)) {
 *   window = withRead(window, read, await client.gateways.listPage(window.filter, read.page));
 *   refreshed.add(read.index);
 * }
 */
import { isDeepStrictEqual } from 'node:util';
import type { Gateway, GatewayFilter, Page } from '../domain/types.js';

/** The first segment is small, so the first frame waits for no more than a screen. */
export const FIRST_SEGMENT = 100;
/**
 * Later segments. Reading one holds up the keys for as long as its gateways take to decode (a
 * thousand: up to 80 ms at 100,000 gateways on a loaded machine), so they are a few screens each.
 */
export const SEGMENT = 250;
/** The largest fleet the dashboard holds whole, filtering and counting it itself (the API's largest page). */
export const WHOLE_FLEET = 1000;
/** Rows read beyond the screen, above and below, so a key press finds its rows already there. */
export const MARGIN = 500;

export interface Segment {
  /** The cursor this segment is read from; null for the start of the list. */
  cursor: string | null;
  size: number;
  /** Null once it is far from the screen (its size and cursors stay). */
  items: Gateway[] | null;
  /** The cursor of the next segment; null when this one ends the list. */
  next: string | null;
}

export interface FleetWindow {
  filter: GatewayFilter;
  segments: Segment[];
}

/** Rows the table shows, whole or from a window: what it needs of a list. */
export interface GatewayRows {
  /** Rows known: all of them, or those of the window's segments so far. */
  length: number;
  /** More rows follow `length` that are not read yet. */
  more: boolean;
  at(index: number): Gateway | undefined;
  /** The row of the gateway, or -1 when it is not among the rows held. */
  indexOf(uuid: string): number;
}

/** The rows on screen, `[from, to)`. */
export interface WindowView {
  from: number;
  to: number;
}

/** One read: segment `index` (one past the last to add one), from `cursor`, `limit` gateways. */
export interface SegmentRead {
  index: number;
  page: { limit: number; cursor?: string };
}

export function emptyWindow(filter: GatewayFilter): FleetWindow {
  return { filter, segments: [] };
}

export function arrayRows(gateways: Gateway[]): GatewayRows {
  return { length: gateways.length, more: false, at: (index) => gateways[index], indexOf: (uuid) => gateways.findIndex((g) => g.uuid === uuid) };
}

export function windowRows(window: FleetWindow): GatewayRows {
  const { segments } = window;
  const starts: number[] = [];
  let length = 0;
  for (const segment of segments) {
    starts.push(length);
    length += segment.size;
  }
  const last = segments.at(-1);
  return {
    length,
    more: last === undefined || last.next !== null,
    at(index) {
      const s = segmentAt(starts, index);
      return s === -1 ? undefined : segments[s]!.items?.[index - starts[s]!];
    },
    indexOf(uuid) {
      for (let s = 0; s < segments.length; s++) {
        const found = segments[s]!.items?.findIndex((g) => g.uuid === uuid) ?? -1;
        if (found !== -1) return starts[s]! + found;
      }
      return -1;
    },
  };
}

/** The whole list, when the window holds all of it and it is small enough to hold whole. */
export function wholeList(window: FleetWindow): Gateway[] | null {
  const last = window.segments.at(-1);
  if (last === undefined || last.next !== null) return null;
  const all: Gateway[] = [];
  for (const segment of window.segments) {
    if (segment.items === null) return null;
    all.push(...segment.items);
  }
  return all.length <= WHOLE_FLEET ? all : null;
}

/**
 * What to read next for `view`. When refreshing (`refreshed`: the segments read again in this
 * poll so far), each segment on screen not yet read again; then each segment near the screen whose
 * gateways were dropped; then a new segment when the rows end before the view's margin (or the
 * first WHOLE_FLEET rows) and more follow. Null when there is nothing to read.
 */
export function nextRead(window: FleetWindow, view: WindowView, refreshed: Set<number> | null): SegmentRead | null {
  const from = Math.max(0, view.from - MARGIN);
  // The first WHOLE_FLEET rows are always read: a fleet that small is then held whole.
  const to = Math.max(view.to + MARGIN, WHOLE_FLEET);
  let start = 0;
  let fill: number | null = null;
  for (let index = 0; index < window.segments.length; index++) {
    const segment = window.segments[index]!;
    const end = start + segment.size;
    // The last segment is on screen when its end is: rows added there show.
    const onScreen = (end > view.from || segment.next === null) && start <= view.to;
    if (refreshed !== null && onScreen && !refreshed.has(index)) return readOf(index, segment);
    if (fill === null && segment.items === null && end > from && start < to) fill = index;
    start = end;
  }
  if (fill !== null) return readOf(fill, window.segments[fill]!);
  const last = window.segments.at(-1);
  if (last === undefined) return { index: 0, page: { limit: FIRST_SEGMENT } };
  if (last.next !== null && start < to) return { index: window.segments.length, page: { limit: SEGMENT, cursor: last.next } };
  return null;
}

/** The last segment is read with room to grow; the others as they were, so they stay contiguous. */
function readOf(index: number, segment: Segment): SegmentRead {
  const limit = segment.next === null ? Math.max(segment.size, SEGMENT) : segment.size;
  return { index, page: { limit, ...(segment.cursor === null ? {} : { cursor: segment.cursor }) } };
}

/**
 * The window with `page` as segment `read.index`. When the segment now ends elsewhere (gateways
 * were added or removed in it), the segments after it no longer follow on and are dropped, to be
 * read again from its new end.
 *
 * A gateway read again unchanged keeps the object held (the table's rows compare by identity, so
 * it is not drawn again), and a segment read again unchanged leaves the window as it was: the
 * same object, so a poll that changed nothing draws no frame.
 */
export function withRead(window: FleetWindow, read: SegmentRead, page: Page<Gateway>): FleetWindow {
  const previous = window.segments[read.index];
  const held = previous?.items ?? null;
  const items = held === null ? page.items : keptWhereUnchanged(held, page.items);
  const segment: Segment = { cursor: read.page.cursor ?? null, size: items.length, items, next: page.nextCursor };
  if (previous !== undefined && previous.items === items && previous.cursor === segment.cursor && previous.next === segment.next) return window;
  const moved = previous === undefined || previous.next !== segment.next || previous.size !== segment.size;
  const kept = moved ? window.segments.slice(0, read.index) : window.segments.slice();
  kept[read.index] = segment;
  return { ...window, segments: kept };
}

/**
 * Whether `after` shows differently from `before` on screen or within a screen of it (where a
 * Page Up or Down lands): a row there is another, or the list's end moved into that range. A
 * segment read further ahead changes only the count of rows known (the header's `1350+`), which
 * the next frame shows: a frame drawn for it alone (15–30 ms at 160 × 50 on a loaded machine)
 * would hold up a key pressed meanwhile.
 */
export function changesView(before: FleetWindow, after: FleetWindow, view: WindowView): boolean {
  const height = view.to - view.from;
  const from = Math.max(0, view.from - height);
  const to = view.to + height;
  const a = windowRows(before);
  const b = windowRows(after);
  if (Math.min(a.length, b.length) < to && (a.length !== b.length || a.more !== b.more)) return true;
  for (let index = from; index < to; index++) if (a.at(index) !== b.at(index)) return true;
  return false;
}

/**
 * `read`, with each gateway equal to the one held by uuid replaced by it; `held` itself when every
 * gateway is held unchanged, in the same order.
 */
function keptWhereUnchanged(held: Gateway[], read: Gateway[]): Gateway[] {
  const byUuid = new Map(held.map((gateway) => [gateway.uuid, gateway]));
  let same = held.length === read.length;
  const kept = read.map((gateway, index) => {
    const known = byUuid.get(gateway.uuid);
    const unchanged = known !== undefined && isDeepStrictEqual(known, gateway);
    if (!unchanged || held[index] !== known) same = false;
    return unchanged ? known : gateway;
  });
  return same ? held : kept;
}

/** The window with the gateways of segments far from `view` dropped. */
export function trimmed(window: FleetWindow, view: WindowView): FleetWindow {
  const from = Math.max(0, view.from - 2 * MARGIN);
  const to = view.to + 2 * MARGIN;
  let start = 0;
  let changed = false;
  const segments = window.segments.map((segment) => {
    const end = start + segment.size;
    const far = end <= from || start >= to;
    start = end;
    if (!far || segment.items === null) return segment;
    changed = true;
    return { ...segment, items: null };
  });
  return changed ? { ...window, segments } : window;
}

/** The same server filter, for deciding whether a window still answers the view's filter. */
export function sameFilter(a: GatewayFilter, b: GatewayFilter): boolean {
  return a.environment === b.environment && a.type === b.type && a.status === b.status;
}

function segmentAt(starts: number[], index: number): number {
  if (index < 0) return -1;
  let low = 0;
  let high = starts.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (starts[mid]! <= index) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}
