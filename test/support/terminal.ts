/**
 * The built CLI in a real pseudo-terminal: a tmux pane of a chosen size, so every path that
 * differs on a TTY (spinners, progress, prompts, colour, table width, the dashboard) runs as a
 * person at a terminal would see it. The pane stays after the command ends, so its exit status
 * and its last screen can be read.
 *
 * One tmux server per test file (its own socket); `closeTerminals()` in afterAll stops it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN } from './cli.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * A pseudo-terminal test runs the CLI several times, each a whole process start: on a shared
 * machine under load that takes longer than the suite's default 30 s per test.
 */
export const PTY_TEST_TIMEOUT_MS = 120_000;

const SOCKET = `agentgw-pty-${process.pid}`;
let sessions = 0;

const tmux = async (...args: string[]) => {
  const result = await execa('tmux', ['-L', SOCKET, ...args], { reject: false });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
};

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TerminalOptions {
  /** Arguments to the built CLI. */
  args: string[];
  /** Run this program (with `args`) instead of the CLI: e.g. a shell, to try completion in. */
  program?: string;
  /** The whole environment of the command (nothing else leaks in). */
  env: Record<string, string>;
  cwd?: string;
  columns?: number;
  rows?: number;
  /** Shell text whose output is piped into the CLI's stdin (stdin is then not a terminal). */
  stdinFrom?: string;
}

export interface Terminal {
  /** The visible screen; with `colors`, with its escape sequences. */
  screen(options?: { colors?: boolean }): Promise<string>;
  /** Everything the pane printed, scrolled-off lines included. */
  history(options?: { colors?: boolean }): Promise<string>;
  /** Waits until the screen satisfies `predicate` (or matches the pattern); fails with the last screen. */
  waitFor(predicate: RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Sends tmux key names (`Enter`, `C-c`, `C-d`, `Escape`) or literal text with `type`. */
  press(...keys: string[]): Promise<void>;
  /** Sends one key `count` times in a single burst (tmux send-keys -N), as a held-down key would. */
  repeat(key: string, count: number): Promise<void>;
  type(text: string): Promise<void>;
  /** Sends a signal to the CLI process itself. */
  signal(name: 'SIGINT' | 'SIGTERM'): Promise<void>;
  /** Waits for the command to end; its exit status, and everything it printed. */
  exit(timeoutMs?: number): Promise<{ exitCode: number; output: string }>;
  close(): Promise<void>;
}

/** Starts `agentgw ARGS` (or `program ARGS`) in a fresh pane of `columns` × `rows` (default 160 × 40). */
export async function openTerminal(options: TerminalOptions): Promise<Terminal> {
  const name = `t${++sessions}`;
  const env = { TERM: 'xterm-256color', LANG: 'C.UTF-8', ...options.env };
  const program = options.program === undefined ? `${quote(process.execPath)} ${quote(BIN)}` : quote(options.program);
  const cli = `env -i ${Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`).join(' ')} ${program} ${options.args.map(quote).join(' ')}`;
  // The exit status is written to a file by the shell that ran the command: tmux does not always
  // reap a pane's process (under load its SIGCHLD can go unhandled, leaving a zombie and no
  // status). The shell ignores nothing: its INT trap only keeps it alive until the command, which
  // gets Ctrl-C as usual, has ended.
  const statusFile = join(tmpdir(), `agentgw-pty-${process.pid}-${name}.status`);
  const command = `trap : INT; ${options.stdinFrom === undefined ? cli : `${options.stdinFrom} | ${cli}`}; echo $? > ${quote(statusFile)}`;
  const started = await tmux(
    'new-session', '-d', '-s', name,
    '-x', String(options.columns ?? 160), '-y', String(options.rows ?? 40),
    ...(options.cwd === undefined ? [] : ['-c', options.cwd]),
    // remain-on-exit keeps the pane (and its screen) once the command has ended.
    `exec sh -c ${quote(command)}`,
    ';', 'set-option', '-t', name, 'remain-on-exit', 'on',
    ';', 'set-option', '-t', name, 'history-limit', '10000',
  );
  if (started.exitCode !== 0) throw new Error(`tmux new-session failed: ${started.stderr}`);

  const capture = async (colors: boolean, start?: string) =>
    (await tmux('capture-pane', '-p', '-J', '-t', name, ...(colors ? ['-e'] : []), ...(start === undefined ? [] : ['-S', start]))).stdout;
  /** The shell's pid, whether its terminal has closed, and the command's exit status once written. */
  const paneState = async () => {
    const { stdout } = await tmux('display-message', '-p', '-t', name, '#{pane_dead}|#{pane_pid}');
    const [dead, pid] = stdout.trim().split('|');
    const status = existsSync(statusFile) ? readFileSync(statusFile, 'utf8').trim() : '';
    return { dead: dead === '1' && status !== '', status: Number(status), pid: Number(pid) };
  };

  const terminal: Terminal = {
    screen: (opts = {}) => capture(opts.colors === true),
    history: (opts = {}) => capture(opts.colors === true, '-'),
    async waitFor(predicate, timeoutMs = 20_000) {
      const test = typeof predicate === 'function' ? predicate : (text: string) => predicate.test(text);
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = await capture(false);
        if (test(last)) return last;
        await sleep(80);
      }
      throw new Error(`the terminal never showed what was expected; last screen:\n${last}`);
    },
    async press(...keys) {
      for (const key of keys) {
        await tmux('send-keys', '-t', name, key);
        // A lone ESC becomes a key only once no sequence follows it.
        await sleep(key === 'Escape' ? 150 : 60);
      }
    },
    async repeat(key, count) {
      await tmux('send-keys', '-t', name, '-N', String(count), key);
      await sleep(60);
    },
    async type(text) {
      await tmux('send-keys', '-t', name, '-l', text);
      await sleep(60);
    },
    async signal(signalName) {
      const { pid, dead } = await paneState();
      if (dead) return;
      // The command is the shell's child.
      for (const child of spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).stdout.toString().split('\n').filter(Boolean)) process.kill(Number(child), signalName);
    },
    async exit(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = await paneState();
        if (state.dead) {
          // Drop the "Pane is dead" line tmux adds, and the blank rows below the output.
          const output = (await capture(false, '-')).replace(/\n*Pane is dead[^\n]*\n*$/, '').trimEnd();
          rmSync(statusFile, { force: true });
          return { exitCode: state.status, output };
        }
        if (Date.now() > deadline) throw new Error(`the command did not end; last screen:\n${await capture(false)}`);
        await sleep(80);
      }
    },
    async close() {
      await tmux('kill-session', '-t', name);
    },
  };
  return terminal;
}

/** Stops this file's tmux server and removes its socket. */
export async function closeTerminals(): Promise<void> {
  await tmux('kill-server');
  rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
}

/**
 * A directory holding an `agentgw` that runs the built CLI, for a shell's PATH: what a person's
 * shell completion calls.
 */
export function agentgwOnPath(dir: string): string {
  const script = join(dir, 'agentgw');
  writeFileSync(script, `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(BIN)} "$@"\n`);
  chmodSync(script, 0o755);
  return dir;
}
