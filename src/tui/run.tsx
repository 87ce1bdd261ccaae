/**
 * Runs the dashboard on the terminal: the alternate screen (the shell's scrollback is left as it
 * was), Ink's raw-mode input, and a restore on every way out — `q`, Ctrl+C, SIGTERM, SIGHUP, or a
 * crash while rendering.
 */
import { render } from 'ink';
import type { Client } from '../client/client.js';
import type { EnvironmentSummary } from '../domain/types.js';
import { Dashboard } from './app.js';
import type { FirstPoll } from './first-poll.js';

export interface RunDashboardOptions {
  client: Client;
  refreshMs: number;
  readonly: boolean;
  environment: EnvironmentSummary | null;
  /** Render until the first poll is on screen, then quit (start-up benchmark). */
  exitAfterFirstPoll: boolean;
  /** The first poll, made while the dashboard loaded: the first frame shows it. */
  first?: FirstPoll;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

/** Resolves when the user quits: with null, or with the signal that ended the dashboard. */
export async function runDashboard(options: RunDashboardOptions): Promise<NodeJS.Signals | null> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const fullScreen = stdout.isTTY === true;
  if (fullScreen) stdout.write(ENTER_ALTERNATE_SCREEN);
  // Off a terminal (only with AGENTGW_DASHBOARD_FIRST_FRAME_EXIT) Ink would spawn `tput` and
  // friends to guess a width; the other commands' width off a terminal is 120 columns.
  else stdout.columns ||= 120;
  let restored = false;
  const restore = () => {
    if (restored || !fullScreen) return;
    restored = true;
    stdout.write(SHOW_CURSOR + LEAVE_ALTERNATE_SCREEN);
  };

  const instance = render(
    <Dashboard
      client={options.client}
      refreshMs={options.refreshMs}
      readonly={options.readonly}
      environment={options.environment}
      exitAfterFirstPoll={options.exitAfterFirstPoll}
      {...(options.first === undefined ? {} : { first: options.first })}
    />,
    // Ctrl+C is a key like `q` (handled by the dashboard), so it exits cleanly the same way.
    // Ink draws at most 30 frames a second by default, so a key could wait 33 ms for its frame;
    // a frame costs the rows on screen only, so 60 are affordable.
    { stdout, stdin, exitOnCtrlC: false, patchConsole: true, maxFps: 60 },
  );

  let endedBy: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    endedBy = signal;
    instance.unmount();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const signal of signals) process.on(signal, onSignal);
  // A last resort for an exit nobody saw coming: the user must not be left in the alternate screen.
  process.on('exit', restore);
  try {
    await instance.waitUntilExit();
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('exit', restore);
    instance.cleanup();
    restore();
  }
  return endedBy;
}
