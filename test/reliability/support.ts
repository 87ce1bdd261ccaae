/**
 * What every scenario of the reliability battery shares: its figures (requests served, faults
 * injected, violations, data lost), the capture of everything a user or operator could see (HTTP
 * bodies, CLI output, daemon logs) for the secret canary, real `agentgw serve` processes, and an
 * HTTP helper that never hangs.
 *
 * A violation is recorded, not thrown, so a scenario runs to its end and reports complete
 * figures; each test then asserts that there were none.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { BIN } from '../support/cli.js';

/** Where the scenarios leave their figures and captures for the global teardown. */
function outDir(): string {
  process.env.AGENTGW_RELIABILITY_OUT ??= mkdtempSync(join(tmpdir(), 'agentgw-reliability-'));
  return process.env.AGENTGW_RELIABILITY_OUT;
}

/**
 * The secret canary: one password and one client secret, sent in every registration of the run;
 * one provider API key and one Secret value, in the manifests of the provider-keys scenario.
 */
export const CANARY = {
  username: 'battery-admin',
  password: process.env.AGENTGW_RELIABILITY_PASSWORD ?? `pw-canary-${randomBytes(12).toString('hex')}`,
  clientSecret: process.env.AGENTGW_RELIABILITY_CLIENT_SECRET ?? `cs-canary-${randomBytes(12).toString('hex')}`,
  /** The OAuth client the client secret belongs to, where a scenario speaks to a cloud provider. */
  clientId: 'battery-client',
  providerKey: process.env.AGENTGW_RELIABILITY_PROVIDER_KEY ?? `sk-canary-${randomBytes(12).toString('hex')}`,
  secretValue: process.env.AGENTGW_RELIABILITY_SECRET_VALUE ?? `sv-canary-${randomBytes(12).toString('hex')}`,
};

export type Canary = typeof CANARY;

/** Every form in which a canary could escape: as is, base64, and as the Basic credentials built from it. */
export function canaryNeedles(canary: Canary = CANARY): string[] {
  return [
    canary.password,
    canary.clientSecret,
    canary.providerKey,
    canary.secretValue,
    Buffer.from(`${canary.username}:${canary.password}`).toString('base64'),
    Buffer.from(`${canary.clientId}:${canary.clientSecret}`).toString('base64'),
    Buffer.from(canary.password).toString('base64'),
    Buffer.from(canary.clientSecret).toString('base64'),
    Buffer.from(canary.providerKey).toString('base64'),
    Buffer.from(canary.secretValue).toString('base64'),
  ];
}

/** The credentials every registration of the battery carries. */
export function canaryCredentials(): Record<string, string> {
  return { username: CANARY.username, password: CANARY.password, clientSecret: CANARY.clientSecret };
}

export const SECRET_KEY = Buffer.alloc(32, 11).toString('base64');

export interface ScenarioFigures {
  scenario: string;
  title: string;
  /** HTTP requests the daemons answered (any status). */
  requests: number;
  /** Requests that got no answer at all (each scenario also counts them as violations). */
  unanswered: number;
  cliRuns: number;
  faults: number;
  faultDetail: Record<string, number>;
  violations: number;
  violationSamples: string[];
  acknowledgedWrites: number;
  dataLost: number;
  halfWritten: number;
  statusCounts: Record<string, number>;
  captures: number;
  capturedBytes: number;
  durationMs: number;
  notes: Record<string, unknown>;
}

export class Scenario {
  readonly figures: ScenarioFigures;
  private readonly started = Date.now();
  readonly startedAt = performance.now();
  private readonly captured: string[] = [];
  /** How long each answered request took (ms), for the latency figures. */
  readonly latencies: number[] = [];
  /** Every request: when it started (ms since the scenario began), how long it took, its status. */
  readonly timeline: Array<[number, number, number, string]> = [];
  private readonly cleanups: Array<() => Promise<unknown> | void> = [];

  constructor(id: string, title: string) {
    this.figures = {
      scenario: id,
      title,
      requests: 0,
      unanswered: 0,
      cliRuns: 0,
      faults: 0,
      faultDetail: {},
      violations: 0,
      violationSamples: [],
      acknowledgedWrites: 0,
      dataLost: 0,
      halfWritten: 0,
      statusCounts: {},
      captures: 0,
      capturedBytes: 0,
      durationMs: 0,
      notes: {},
    };
  }

  violation(message: string): void {
    this.figures.violations += 1;
    if (this.figures.violationSamples.length < 40) this.figures.violationSamples.push(message);
  }

  /** Records a check: a violation when it does not hold. */
  check(ok: boolean, message: string): boolean {
    if (!ok) this.violation(message);
    return ok;
  }

  fault(kind: string, count = 1): void {
    this.figures.faults += count;
    this.figures.faultDetail[kind] = (this.figures.faultDetail[kind] ?? 0) + count;
  }

  note(key: string, value: unknown): void {
    this.figures.notes[key] = value;
  }

