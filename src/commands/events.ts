/**
 * `agentgw events` and `agentgw audit`: the event log. `events` lists what happened (since 1 h
 * unless told otherwise), oldest first, and with `--follow` goes on printing events as they are
 * written until Ctrl-C (exit 130): in-process it reads the table, with --server it reads the
 * daemon's stream. Following and piped (or with -o json), it prints one JSON event per line.
 * `audit` is the same log narrowed to changes people made, with who made them.
 */
import type { Client } from '../client/client.js';
import { EVENT_TYPES, type AgentgwEvent, type EventType } from '../domain/events.js';
import { age, when } from '../output/age.js';
import { printList, type Column, type Output } from '../output/format.js';
import type { EventQuery } from '../services/events.js';
import { collect, columnsOf, defineCommand, type Invocation } from './define.js';
import { withContext } from './run.js';
import { untilInterrupted } from './until-interrupted.js';
import type { Command } from 'commander';

export interface EventFlags {
  follow?: boolean;
  type?: string[];
  gateway?: string;
  since?: string;
}

type Row = AgentgwEvent & { name: string };

/** Piped: AGE TYPE SUBJECT ACTOR DETAILS, tab-separated; -o wide adds ID TIME. */
const COLUMNS: Column<Row>[] = [
  { header: 'AGE', value: (e) => age(e.time), identifier: true },
  { header: 'TYPE', value: (e) => e.type, priority: 9 },
  { header: 'SUBJECT', value: (e) => `${e.subject.kind}/${e.subject.name}`, priority: 8 },
  { header: 'ACTOR', value: (e) => e.actor, priority: 7 },
  { header: 'DETAILS', value: (e) => details(e), text: true, priority: 6 },
  { header: 'ID', value: (e) => String(e.id), wide: true },
  { header: 'TIME', value: (e) => when(e.time), wide: true },
];

/** Changes people (or their tools) make: everything but the monitor's status changes. */
const AUDITED: readonly EventType[] = EVENT_TYPES.filter((type) => type !== 'gateway.status_changed');

const DEFAULT_SINCE = '1h';
const PAGE = 1000;

async function listEvents(invocation: Invocation, flags: EventFlags): Promise<void> {
  await showLog(invocation, flags, flags.type ?? []);
}

async function audit(invocation: Invocation, flags: EventFlags): Promise<void> {
  const asked = flags.type ?? [];
  await showLog(invocation, flags, asked.length > 0 ? asked : AUDITED);
}

async function showLog(invocation: Invocation, flags: EventFlags, types: readonly string[]): Promise<void> {
  await withContext(invocation, async (context) => {
    const client = await context.client();
    const query: EventQuery = {
      ...(types.length > 0 ? { types: types.flatMap((t) => t.split(',')) } : {}),
      ...(flags.gateway === undefined ? {} : { gateway: flags.gateway }),
      since: flags.since ?? DEFAULT_SINCE,
    };
    const events = await readAll(client, query);
    const { output } = context;
    const lines = flags.follow === true && (!output.isTTY || output.format === 'json');
    if (lines) for (const event of events) writeLine(output, event);
    else await printList(output, events.map(asRow), COLUMNS, { events, nextCursor: null }, { empty: flags.follow ? undefined : `No events since ${query.since}.` });
    if (flags.follow !== true) return;
    await follow(client, { ...query, ...(events.length > 0 ? { afterId: events.at(-1)!.id } : {}) }, (event) => {
      if (lines) writeLine(output, event);
      else output.write(`${when(event.time)}  ${event.type}  ${event.subject.kind}/${event.subject.name}  ${event.actor}  ${details(event)}\n`);
    });
  });
}

/** Every page of the query. */
async function readAll(client: Client, query: EventQuery): Promise<AgentgwEvent[]> {
  const all: AgentgwEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.events.list({ ...query, limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.events);
    if (page.nextCursor === null) return all;
    cursor = page.nextCursor;
  }
}

/** Prints events as they come until SIGINT or SIGTERM (exit code 130) or until the reader leaves. */
function follow(client: Client, query: EventQuery, print: (event: AgentgwEvent) => void): Promise<void> {
  return untilInterrupted('follow', async (signal) => {
    for await (const event of client.events.follow(query, signal)) print(event);
  });
}

function asRow(event: AgentgwEvent): Row {
  return { ...event, name: String(event.id) };
}

function writeLine(output: Output, event: AgentgwEvent): void {
  output.write(`${JSON.stringify(event)}\n`);
}

/** A short account of the event's data: what changed, to what. */
function details(event: AgentgwEvent): string {
  const data = event.data as Record<string, any>;
  switch (event.type) {
    case 'gateway.status_changed':
      return `${data.from} → ${data.to}${data.errorClass ? ` (${data.errorClass})` : ''}`;
    case 'gateway.environment_added':
    case 'gateway.environment_removed':
      return `environment ${data.environment?.name ?? '?'}`;
    case 'deployment.failed':
      return `${data.operation} r${data.revision}: ${data.errorMessage ?? 'failed'}`;
    case 'deployment.deployed':
    case 'deployment.undeployed':
      return `${data.operation} r${data.revision}`;
    case 'environment.updated':
    case 'gateway.updated':
      return `changed ${Object.keys(data.changes ?? {}).join(', ') || 'nothing'}`;
    default:
      return '';
  }
}

const EVENT_TYPES_HELP = 'one of: environment.*, gateway.*, deployment.*, token.*, webhook.*, rollout.* (see docs/events.md); repeatable, or comma-separated';
const SINCE_HELP = 'a duration back from now (10m, 2h, 7d) or an ISO time (default 1h)';

/** The flags `events` and `audit` share; `about` says what each narrows. */
function logFlags(command: Command, about: { follow: string; gateway: string }): Command {
  return command
    .option('-f, --follow', about.follow)
    .option('--type <type>', EVENT_TYPES_HELP, collect)
    .option('--gateway <gateway>', about.gateway)
    .option('--since <when>', SINCE_HELP);
}

export const events = defineCommand<[], EventFlags>({
  flags: (command) =>
    logFlags(command, {
      follow: 'go on printing events as they happen (piped: one JSON event per line) until Ctrl-C',
      gateway: 'only this gateway’s events and its deployments’ (name or uuid)',
    }),
  notes: columnsOf(COLUMNS),
  examples: ['agentgw events --since 10m', 'agentgw events --follow --type gateway.status_changed', 'agentgw events --gateway edge-1 -o json', 'agentgw --server http://127.0.0.1:8080 events -f | jq .type'],
  run: (invocation, _args, flags) => listEvents(invocation, flags),
});

export const auditLog = defineCommand<[], EventFlags>({
  flags: (command) => logFlags(command, { follow: 'go on printing changes as they happen until Ctrl-C', gateway: 'only changes of this gateway and its deployments (name or uuid)' }),
  notes: columnsOf(COLUMNS),
  examples: ['agentgw audit --since 7d --type gateway.deleted', 'agentgw audit --gateway edge-1 -o wide'],
  run: (invocation, _args, flags) => audit(invocation, flags),
});
