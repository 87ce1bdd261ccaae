/**
 * Polls the fleet: gateways, then environments, every `refreshMs`, one request at a time and never
 * two polls at once (the next one is scheduled when the previous one ends, so a slow source is not
 * piled on). A failed poll keeps the last good data and records the error, which the header shows
 * as "stale".
 *
 * The gateways are read as a window (`fleet-window.ts`): a fleet of up to 1,000 is held whole and
 * filtered here; a larger one is read a segment at a time around the rows on screen, filtered by
 * the daemon, and a poll reads again only the segments on screen. Scrolling past what is held
 * reads the next segments at once, without waiting for a poll.
 */
import { isDeepStrictEqual } from 'node:util';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { Client } from '../client/client.js';
import { AgentgwError } from '../domain/errors.js';
import type { Rollout } from '../domain/rollouts.js';
import type { Environment, Gateway, GatewayFilter } from '../domain/types.js';
import { isRefusal, type FirstPoll } from './first-poll.js';
import { useFrameRequest } from './use-frame-request.js';
import {
  changesView,
  emptyWindow,
  FIRST_SEGMENT,
  WHOLE_FLEET,
  nextRead,
  sameFilter,
  trimmed,
  wholeList,
  windowRows,
  withRead,
  type FleetWindow,
  type GatewayRows,
  type WindowView,
} from './fleet-window.js';

export interface FleetError {
  message: string;
  hint: string | null;
  /** When polls started failing: the data is stale since then. */
  since: Date;
  /** The daemon refused the token (401/403): polling again will not help. */
  refused: AgentgwError | null;
}

export interface Fleet {
  /** The whole fleet, while it is small enough to hold (1,000 gateways); null before the first read or when it is larger. */
  gateways: Gateway[] | null;
  /** The rows of a fleet too large to hold, read around the screen with the view's filter; null while it is held whole. */
  window: GatewayRows | null;
  environments: Environment[] | null;
  /** Rollouts running now; null until read (or when the source has none to tell, e.g. an older daemon). */
  rollouts: Rollout[] | null;
  /** When the last good poll finished. */
  updatedAt: Date | null;
  error: FleetError | null;
  /** How many polls have finished, good or not. */
  polls: number;
}

export interface FleetOptions {
  refreshMs: number;
  paused: boolean;
  now: () => Date;
  /** The first poll's gateways, fetched before the first render so the first frame shows them. */
  first?: FirstPoll;
  /** The rows on screen, as last drawn: a large fleet is read around them. */
  view: () => WindowView;
  /** The filter a large fleet is read with (a fleet held whole is filtered by the caller). */
  filter: GatewayFilter;
  /** Draw a frame at the end of every poll, even one that changed nothing (the detail view's pane polls on it). */
  framePerPoll?: boolean;
}

type FleetState = Omit<Fleet, 'gateways' | 'window' | 'updatedAt' | 'polls'>;
type PollProgress = Pick<Fleet, 'updatedAt' | 'polls'>;

const EMPTY_FLEET: FleetState = { environments: null, rollouts: null, error: null };
const UNFILTERED: GatewayFilter = {};
/** More reads than this in one poll means the fleet changes faster than it can be read. */
const MAX_READS_PER_POLL = 200;

function fleetError(error: unknown, since: Date): FleetError {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof AgentgwError ? (error.hint ?? null) : null;
  return { message, hint, since, refused: isRefusal(error) ? error : null };
}


function fleetAfter(first: FirstPoll | undefined): FleetState {
  if (first === undefined || first.ok) return EMPTY_FLEET;
  return { ...EMPTY_FLEET, error: fleetError(first.error, first.at) };
}

function progressAfter(first: FirstPoll | undefined): PollProgress {
  if (first === undefined) return { updatedAt: null, polls: 0 };
  return { updatedAt: first.ok ? first.at : null, polls: 1 };
}

function windowAfter(first: FirstPoll | undefined): FleetWindow {
  const window = emptyWindow(UNFILTERED);
  return first?.ok === true ? withRead(window, { index: 0, page: { limit: FIRST_SEGMENT } }, first.page) : window;
}

