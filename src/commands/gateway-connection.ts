/**
 * The connection flags of `gateway register` and `gateway update` (URLs, credentials, TLS files,
 * cloud settings, --set) and the adapterConfig they describe.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../domain/errors.js';
import type { IO } from '../output/io.js';
import { readPassword } from './run.js';

export interface ConnectionFlags {
  controlPlaneUrl?: string;
  adminUrl?: string;
  metricsUrl?: string;
  endpoint?: string;
  apiBasePath?: string;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  insecureSkipVerify?: boolean;
  region?: string;
  tier?: string;
  minInstances?: string;
  maxInstances?: string;
  set?: string[];
}

/** The adapterConfig the flags describe; files are read here so the daemon never reads paths. */
export async function adapterConfigFrom(flags: ConnectionFlags, io: IO): Promise<Record<string, unknown>> {
  if (flags.password !== undefined && flags.passwordStdin) throw new UsageError('use --password or --password-stdin, not both');
  const config: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) config[key] = value;
  };
  set('controlPlaneUrl', flags.controlPlaneUrl);
  set('adminUrl', flags.adminUrl);
  set('metricsUrl', flags.metricsUrl);
  set('endpoint', flags.endpoint);
  set('apiBasePath', flags.apiBasePath);
  set('username', flags.username);
  set('password', flags.passwordStdin ? await readPassword(io, '--password-stdin') : flags.password);
  set('caCert', flags.caCert === undefined ? undefined : await readPem(flags.caCert, '--ca-cert'));
  set('clientCert', flags.clientCert === undefined ? undefined : await readPem(flags.clientCert, '--client-cert'));
  set('clientKey', flags.clientKey === undefined ? undefined : await readPem(flags.clientKey, '--client-key'));
  if (flags.insecureSkipVerify) config.insecureSkipVerify = true;
  set('region', flags.region);
  set('tier', flags.tier);
  if (flags.minInstances !== undefined || flags.maxInstances !== undefined) {
    config.autoScaling = {
      ...(flags.minInstances === undefined ? {} : { minInstances: wholeNumber(flags.minInstances, '--min-instances') }),
      ...(flags.maxInstances === undefined ? {} : { maxInstances: wholeNumber(flags.maxInstances, '--max-instances') }),
    };
  }
  for (const pair of flags.set ?? []) {
    const index = pair.indexOf('=');
    if (index <= 0) throw new UsageError(`--set "${pair}": expected key=value`);
    config[pair.slice(0, index)] = pair.slice(index + 1);
  }
  return config;
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: expected a whole number, got "${value}"`);
  return Number(value);
}
