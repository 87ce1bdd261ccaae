/**
 * Remote mode: follows the daemon's event stream, keeps the latest events for the recent-events
 * pane, and refreshes the fleet when one arrives, so a change (a gateway going INACTIVE, a
 * registration elsewhere) shows at once rather than at the next poll. While the stream is
 * connected (`live`) the dashboard polls only as a slow safety net (app.tsx); when it drops — the
 * daemon gone, or the token refused — the fleet is read at once, which shows why, and polling
 * resumes at its pace. Local mode has no daemon to stream from: it polls only.
 */
import { useEffect, useRef, useState } from 'react';
import type { Client } from '../client/client.js';
import type { AgentgwEvent } from '../domain/events.js';

export interface EventFeed {
  recent: AgentgwEvent[];
  /** The stream is connected: changes arrive as they happen. */
  live: boolean;
}

export function useEventFeed(client: Client, options: { enabled: boolean; onEvent: () => void; keep: number }): EventFeed {
  const [recent, setRecent] = useState<AgentgwEvent[]>([]);
  const [live, setLive] = useState(false);
  const onEvent = useRef(options.onEvent);
  onEvent.current = options.onEvent;
  const { enabled, keep } = options;
  useEffect(() => {
    if (!enabled) return;
    const stop = new AbortController();
    void (async () => {
      try {
        for await (const event of client.events.follow({}, stop.signal, setLive)) {
          setRecent((list) => [event, ...list].slice(0, keep));
          onEvent.current();
        }
      } catch {
        // A stream the daemon refuses (an older daemon, a token without read): polling carries on.
      }
    })();
    return () => stop.abort();
  }, [client, enabled, keep]);
  return { recent, live };
}
