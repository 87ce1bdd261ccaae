/**
 * The daemon's pruning of the event log: events older than `events.retention` (30 days by
 * default) are deleted at start and then every hour. Several daemons may prune at once; a delete
 * of rows another daemon deleted first simply deletes nothing.
 */
import type { AdapterLogger } from '../adapters/adapter.js';
import { pruneEvents } from '../store/repositories/events.js';
import type { Store } from '../store/database.js';

export interface EventRetentionOptions {
  store: Store;
  retentionMs: number;
  clock: () => Date;
  logger: AdapterLogger;
  /** How often to prune (default one hour). */
  everyMs?: number;
}

/** Starts pruning; the returned function stops it. */
export function startEventRetention(options: EventRetentionOptions): () => void {
  const prune = async () => {
    try {
      const removed = await pruneEvents(options.store, new Date(options.clock().getTime() - options.retentionMs));
      if (removed > 0) options.logger.info(`event log: pruned ${removed} event(s) older than the retention`);
    } catch (error) {
      options.logger.warn('event log: could not prune old events', { error: (error as Error).message });
    }
  };
  void prune();
  const timer = setInterval(() => void prune(), options.everyMs ?? 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
