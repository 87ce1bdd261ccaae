/**
 * The dashboard's first fetch of the gateways, made before Ink and React have loaded (over a
 * daemon, the daemon answers while they do) so the first frame already shows the fleet. Kept
 * apart from the React hooks: the dashboard command imports it without loading React.
 */
import type { Client } from '../client/client.js';
import { AgentgwError } from '../domain/errors.js';
import type { Gateway, Page } from '../domain/types.js';
import { FIRST_SEGMENT } from './fleet-window.js';

/** How the first fetch of the gateways ended, and when. */
export type FirstPoll = { ok: true; page: Page<Gateway>; at: Date } | { ok: false; error: unknown; at: Date };

/** Fetches the first segment of the gateways, as a poll does (`fleet-window.ts`); never rejects. */
export async function firstPoll(client: Client, now: () => Date = () => new Date()): Promise<FirstPoll> {
  try {
    const page = await client.gateways.listPage({}, { limit: FIRST_SEGMENT });
    return { ok: true, page, at: now() };
  } catch (error) {
    return { ok: false, error, at: now() };
  }
}

/** 401 or 403 from the daemon: the token is missing, wrong, expired, revoked or lacks the scope. */
export function isRefusal(error: unknown): error is AgentgwError {
  return error instanceof AgentgwError && (error.status === 401 || error.status === 403);
}
