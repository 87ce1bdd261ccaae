/**
 * Metrics for the table's rows, fetched lazily: only rows on screen, only ACTIVE gateways (a down
 * gateway would only time out), each at most once per `ttlMs`, at most CONCURRENCY at a time (so
 * one hung gateway does not hold up the others). A fleet of thousands therefore costs a screenful
 * of requests every ten seconds, not N every poll.
 *
 * Metrics that arrive are drawn with the next frame, or one a moment later (useFrameRequest); an
 * answer that changes no figure shown (the same report again, or a failure again, whose message
 * the table does not show) draws none.
 */
import { isDeepStrictEqual } from 'node:util';
import { useEffect, useRef } from 'react';
import type { Client } from '../client/client.js';
import type { Gateway, GatewayMetricsReport } from '../domain/types.js';
import { useFrameRequest } from './use-frame-request.js';

const CONCURRENCY = 3;
/** How long metrics that arrived wait for a frame of their own: one frame at 60 a second. */
const FRAME_MS = 16;

export interface RowMetrics {
  report: GatewayMetricsReport | null;
  error: string | null;
  fetchedAt: number;
}

export interface RowMetricsOptions {
  ttlMs: number;
  paused: boolean;
  now: () => Date;
  /** How often due rows are looked for. */
  tickMs?: number;
}

export function useRowMetrics(client: Client, rows: Gateway[], options: RowMetricsOptions): ReadonlyMap<string, RowMetrics> {
  // Kept in a ref, not state: a render reads it, and an answer that changes nothing shown draws nothing.
  const metrics = useRef(new Map<string, RowMetrics>());
  const requestFrame = useFrameRequest();
  const latest = useRef({ rows, options });
  latest.current = { rows, options };
  const workers = useRef(0);
  const inFlight = useRef(new Set<string>());
  const mounted = useRef(true);
  const visibleKey = rows.map((g) => `${g.uuid}:${g.status}`).join(',');

  useEffect(() => {
    mounted.current = true;
    const fetchOne = async (): Promise<boolean> => {
      const { rows: current, options: settings } = latest.current;
      const known = metrics.current;
      const now = settings.now().getTime();
      const due = current.find(
        (g) => g.status === 'ACTIVE' && !inFlight.current.has(g.uuid) && now - (known.get(g.uuid)?.fetchedAt ?? -Infinity) >= settings.ttlMs,
      );
      if (due === undefined || settings.paused || !mounted.current) return false;
      inFlight.current.add(due.uuid);
      let entry: RowMetrics;
      try {
        entry = { report: await client.gateways.metrics(due.uuid), error: null, fetchedAt: now };
      } catch (error) {
        entry = { report: known.get(due.uuid)?.report ?? null, error: error instanceof Error ? error.message : String(error), fetchedAt: now };
      } finally {
        inFlight.current.delete(due.uuid);
      }
      if (!mounted.current) return false;
      const shown = metrics.current.get(due.uuid)?.report ?? null;
      metrics.current.set(due.uuid, entry);
      if (!isDeepStrictEqual(shown, entry.report)) requestFrame(FRAME_MS);
      return true;
    };
    const worker = async () => {
      workers.current += 1;
      try {
        while (await fetchOne());
      } finally {
        workers.current -= 1;
      }
    };
    const pump = () => {
      // Each worker takes the next due row (marked in flight at once) until none is left.
      while (workers.current < CONCURRENCY && !latest.current.options.paused) void worker();
    };
    pump();
    const ticker = setInterval(pump, options.tickMs ?? 1000);
    return () => {
      mounted.current = false;
      clearInterval(ticker);
    };
  }, [client, visibleKey, options.tickMs, options.paused, requestFrame]);

  return metrics.current;
}
