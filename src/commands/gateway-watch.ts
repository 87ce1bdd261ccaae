/**
 * The streaming and history side of `agentgw gateway`: `list --watch`, `health --watch` and
 * `health --history`. Watching polls every 2 s until Ctrl-C, which ends it quietly with exit
 * 130 (SIGTERM too, naming the signal). On a terminal, `list
 * --watch` redraws its table; otherwise each poll writes one JSON line per gateway that changed
 * (NDJSON: the REST resource, compact), all of them on the first poll.
 *
 * A gateway "changed" when anything but its check freshness moved: `lastCheckedAt`,
 * `lastHeartbeat` and `responseTimeMs` move with every check, so they alone do not make a line
 * (the redrawn table still shows them).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '../client/client.js';
import type { Gateway, GatewayFilter } from '../domain/types.js';
import { age, when } from '../output/age.js';
import { paint, toneOfStatus } from '../output/color.js';
import { printList, type Column, type Output } from '../output/format.js';
import type { GatewayStatusEvent } from '../services/health-history.js';
import type { CommandContext } from './context.js';
import { GATEWAY_COLUMNS, noGatewaysFound } from './gateway-columns.js';
import { untilInterrupted } from './until-interrupted.js';

export const WATCH_INTERVAL_MS = 2000;

/** Clears the screen and homes the cursor, so the table is redrawn in place. */
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

export async function watchGatewayList(context: CommandContext, filter: GatewayFilter): Promise<void> {
  const client = await context.client();
  const { output } = context;
  const redraw = output.isTTY && (output.format === 'table' || output.format === 'wide');
  const seen = new Map<string, string>();
  return pollUntilInterrupted('watch', async () => {
    const gateways = await client.gateways.list(filter);
    if (redraw) {
      output.write(CLEAR_SCREEN);
      context.stderr(`every ${WATCH_INTERVAL_MS / 1000}s · ${gateways.length} gateway(s) · Ctrl-C to stop`);
      await printList(output, gateways, GATEWAY_COLUMNS, { gateways }, { empty: noGatewaysFound(filter) });
      return;
    }
    for (const gateway of gateways) {
      const state = identity(gateway);
      if (seen.get(gateway.uuid) === state) continue;
      seen.set(gateway.uuid, state);
      writeLine(output, gateway, gateway.name);
    }
  });
}

/**
 * `health --watch`: the check made now, then the status the monitor stores, one line (or JSON
 * document) each time it moves. It reads the stored state rather than checking again, so
 * watching does not itself push the gateway through its thresholds.
 */
export async function watchGatewayHealth(context: CommandContext, ref: string): Promise<void> {
  const client = await context.client();
  const { output } = context;
  const first = await client.gateways.health(ref);
  let last = '';
  return pollUntilInterrupted('watch', async () => {
    const gateway = await client.gateways.get(ref);
    const document = {
      gatewayId: gateway.uuid,
      name: gateway.name,
      status: gateway.status,
      statusChangedAt: gateway.statusChangedAt,
      lastHeartbeat: gateway.lastHeartbeat,
      responseTime: gateway.responseTimeMs === null ? null : `${gateway.responseTimeMs}ms`,
      responseTimeMs: gateway.responseTimeMs,
      errorMessage: gateway.errorMessage,
      checkedAt: gateway.lastCheckedAt ?? first.checkedAt,
    };
    const state = JSON.stringify([document.status, document.checkedAt, document.errorMessage]);
    if (state === last) return;
    last = state;
    if (output.format === 'table' || output.format === 'wide') {
      // A log of checks: when, the status, how fast, why not.
      const time = document.checkedAt === null ? '-'.padEnd(23) : `${new Date(document.checkedAt).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
      const status = paint(document.status.padEnd(12), toneOfStatus(document.status), output.color);
      output.write(`${time}  ${status}  ${(document.responseTime ?? '-').padStart(7)}${document.errorMessage ? `  ${document.errorMessage}` : ''}\n`);
    } else {
      writeLine(output, document, gateway.name);
    }
  });
}

type EventRow = GatewayStatusEvent & { name: string };

/** Piped: AGE FROM TO ERROR REASON, tab-separated; -o wide adds TIME. */
const EVENT_COLUMNS: Column<EventRow>[] = [
  { header: 'AGE', value: (e) => age(e.occurredAt), identifier: true },
  { header: 'FROM', value: (e) => e.from ?? '-', status: true, priority: 8 },
  { header: 'TO', value: (e) => e.to, status: true, priority: 9 },
  { header: 'ERROR', value: (e) => e.errorClass ?? '-', priority: 6 },
  { header: 'REASON', value: (e) => e.reason ?? '-', text: true, priority: 7 },
  { header: 'TIME', value: (e) => when(e.occurredAt), wide: true },
];

/** `health --history`: transitions newest first; `-o json` prints the REST document `{events}`. */
export async function printHealthHistory(context: CommandContext, client: Client, ref: string): Promise<void> {
  const history = await client.gateways.healthHistory(ref);
  // `-o name` has no name to print for an event: it prints when each happened.
  const rows = history.events.map((event) => ({ ...event, name: event.occurredAt }));
  await printList(context.output, rows, EVENT_COLUMNS, history, { empty: `No status changes recorded for gateway ${ref}.` });
}

/** The fields whose change is worth a line. */
function identity(gateway: Gateway): string {
  const { lastCheckedAt: _checked, lastHeartbeat: _heartbeat, responseTimeMs: _response, ...rest } = gateway;
  return JSON.stringify(rest);
}

function writeLine(output: Output, document: object, name: string): void {
  output.write(output.format === 'name' ? `${name}\n` : `${JSON.stringify(document)}\n`);
}

/** Polls every WATCH_INTERVAL_MS until SIGINT or SIGTERM (exit code 130) or until the reader leaves. */
function pollUntilInterrupted(what: string, poll: () => Promise<void>): Promise<void> {
  return untilInterrupted(what, async (signal) => {
    while (!signal.aborted) {
      await poll();
      await sleep(WATCH_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
    }
  });
}
