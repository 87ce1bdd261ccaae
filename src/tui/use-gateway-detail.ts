/**
 * What the detail view adds to the gateway from the list: its environments (with descriptions),
 * fresh metrics (at most once per `ttlMs`), its status history and the resources deployed on it.
 * History and deployments are read again on every fleet poll; each part fails on its own, so one
 * unreachable gateway or endpoint leaves the rest of the view usable.
 */
import { useEffect, useRef, useState } from 'react';
import type { Client } from '../client/client.js';
import type { Deployment } from '../domain/resources.js';
import type { Environment, GatewayMetricsReport } from '../domain/types.js';
import type { GatewayStatusEvent } from '../services/health-history.js';

export interface GatewayDetail {
  environments: Environment[] | null;
  metrics: GatewayMetricsReport | null;
  metricsError: string | null;
  /** Newest first. */
  history: GatewayStatusEvent[] | null;
  historyError: string | null;
  deployments: Deployment[] | null;
  deploymentsError: string | null;
}

const EMPTY: GatewayDetail = {
  environments: null,
  metrics: null,
  metricsError: null,
  history: null,
  historyError: null,
  deployments: null,
  deploymentsError: null,
};

/** Enough transitions to fill a tall terminal; the view shows what fits. */
const HISTORY_LIMIT = 50;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `pollKey` changes on every fleet poll. */
export function useGatewayDetail(client: Client, uuid: string, options: { ttlMs: number; pollKey: number; paused: boolean }): GatewayDetail {
  const [detail, setDetail] = useState<GatewayDetail>(EMPTY);
  const mounted = useRef(true);
  const metricsBusy = useRef(false);
  const recordsBusy = useRef(false);

  useEffect(() => {
    mounted.current = true;
    setDetail(EMPTY);
    void client.gateways.environments(uuid).then(
      (environments) => mounted.current && setDetail((d) => ({ ...d, environments })),
      () => {},
    );
    return () => {
      mounted.current = false;
    };
  }, [client, uuid]);

  useEffect(() => {
    if (options.paused) return;
    const load = async () => {
      if (metricsBusy.current) return;
      metricsBusy.current = true;
      try {
        const change = await client.gateways.metrics(uuid).then(
          (report) => ({ metrics: report, metricsError: null }),
          (error: unknown) => ({ metricsError: messageOf(error) }),
        );
        if (mounted.current) setDetail((d) => ({ ...d, ...change }));
      } finally {
        metricsBusy.current = false;
      }
    };
    void load();
    const ticker = setInterval(() => void load(), options.ttlMs);
    return () => clearInterval(ticker);
  }, [client, uuid, options.ttlMs, options.paused]);

  useEffect(() => {
    if (recordsBusy.current) return;
    recordsBusy.current = true;
    void (async () => {
      try {
        const history = await client.gateways.healthHistory(uuid, { limit: HISTORY_LIMIT }).then(
          (found) => ({ history: found.events, historyError: null }),
          (error: unknown) => ({ historyError: messageOf(error) }),
        );
        const deployments = await client.deployments.list({ gateway: uuid }).then(
          (found) => ({ deployments: found, deploymentsError: null }),
          (error: unknown) => ({ deploymentsError: messageOf(error) }),
        );
        if (mounted.current) setDetail((d) => ({ ...d, ...history, ...deployments }));
      } finally {
        recordsBusy.current = false;
      }
    })();
  }, [client, uuid, options.pollKey]);

  return detail;
}
