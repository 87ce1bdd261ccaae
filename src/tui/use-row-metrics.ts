/**
 * Metrics for the table's rows, fetched lazily: only rows on screen, only ACTIVE gateways (a down
 * gateway would only time out), each at most once per `ttlMs`, at most CONCURRENCY at a time (so
 * one hung gateway does not hold up the others). A fleet of thousands therefore costs a screenful
 * of requests every ten seconds, not N every poll.
 */
import { useEffect, useRef, useState } from 'react';
import type { Client } from '../client/client.js';
import type { Gateway, GatewayMetricsReport } from '../domain/types.js';

const CONCURRENCY = 3;

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
  const [metrics, setMetrics] = useState<ReadonlyMap<string, RowMetrics>>(new Map());
  const latest = useRef({ rows, options, metrics });
  latest.current = { rows, options, metrics };
  const workers = useRef(0);
  const inFlight = useRef(new Set<string>());
  const mounted = useRef(true);
  const visibleKey = rows.map((g) => `${g.uuid}:${g.status}`).join(',');

  useEffect(() => {
    mounted.current = true;
    const fetchOne = async (): Promise<boolean> => {
      const { rows: current, options: settings, metrics: known } = latest.current;
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
      const next = new Map(latest.current.metrics).set(due.uuid, entry);
      latest.current.metrics = next;
      setMetrics(next);
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
  }, [client, visibleKey, options.tickMs, options.paused]);

  return metrics;
}
