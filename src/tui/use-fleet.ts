/**
 * Polls the fleet: gateways, then environments, every `refreshMs`, one request at a time and never
 * two polls at once (the next one is scheduled when the previous one ends, so a slow source is not
 * piled on). A failed poll keeps the last good data and records the error, which the header shows
 * as "stale".
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Client } from '../client/client.js';
import { AgentgwError } from '../domain/errors.js';
import type { Rollout } from '../domain/rollouts.js';
import type { Environment, Gateway } from '../domain/types.js';
import { isRefusal, type FirstPoll } from './first-poll.js';

export interface FleetError {
  message: string;
  hint: string | null;
  /** When polls started failing: the data is stale since then. */
  since: Date;
  /** The daemon refused the token (401/403): polling again will not help. */
  refused: AgentgwError | null;
}

export interface Fleet {
  gateways: Gateway[] | null;
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
}

const EMPTY_FLEET: Fleet = { gateways: null, environments: null, rollouts: null, updatedAt: null, error: null, polls: 0 };

function fleetError(error: unknown, since: Date): FleetError {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof AgentgwError ? (error.hint ?? null) : null;
  return { message, hint, since, refused: isRefusal(error) ? error : null };
}


function fleetAfter(first: FirstPoll | undefined): Fleet {
  if (first === undefined) return EMPTY_FLEET;
  if (first.ok) return { ...EMPTY_FLEET, gateways: first.gateways, updatedAt: first.at, polls: 1 };
  return { ...EMPTY_FLEET, error: fleetError(first.error, first.at), polls: 1 };
}

export function useFleet(client: Client, options: FleetOptions): Fleet & { refresh: () => void } {
  const [fleet, setFleet] = useState<Fleet>(() => fleetAfter(options.first));
  const inFlight = useRef(false);
  const again = useRef(false);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  const mounted = useRef(true);
  const settings = useRef(options);
  settings.current = options;

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
        const gateways = await client.gateways.list();
        if (!mounted.current) return;
        counted = true;
        setFleet((f) => ({ ...f, gateways, updatedAt: settings.current.now(), error: null, polls: f.polls + 1 }));
      }
      const environments = await client.environments.list();
      if (!mounted.current) return;
      setFleet((f) => ({ ...f, environments }));
      // Rollouts are extra: a source that cannot list them (an older daemon) does not make the fleet stale.
      const rollouts = await client.rollouts.list({ state: 'running' }).catch(() => null);
      if (!mounted.current) return;
      setFleet((f) => ({ ...f, rollouts }));
    } catch (error) {
      if (!mounted.current) return;
      // A refused token stays refused: no further poll (the dashboard ends on it).
      refused = isRefusal(error);
      setFleet((f) => ({ ...f, error: fleetError(error, f.error?.since ?? settings.current.now()), polls: counted ? f.polls : f.polls + 1 }));
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
  }, [client]);

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
  return { ...fleet, refresh };
}
