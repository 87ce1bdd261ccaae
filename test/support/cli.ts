/** Runs the built CLI as a user would: a child process, no TTY, no colour, its own data dir. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';

/** The test run's own build (see test/global-setup.ts), or the repository's. */
export const BIN = process.env.AGENTGW_TEST_BIN ?? resolve('bin/agentgw.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliEnvironment {
  dataDir: string;
  env: Record<string, string>;
  run(args: string[], options?: { input?: string; env?: Record<string, string>; cwd?: string }): Promise<CliResult>;
}

/** A clean environment: nothing from the developer's own config or database leaks in. */
export function cliEnvironment(extra: Record<string, string> = {}): CliEnvironment {
  const home = mkdtempSync(join(tmpdir(), 'agentgw-home-'));
  const dataDir = join(home, 'data');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AGENTGW_DATA_DIR: dataDir,
    AGENTGW_CONFIG_DIR: join(home, 'config'),
    NO_COLOR: '1',
    CI: '1',
    ...extra,
  };
  return {
    dataDir,
    env,
    async run(args, options = {}) {
      const result = await execa(process.execPath, [BIN, ...args], {
        env: { ...env, ...options.env },
        extendEnv: false,
        reject: false,
        stripFinalNewline: false,
        cwd: options.cwd ?? home,
        ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }),
        timeout: 60_000,
      });
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    },
  };
}

export interface SimulatorProcess {
  /** Each gateway's management URL, as printed on stdout. */
  urls: Map<string, string>;
  baseUrl: string;
  /** Where the admin listener is (the management port + 2). */
  adminBaseUrl: string;
  /** A gateway's Prometheus endpoint, on the admin listener. */
  metricsUrlOf(name: string): string;
  process: ResultPromise;
  stop(): Promise<void>;
}

/** `agentgw dev gateway-sim` as a separate process, on random ports. */
export async function startSimulatorProcess(args: string[] = []): Promise<SimulatorProcess> {
  const child = execa(process.execPath, [BIN, 'dev', 'gateway-sim', '--port', '0', ...args], { reject: false, env: { NO_COLOR: '1' } });
  const urls = new Map<string, string>();
  let baseUrl = '';
  let adminBaseUrl = '';
  await new Promise<void>((resolvePromise, rejectPromise) => {
    let buffer = '';
    const timer = setTimeout(() => rejectPromise(new Error(`simulator did not start: ${buffer}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n').slice(0, -1)) {
        const [name, url] = line.split('\t');
        if (name && url) urls.set(name, url);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      const match = /listening on (\S+) \(management API\); admin API on (\S+)/.exec(chunk.toString());
      if (match) {
        baseUrl = match[1]!;
        adminBaseUrl = match[2]!;
        clearTimeout(timer);
        // The gateway lines are written before the listening line.
        setImmediate(resolvePromise);
      }
    });
  });
  return {
    urls,
    baseUrl,
    adminBaseUrl,
    metricsUrlOf: (name) => `${adminBaseUrl}${new URL(urls.get(name)!).pathname.replace(/\/$/, '')}/metrics`,
    process: child,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}
