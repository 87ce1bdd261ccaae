/**
 * `agentgw dashboard`: the interactive fleet view. Ink and React are imported here, by this
 * command only, so every other command starts without them.
 *
 * AGENTGW_DASHBOARD_FIRST_FRAME_EXIT=1 renders until the first poll's data is on screen, then
 * exits 0 — with or without a terminal. It exists for the start-up benchmark
 * (bench/dashboard.mjs), which times it against `node -e 0`.
 */
import { parseDuration } from '../config/duration.js';
import { InterruptedError, UsageError } from '../domain/errors.js';
import type { EnvironmentSummary } from '../domain/types.js';
import { firstPoll, isRefusal } from '../tui/first-poll.js';
import { withContext } from './run.js';
import { defineCommand, type Invocation } from './define.js';

export interface DashboardFlags {
  env?: string;
  readonly?: boolean;
  refresh?: string;
}

/** How long requests left in flight may hold the process after the dashboard has closed. */
const LINGER_MS = 20;

/** Faster than this, the dashboard would be the heaviest client of the daemon. */
const MIN_REFRESH_MS = 250;

export const dashboardCommand = defineCommand<[], DashboardFlags>({
  flags: (command) =>
    command
      .option('--env <env>', 'start filtered to this environment (name or uuid; `e` changes it)')
      .option('--readonly', 'disable decommissioning from the dashboard')
      .option('--refresh <duration>', 'how often to poll (default: config dashboard.refresh, 2s)'),
  examples: ['agentgw dashboard', 'agentgw dashboard --env production --readonly', 'agentgw dashboard --server http://127.0.0.1:8080 --refresh 5s'],
  run: (invocation, _args, flags) => dashboard(invocation, flags),
});

async function dashboard(invocation: Invocation, flags: DashboardFlags): Promise<void> {
  const flagRefresh = flags.refresh === undefined ? undefined : refreshOf(flags.refresh);
  const { io } = invocation;
  const exitAfterFirstPoll = io.env.AGENTGW_DASHBOARD_FIRST_FRAME_EXIT === '1';
  if (!exitAfterFirstPoll && (!io.stdin.isTTY || !io.stdout.isTTY)) {
    throw new UsageError('the dashboard needs an interactive terminal', {
      hint: 'to follow gateways from a script or a pipe, use: agentgw gateway list --watch',
    });
  }
  let ended: NodeJS.Signals | null = null;
  // Once the terminal is restored the user expects the prompt back, but a request still in
  // flight (metrics of a hung gateway wait for their timeout) would hold the process open.
  const leave = () => setTimeout(() => process.exit(), LINGER_MS).unref();
  await withContext(invocation, async (context) => {
    const client = await context.client();
    // The first poll goes out before Ink and React load: a daemon answers it meanwhile. (Loading
    // them first would hold up the client's own round trips behind their compilation.)
    const first = firstPoll(client);
    const { runDashboard } = await import('../tui/run.js');
    let environment: EnvironmentSummary | null = null;
    if (flags.env !== undefined) {
      const found = await client.environments.get(flags.env);
      environment = { uuid: found.uuid, name: found.name, displayName: found.displayName };
    }
    const polled = await first;
    // Refused at once (401/403): said before the screen is taken, as any other command says it.
    if (!polled.ok && isRefusal(polled.error)) throw polled.error;
    ended = await runDashboard({
      client,
      refreshMs: flagRefresh ?? context.loaded.config.dashboard.refresh,
      readonly: flags.readonly === true,
      environment,
      exitAfterFirstPoll,
      first: polled,
    });
  }).finally(leave);
  if (ended !== null) throw new InterruptedError('dashboard', ended);
}

function refreshOf(text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms < MIN_REFRESH_MS) {
    throw new UsageError(`--refresh "${text}": expected a duration of at least ${MIN_REFRESH_MS}ms, like 2s or 500ms`);
  }
  return ms;
}
