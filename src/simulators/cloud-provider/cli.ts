/**
 * `agentgw dev cloud-sim`: a cloud provider on this machine. Provisioned gateways are backed by
 * an in-process gateway-controller simulator (one simulated gateway per cloud gateway), so
 * resources can be deployed to them like to real ones. Announces itself on stderr and runs until
 * SIGINT or SIGTERM.
 *
 * @example
 * agentgw dev cloud-sim --port 9400 --client-id agentgw --client-secret "$CLOUD_CLIENT_SECRET" --delay 2s
 * # cloud-sim listening on http://127.0.0.1:9400   (stderr)
 */
import type { Writable } from 'node:stream';
import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../domain/errors.js';
import { startGatewaySimulator } from '../gateway-controller/index.js';
import type { GatewaySimulator } from '../gateway-controller/index.js';
import { startCloudSimulator } from './simulator.js';
import type { CloudSimulator } from './types.js';

export interface CloudSimCliOptions {
  /** Defaults to 9400. 0 picks a free port. */
  port?: number | string;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** How long provisioning takes: a duration ("2s", "500ms") or milliseconds. Defaults to 2s. */
  delay?: number | string;
  /** Lifetime of issued tokens: a duration ("1h") or seconds. Defaults to 1h. */
  tokenTtl?: number | string;
  /** Regions where provisioning fails for lack of capacity. */
  failRegion?: string[];
  /** Back provisioned gateways with a gateway-controller simulator; defaults to true. */
  gateways?: boolean;
}

export interface CloudSimCliIo {
  stderr?: Writable;
  /** Stops the simulator like a signal would (tests use it instead of killing the process). */
  signal?: AbortSignal;
  /** Called once the simulator listens, with its URL (tests use it with port 0). */
  onListening?: (url: string) => void;
}

export const DEFAULT_CLOUD_SIM_PORT = 9400;
const DEFAULT_DELAY_MS = 2_000;

/** Runs until SIGINT/SIGTERM (or `io.signal`), then closes the simulators and resolves. */
export async function runCloudSimulator(options: CloudSimCliOptions, io: CloudSimCliIo = {}): Promise<void> {
  const stderr = io.stderr ?? process.stderr;
  const missing = [options.clientId ? null : '--client-id', options.clientSecret ? null : '--client-secret'].filter((flag) => flag !== null);
  if (missing.length > 0 || !options.clientId || !options.clientSecret) {
    throw new UsageError(`${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required`, {
      hint: 'use the same values as gateway.adapter.cloud.authentication.clientId and clientSecret',
    });
  }
  const port = wholeNumber(options.port ?? DEFAULT_CLOUD_SIM_PORT, '--port', 0, 65535);
  const host = options.host ?? '127.0.0.1';
  const provisioningDelayMs = duration(options.delay ?? DEFAULT_DELAY_MS, '--delay', 1);
  const tokenTtlSeconds = Math.max(1, Math.round(duration(options.tokenTtl ?? 3600, '--token-ttl', 1000) / 1000));

  let controllers: GatewaySimulator | null = null;
  let cloud: CloudSimulator;
  try {
    if (options.gateways !== false) controllers = await startGatewaySimulator({ host, port: 0 });
    const backing = controllers;
    cloud = await startCloudSimulator({
      host,
      port,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      provisioningDelayMs,
      tokenTtlSeconds,
      failRegions: options.failRegion ?? [],
      ...(backing === null
        ? {}
        : {
            // Keyed by id: a name freed by a deleted gateway can be provisioned again before the old one is gone.
            managementUrlFor: (_name: string, id: string) => backing.addGateway({ name: id }),
            onDeprovisioned: (_name: string, id: string) => {
              backing.removeGateway(id);
            },
          }),
    });
  } catch (error) {
    await controllers?.close();
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(`port ${port} on ${host} is already in use`, { hint: 'pass --port 0 to pick a free port', cause: error });
    }
    throw error;
  }

  stderr.write(`cloud-sim listening on ${cloud.url}\n`);
  if (controllers !== null) stderr.write(`cloud-sim: provisioned gateways are served by a gateway-controller simulator on ${controllers.baseUrl}\n`);
  stderr.write(`cloud-sim: set gateway.adapter.type to cloud and gateway.adapter.cloud.apiEndpoint to ${cloud.url}\n`);
  io.onListening?.(cloud.url);

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
  await cloud.close();
  await controllers?.close();
}

function wholeNumber(value: number | string, flag: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  return n;
}

/** A duration string, or a bare number in `unitMs` units. */
function duration(value: number | string, flag: string, unitMs: number): number {
  if (typeof value === 'number' || /^\d+$/.test(value.trim())) {
    const n = Number(value);
    if (Number.isFinite(n) && n >= 0) return n * unitMs;
  } else {
    const ms = parseDuration(value);
    if (ms !== null) return ms;
  }
  throw new UsageError(`${flag} must be a duration like 500ms, 2s or 1m, got ${String(value)}`);
}
