/** `agentgw dev …`: simulators to try agentgw, test it and benchmark it without real gateways. */
import { UsageError } from '../domain/errors.js';
import type { GlobalOptions } from './context.js';

function port(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`${flag}: expected a port number, got "${value}"`);
  return Number(value);
}

export async function gatewaySim(
  _globals: GlobalOptions,
  flags: { port: string; adminPort?: string; host: string; count: string; name?: string[]; legacy?: boolean; username?: string; password?: string; latency: string; single?: boolean },
): Promise<void> {
  if ((flags.username === undefined) !== (flags.password === undefined)) throw new UsageError('--username and --password go together');
  if (!/^\d+$/.test(flags.count) || Number(flags.count) < 1) throw new UsageError(`--count: expected a whole number ≥ 1, got "${flags.count}"`);
  if (!/^\d+$/.test(flags.latency)) throw new UsageError(`--latency: expected milliseconds, got "${flags.latency}"`);
  const { runGatewaySimulator } = await import('../simulators/gateway-controller/index.js');
  await runGatewaySimulator({
    port: port(flags.port, '--port'),
    ...(flags.adminPort === undefined ? {} : { adminPort: port(flags.adminPort, '--admin-port') }),
    host: flags.host,
    count: Number(flags.count),
    ...(flags.name === undefined ? {} : { names: flags.name }),
    legacy: flags.legacy === true,
    ...(flags.username === undefined ? {} : { username: flags.username, password: flags.password! }),
    latency: Number(flags.latency),
    single: flags.single === true,
  });
}

export async function cloudSim(
  _globals: GlobalOptions,
  flags: { port: string; host: string; clientId: string; clientSecret: string; delay: string; tokenTtl: string; failRegion?: string[] },
): Promise<void> {
  const { runCloudSimulator } = await import('../simulators/cloud-provider/index.js');
  await runCloudSimulator({
    port: port(flags.port, '--port'),
    host: flags.host,
    clientId: flags.clientId,
    clientSecret: flags.clientSecret,
    delay: flags.delay,
    tokenTtl: flags.tokenTtl,
    ...(flags.failRegion === undefined ? {} : { failRegion: flags.failRegion }),
  });
}