  capture(source: string, text: string): void {
    if (text === '') return;
    // A label may quote a command line that carried a canary on purpose; only what the program
    // printed is under test.
    for (const needle of canaryNeedles()) source = source.replaceAll(needle, '<canary>');
    this.figures.captures += 1;
    this.figures.capturedBytes += Buffer.byteLength(text);
    this.captured.push(`### ${source}\n${text}\n`);
  }

  /** Occurrences of any canary form in what this scenario captured so far. */
  leaks(): string[] {
    const found: string[] = [];
    const needles = canaryNeedles();
    for (const text of this.captured) {
      for (const needle of needles) if (text.includes(needle)) found.push(`${text.slice(0, text.indexOf('\n'))}: ${needle.slice(0, 12)}…`);
    }
    return found;
  }

  onCleanup(cleanup: () => Promise<unknown> | void): void {
    this.cleanups.unshift(cleanup);
  }

  async cleanup(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        await cleanup();
      } catch {}
    }
  }

  /** Writes the figures and the captures where the global teardown reads them. */
  finish(): void {
    this.figures.durationMs = Date.now() - this.started;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    if (sorted.length > 0) this.figures.notes.latencyMs = { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
    if (process.env.AGENTGW_RELIABILITY_TIMELINE) writeFileSync(join(process.env.AGENTGW_RELIABILITY_TIMELINE, `${this.figures.scenario}.json`), JSON.stringify(this.timeline));
    const out = outDir();
    mkdirSync(join(out, 'figures'), { recursive: true });
    mkdirSync(join(out, 'captures'), { recursive: true });
    writeFileSync(join(out, 'figures', `${this.figures.scenario}.json`), JSON.stringify(this.figures, null, 2));
    writeFileSync(join(out, 'captures', `${this.figures.scenario}.txt`), this.captured.join(''));
  }

  /** The assertion message of a scenario that saw violations. */
  summary(): string {
    return `${this.figures.violations} violation(s):\n${this.figures.violationSamples.join('\n')}`;
  }
}

export interface Answer {
  /** 0 when no answer came. */
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
  error?: string;
  ms: number;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** The answer must come within this; a request that hangs longer is unanswered. */
  timeoutMs?: number;
}

/** One HTTP request that counts, captures and never hangs past its timeout. */
export async function request(s: Scenario, base: string, method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const started = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    s.figures.requests += 1;
    s.latencies.push(performance.now() - started);
    s.timeline.push([Math.round(started - s.startedAt), Math.round(performance.now() - started), response.status, `${method} ${path}`]);
    s.figures.statusCounts[response.status] = (s.figures.statusCounts[response.status] ?? 0) + 1;
    s.capture(`HTTP ${method} ${path} → ${response.status}`, text);
    return { status: response.status, headers: Object.fromEntries(response.headers), text, body, ms: performance.now() - started };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
    s.figures.unanswered += 1;
    s.timeline.push([Math.round(started - s.startedAt), Math.round(performance.now() - started), 0, `${method} ${path}`]);
    return { status: 0, headers: {}, text: '', body: undefined, error: message, ms: performance.now() - started };
  }
}

export function isProblem(answer: Answer): boolean {
  return (
    /^application\/problem\+json/.test(answer.headers['content-type'] ?? '') &&
    typeof answer.body === 'object' &&
    answer.body !== null &&
    answer.body.status === answer.status &&
    typeof answer.body.code === 'string' &&
    typeof answer.body.detail === 'string' &&
    !/\n\s+at /.test(answer.text)
  );
}

