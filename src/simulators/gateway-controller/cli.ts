/**
 * `agentgw dev gateway-sim`: starts a simulator from command-line options, prints one
 * `NAME<TAB>URL` line per gateway on stdout (its management URL: data, so it can be piped into
 * `agentgw gateway register`), announces both listeners on stderr and runs until SIGINT or
 * SIGTERM.
 *
 * @example
 * agentgw dev gateway-sim --count 3 --port 9090
 * # gw-1	http://127.0.0.1:9090/gateways/gw-1   (stdout, three lines)
 * # gateway-sim listening on http://127.0.0.1:9090 (management API); admin API on http://127.0.0.1:9092   (stderr)
 */
import type { Writable } from 'node:stream';
import { UsageError } from '../../domain/errors.js';
import { SimulatorError, checkGatewayName } from './options.js';
import { startGatewaySimulator } from './simulator.js';
import type { SimulatedGatewayOptions } from './types.js';

export interface GatewaySimCliOptions {
  /** Defaults to 9090, the controller's management port. 0 picks a free one. */
  port?: number | string;
  /** Defaults to the management port + 2, as on a real controller. */
  adminPort?: number | string;
  host?: string;
  /** Gateways named gw-1..gw-N; defaults to 1. Ignored when `names` is given. */
  count?: number | string;
  names?: string[];
  legacy?: boolean;
  username?: string;
  password?: string;
  /** Latency added to every answer, in milliseconds. */
  latency?: number | string;
  /** One gateway served at `/`, exactly like a real controller. */
  single?: boolean;
}

export interface GatewaySimCliIo {
  stdout?: Writable;
  stderr?: Writable;
  /** Stops the simulator like a signal would (tests use it instead of killing the process). */
  signal?: AbortSignal;
}

export const DEFAULT_SIM_PORT = 9090;
/** Far beyond what a benchmark needs; a typo like `--count 1e9` should not eat the machine. */
const MAX_COUNT = 100_000;

/** Runs until SIGINT/SIGTERM (or `io.signal`), then closes the simulator and resolves. */
export async function runGatewaySimulator(options: GatewaySimCliOptions, io: GatewaySimCliIo = {}): Promise<void> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const gateways = gatewaysFrom(options);
  const port = integer(options.port ?? DEFAULT_SIM_PORT, '--port', 0, 65535);
  const adminPort = options.adminPort === undefined ? undefined : integer(options.adminPort, '--admin-port', 0, 65535);
  const host = options.host ?? '127.0.0.1';

  let sim;
  try {
    sim = await startGatewaySimulator({ host, port, ...(adminPort === undefined ? {} : { adminPort }), gateways, mode: options.single === true ? 'single' : 'fleet' });
  } catch (error) {
    if (error instanceof SimulatorError) throw new UsageError(error.message);
    if (isErrno(error, 'EADDRINUSE')) {
      const taken = (error as { port?: unknown }).port;
      throw new UsageError(`port ${typeof taken === 'number' ? taken : port} on ${host} is already in use`, {
        hint: 'pass --port 0 to pick free ports (the admin API listens on --port + 2 unless --admin-port says otherwise)',
        cause: error,
      });
    }
    throw error;
  }

  stdout.write(gateways.map((g) => `${g.name}\t${sim.urlOf(g.name)}\n`).join(''));
  stderr.write(`gateway-sim listening on ${sim.baseUrl} (management API); admin API on ${sim.adminBaseUrl}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted === true) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  await sim.close();
}

function gatewaysFrom(options: GatewaySimCliOptions): SimulatedGatewayOptions[] {
  const names =
    options.names !== undefined && options.names.length > 0
      ? options.names
      : Array.from({ length: integer(options.count ?? 1, '--count', 1, MAX_COUNT) }, (_, i) => `gw-${i + 1}`);
  if (options.single === true && names.length !== 1) throw new UsageError('--single serves exactly one gateway; drop --count/--names or pass one name');
  if (new Set(names).size !== names.length) throw new UsageError('gateway names must be unique');
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new UsageError('--username and --password go together');
  }
  const latencyMs = options.latency === undefined ? undefined : integer(options.latency, '--latency', 0, 3_600_000);
  return names.map((name) => {
    try {
      checkGatewayName(name);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const gateway: SimulatedGatewayOptions = { name };
    if (options.legacy === true) gateway.legacy = true;
    if (options.username !== undefined && options.password !== undefined) {
      gateway.auth = { username: options.username, password: options.password };
    }
    if (latencyMs !== undefined && latencyMs > 0) gateway.faults = { latencyMs };
    return gateway;
  });
}

function integer(value: number | string, flag: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return n;
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