/** The whole fleet, when the window holds all of it unfiltered and it is small. */
function wholeOf(window: FleetWindow): Gateway[] | null {
  return sameFilter(window.filter, UNFILTERED) ? wholeList(window) : null;
}

/**
 * How long rows read off screen wait for a frame of their own (the header's count of rows known):
 * keys pressed meanwhile draw them without it.
 */
const OFF_SCREEN_FRAME_MS = 150;
/**
 * How long rows read on screen (a poll's, a read's) wait for their frame: one frame at 60 a
 * second, so a key pressed meanwhile draws them with its own frame (see use-frame-request.ts).
 */
const ON_SCREEN_FRAME_MS = 16;

export function useFleet(client: Client, options: FleetOptions): Fleet & { refresh: () => void } {
  const [fleet, setFleet] = useState<FleetState>(() => fleetAfter(options.first));
  /** The state as last set, to leave it alone (no render) when a poll brings nothing new. */
  const latest = useRef(fleet);
  latest.current = fleet;
  const change = useCallback((next: (f: FleetState) => FleetState) => {
    const changed = next(latest.current);
    if (changed === latest.current) return;
    latest.current = changed;
    setFleet(changed);
  }, []);
  /**
   * When the last good poll ended, and how many ended: a poll that changed nothing else draws no
   * frame for them (the clock's next tick shows the new age, the detail view's pane polls on it).
   */
  const progress = useRef<PollProgress>(progressAfter(options.first));
  const windowRef = useRef<FleetWindow>(windowAfter(options.first));
  const [, windowChanged] = useReducer((n: number) => n + 1, 0);
  const requestFrame = useFrameRequest();
  const inFlight = useRef(false);
  const again = useRef(false);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  const mounted = useRef(true);
  const settings = useRef(options);
  settings.current = options;

  /**
   * The window's filter for the view's: a fleet held whole is read unfiltered (the caller filters
   * it), and so is one not read yet, to learn whether it can be held whole; a larger one with the
   * view's filter, from its start again when that changed.
   */
  const windowFor = useCallback((): FleetWindow => {
    const window = windowRef.current;
    const unread = window.segments.length === 0 && sameFilter(window.filter, UNFILTERED);
    const filter = unread || wholeOf(window) !== null ? UNFILTERED : settings.current.filter;
    if (!sameFilter(window.filter, filter)) windowRef.current = emptyWindow(filter);
    return windowRef.current;
  }, []);

  /**
   * Reads the segments the view needs: with `refreshed`, those on screen again too. False when
   * the dashboard went away meanwhile. A filter changed meanwhile ends the reads (the window
   * starts again at the next one).
   */
  const readGateways = useCallback(
    async (refreshed: Set<number> | null): Promise<boolean> => {
      let window = windowFor();
      // A fleet held whole is read again whole, in one page: its counts cover every gateway.
      if (refreshed !== null && wholeOf(window) !== null) {
        const page = await client.gateways.listPage(UNFILTERED, { limit: WHOLE_FLEET });
        if (!mounted.current) return false;
        if (windowRef.current !== window) return true;
        windowRef.current = withRead(window, { index: 0, page: { limit: WHOLE_FLEET } }, page);
        if (windowRef.current !== window) requestFrame(ON_SCREEN_FRAME_MS);
        return true;
      }
      for (let reads = 0; reads < MAX_READS_PER_POLL; reads++) {
        const read = nextRead(window, settings.current.view(), refreshed);
        if (read === null) break;
        const page = await client.gateways.listPage(window.filter, read.page);
        if (!mounted.current) return false;
        if (windowRef.current !== window) break;
        refreshed?.add(read.index);
        const before = window;
        window = trimmed(withRead(window, read, page), settings.current.view());
        // A segment read again unchanged (a poll's, mostly) changes nothing to draw.
        if (window === before) continue;
        windowRef.current = window;
        // Rows read ahead, off screen, wait for the next frame, or a moment (see changesView).
        requestFrame(changesView(before, window, settings.current.view()) ? ON_SCREEN_FRAME_MS : OFF_SCREEN_FRAME_MS);
      }
      return true;
    },
    [client, windowFor, requestFrame],
  );

  /** One poll; `gatewaysKnown` when the gateways were just fetched (the first poll, before the first render). */
  const poll = useCallback(async (gatewaysKnown = false): Promise<void> => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    clearTimeout(timer.current);
    let counted = gatewaysKnown;
    let refused = false;
    try {
      // The table needs the gateways only (they carry their environments' names): it is drawn
      // before the environments list arrives.
      if (!gatewaysKnown) {
        if (!(await readGateways(new Set()))) return;
        counted = true;
        const first = progress.current.polls === 0;
        progress.current = { updatedAt: settings.current.now(), polls: progress.current.polls + 1 };
        change((f) => (f.error === null ? f : { ...f, error: null }));
        // The first poll ends the loading frame (and a start-up benchmark): drawn at once.
        if (first || settings.current.framePerPoll === true) windowChanged();
      }
      const environments = await client.environments.list();
      if (!mounted.current) return;
      change((f) => (isDeepStrictEqual(f.environments, environments) ? f : { ...f, environments }));
      // Rollouts are extra: a source that cannot list them (an older daemon) does not make the fleet stale.
      const rollouts = await client.rollouts.list({ state: 'running' }).catch(() => null);
      if (!mounted.current) return;
      change((f) => (isDeepStrictEqual(f.rollouts, rollouts) ? f : { ...f, rollouts }));
    } catch (error) {
      if (!mounted.current) return;
      // A refused token stays refused: no further poll (the dashboard ends on it).
      refused = isRefusal(error);
      if (!counted) progress.current = { ...progress.current, polls: progress.current.polls + 1 };
      change((f) => ({ ...f, error: fleetError(error, f.error?.since ?? settings.current.now()) }));
    } finally {
      inFlight.current = false;
      if (mounted.current) {
        if (again.current) {
          again.current = false;
          void poll();
        } else if (!settings.current.paused && !refused) {
          timer.current = setTimeout(() => void poll(), settings.current.refreshMs);
        }
      }
    }
  }, [client, readGateways, change]);

  // Scrolled (or filtered) past what the window holds: read it now, not at the next poll. A
  // poll in flight reads it when it ends.
  const filling = useRef(false);
  const window = windowFor();
  useEffect(() => {
    // Before the first poll, and while the source fails, polls alone read (at their pace).
    if (filling.current || progress.current.polls === 0 || fleet.error !== null) return;
    if (nextRead(windowFor(), settings.current.view(), null) === null) return;
    if (inFlight.current) {
      again.current = true;
      return;
    }
    filling.current = true;
    inFlight.current = true;
    readGateways(null)
      .catch((error: unknown) => {
        if (mounted.current) change((f) => ({ ...f, error: fleetError(error, f.error?.since ?? settings.current.now()) }));
      })
      .finally(() => {
        filling.current = false;
        inFlight.current = false;
        if (!mounted.current) return;
        if (again.current) {
          again.current = false;
          void poll();
        } else if (nextRead(windowFor(), settings.current.view(), null) !== null) windowChanged();
      });
  });

  useEffect(() => {
    mounted.current = true;
    const first = settings.current.first;
    if (first === undefined) void poll();
    // The first poll happened before the first render: its environments come now, its next
    // gateways one interval later (or, when it failed, the retry does).
    else if (first.ok) void poll(true);
    else timer.current = setTimeout(() => void poll(), settings.current.refreshMs);
    return () => {
      mounted.current = false;
      clearTimeout(timer.current);
    };
  }, [poll]);

  // Pausing stops the schedule; resuming polls at once rather than a whole interval later.
  useEffect(() => {
    if (options.paused) clearTimeout(timer.current);
    else if (!inFlight.current && timer.current !== undefined) void poll();
  }, [options.paused, poll]);

  const refresh = useCallback(() => void poll(), [poll]);
  const whole = useMemo(() => wholeOf(window), [window]);
  const read = window.segments.length > 0;
  return { ...fleet, ...progress.current, gateways: read ? whole : null, window: read && whole === null ? windowRows(window) : null, refresh };
}