/** A one-line description of an answer, for violation messages. */
export function show(answer: Answer): string {
  return answer.status === 0 ? `no answer after ${Math.round(answer.ms)} ms (${answer.error})` : `${answer.status} ${answer.text.slice(0, 300)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deterministic choices, so each run sends the same operations. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `total` jobs on `concurrency` workers; job i runs once. */
export async function pool(total: number, concurrency: number, job: (i: number, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) await job(next++, worker);
    }),
  );
}

/** A clean home for a child process: nothing from the developer's own config leaks in. */
function childHome(): { home: string; env: Record<string, string> } {
  const home = mkdtempSync(join(tmpdir(), 'agentgw-reliability-home-'));
  return {
    home,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AGENTGW_DATA_DIR: join(home, 'data'),
      AGENTGW_CONFIG_DIR: join(home, 'config'),
      NO_COLOR: '1',
      CI: '1',
    },
  };
}

export interface ServeProcess {
  label: string;
  url: string;
  child: ResultPromise;
  /** Its home directory; its data directory (the default SQLite store) is `data` in it. */
  home: string;
  /** Whether the process is still running. */
  alive(): boolean;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | undefined>;
}

export interface ServeOptions {
  /** The config file's content (written as YAML). */
  config: Record<string, unknown>;
  /** Node flags before the CLI (e.g. --import of a preload). */
  nodeArgs?: string[];
  /** Extra `serve` flags. */
  args?: string[];
  readyTimeoutMs?: number;
  /** The process's file creation mask (e.g. 0o000, to see which modes agentgw asks for itself). */
  umask?: number;
  /** The process's limit on open files (its soft and hard RLIMIT_NOFILE). */
  fileLimit?: number;
}

/** The command that runs `node argv…` under the umask and file limit asked for (a shell that execs node, so the pid is node's). */
function serveCommand(argv: string[], options: ServeOptions): [string, string[]] {
  if (options.umask === undefined && options.fileLimit === undefined) return [process.execPath, argv];
  const setup = [
    ...(options.fileLimit === undefined ? [] : [`ulimit -n ${options.fileLimit}`]),
    ...(options.umask === undefined ? [] : [`umask ${options.umask.toString(8).padStart(3, '0')}`]),
  ];
  return ['/bin/sh', ['-c', `${setup.join(' && ')} && exec "$0" "$@"`, process.execPath, ...argv]];
}

/**
 * `agentgw serve` as a child process on a random port, configured by a file. Its stdout (JSON
 * logs) and stderr are captured for the canary when it stops (or when the scenario ends).
 */
export async function startServe(s: Scenario, label: string, options: ServeOptions): Promise<ServeProcess> {
  const { home, env } = childHome();
  const configFile = join(home, 'agentgw.config.yaml');
  writeFileSync(configFile, stringify(options.config));
  const [command, argv] = serveCommand([...(options.nodeArgs ?? []), BIN, '--config', configFile, 'serve', '--port', '0', ...(options.args ?? [])], options);
  const child = execa(command, argv, {
    env,
    extendEnv: false,
    reject: false,
    cwd: home,
    stdin: 'ignore',
    // stop() gives a SIGTERM'd daemon 30 s; execa's own default would SIGKILL it after 5.
    forceKillAfterDelay: false,
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = child.then((result) => {
    exited = true;
    return result;
  });
  let captured = false;
  const captureLogs = () => {
    if (captured) return;
    captured = true;
    s.capture(`daemon ${label} stdout`, stdout);
    s.capture(`daemon ${label} stderr`, stderr);
  };
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    // An orderly stop drains in-flight requests; one that takes this long is stuck.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const result = await done;
    clearTimeout(timer);
    captureLogs();
    rmSync(home, { recursive: true, force: true });
    return result.exitCode;
  };
  s.onCleanup(stop);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: serve did not start within ${options.readyTimeoutMs ?? 30_000} ms: ${stderr}`)), options.readyTimeoutMs ?? 30_000);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stderr!.on('data', onData);
    void done.then((result) => {
      clearTimeout(timer);
      reject(new Error(`${label}: serve exited ${result.exitCode} before listening: ${stderr}`));
    });
  });
  return { label, url, child, home, alive: () => !exited, stdout: () => stdout, stderr: () => stderr, stop };
}

/** Parsed JSON log lines of a daemon, with what must never be there: fatal errors, crashes. */
export function logTrouble(stdout: string): { lines: number; fatal: string[]; errors: number; warnings: number; unhandledRejections: number } {
  let lines = 0;
  let unhandledRejections = 0;
  let errors = 0;
  let warnings = 0;
  const fatal: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    lines += 1;
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line);
    } catch {
      fatal.push(`not a JSON log line: ${line.slice(0, 200)}`);
      continue;
    }
    // serve logs a stray driver rejection and goes on (by design); it is counted, not fatal.
    if (/unhandled rejection/.test(entry.msg ?? '')) unhandledRejections += 1;
    if ((entry.level ?? 0) >= 60 || /uncaught exception/.test(entry.msg ?? '')) fatal.push(line.slice(0, 400));
    else if ((entry.level ?? 0) >= 50) errors += 1;
    else if ((entry.level ?? 0) >= 40) warnings += 1;
  }
  return { lines, fatal, errors, warnings, unhandledRejections };
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The built CLI as a user runs it: a child process, no TTY, captured for the canary. `env` adds variables. */
export async function cli(s: Scenario, args: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliRun> {
  const { home, env } = childHome();
  try {
    const result = await execa(process.execPath, [BIN, ...args], {
      env: { ...env, ...options.env },
      extendEnv: false,
      reject: false,
      cwd: home,
      timeout: options.timeoutMs ?? 60_000,
      ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }),
    });
    s.figures.cliRuns += 1;
    const run = { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    s.capture(`CLI agentgw ${args.join(' ')} → exit ${run.exitCode} (stdout)`, run.stdout);
    s.capture(`CLI agentgw ${args.join(' ')} → exit ${run.exitCode} (stderr)`, run.stderr);
    return run;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The config of a battery daemon: frequent health checks, the battery's secret key, logs at info.
 * The check timeout is generous: a busy 2-core machine must not turn a slow answer into a fault
 * the scenario did not inject.
 */
export function daemonConfig(databaseUrl: string, extra: { network?: Record<string, unknown>; healthCheck?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    database: { url: databaseUrl },
    secrets: { key: SECRET_KEY },
    logging: { level: 'info' },
    gateway: {
      adapter: {
        type: 'on-premise',
        onPremise: {
          defaultTimeout: '5s',
          healthCheck: { interval: '1s', timeout: '5s', unhealthyThreshold: 2, healthyThreshold: 1, ...extra.healthCheck },
        },
      },
    },
    ...(extra.network === undefined ? {} : { network: extra.network }),
  };
}
