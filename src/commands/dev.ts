/** `agentgw dev …`: simulators to try agentgw, test it and benchmark it without real gateways. */
import { UsageError } from '../domain/errors.js';
import { collect, defineCommand } from './define.js';

interface GatewaySimFlags {
  port: string;
  adminPort?: string;
  host: string;
  count: string;
  name?: string[];
  legacy?: boolean;
  username?: string;
  password?: string;
  latency: string;
  single?: boolean;
}

interface CloudSimFlags {
  port: string;
  host: string;
  clientId: string;
  clientSecret: string;
  delay: string;
  tokenTtl: string;
  failRegion?: string[];
}

function port(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`${flag}: expected a port number, got "${value}"`);
  return Number(value);
}

export const gatewaySimCommand = defineCommand<[], GatewaySimFlags>({
  flags: (command) =>
    command
      .option('--port <n>', 'management API port (0: any free port whose + 2 is free too)', '9090')
      .option('--admin-port <n>', 'admin API port (default: --port + 2, as on a real controller)')
      .option('--host <ip>', 'address to listen on', '127.0.0.1')
      .option('--count <n>', 'how many gateways (gw-1 … gw-N)', '1')
      .option('--name <name>', 'a gateway name (repeatable; instead of --count)', collect)
      .option('--legacy', 'speak the legacy (2026-02) controller API: /health on the management port, no admin API')
      .option('--username <user>', 'require HTTP Basic auth with this user')
      .option('--password <password>', '… and this password')
      .option('--latency <ms>', 'added latency per response', '0')
      .option('--single', 'serve one gateway at the root, like a real controller'),
  examples: ['agentgw dev gateway-sim --port 9090 --count 3', 'agentgw dev gateway-sim --single --port 9090   # admin API on 9092', 'agentgw dev gateway-sim --port 0 --name edge-1 --legacy'],
  run: (_invocation, _args, flags) => gatewaySim(flags),
});

async function gatewaySim(flags: GatewaySimFlags): Promise<void> {
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

export const cloudSimCommand = defineCommand<[], CloudSimFlags>({
  flags: (command) =>
    command
      .option('--port <n>', 'port to listen on (0: any free port)', '9400')
      .option('--host <ip>', 'address to listen on', '127.0.0.1')
      .requiredOption('--client-id <id>', 'OAuth2 client id it accepts')
      .requiredOption('--client-secret <secret>', 'OAuth2 client secret it accepts')
      .option('--delay <duration>', 'how long provisioning takes', '2s')
      .option('--token-ttl <duration>', 'lifetime of issued tokens', '1h')
      .option('--fail-region <region>', 'provisioning in this region ends in ERROR (repeatable)', collect),
  examples: ['agentgw dev cloud-sim --port 9400 --client-id demo --client-secret demo-secret --delay 3s'],
  run: (_invocation, _args, flags) => cloudSim(flags),
});

async function cloudSim(flags: CloudSimFlags): Promise<void> {
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
