/**
 * Metrics for the table's rows, fetched lazily: only rows on screen, only ACTIVE gateways (a down
 * gateway would only time out), each at most once per `ttlMs`, one request at a time. A fleet of
 * thousands therefore costs a screenful of requests every ten seconds, not N every poll.
 */
import { useEffect, useRef, useState } from 'react';
import type { Client } from '../client/client.js';
import type { Gateway, GatewayMetricsReport } from '../domain/types.js';

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
  const busy = useRef(false);
  const mounted = useRef(true);
  const visibleKey = rows.map((g) => `${g.uuid}:${g.status}`).join(',');

  useEffect(() => {
    mounted.current = true;
    const pump = async () => {
      if (busy.current || latest.current.options.paused) return;
      busy.current = true;
      try {
        for (;;) {
          const { rows: current, options: settings, metrics: known } = latest.current;
          const now = settings.now().getTime();
          const due = current.find((g) => g.status === 'ACTIVE' && now - (known.get(g.uuid)?.fetchedAt ?? -Infinity) >= settings.ttlMs);
          if (due === undefined || settings.paused || !mounted.current) return;
          let entry: RowMetrics;
          try {
            entry = { report: await client.gateways.metrics(due.uuid), error: null, fetchedAt: now };
          } catch (error) {
            entry = { report: known.get(due.uuid)?.report ?? null, error: error instanceof Error ? error.message : String(error), fetchedAt: now };
          }
          if (!mounted.current) return;
          const next = new Map(latest.current.metrics).set(due.uuid, entry);
          latest.current.metrics = next;
          setMetrics(next);
        }
      } finally {
        busy.current = false;
      }
    };
    void pump();
    const ticker = setInterval(() => void pump(), options.tickMs ?? 1000);
    return () => {
      mounted.current = false;
      clearInterval(ticker);
    };
  }, [client, visibleKey, options.tickMs, options.paused]);

  return metrics;
}
