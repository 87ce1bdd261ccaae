/**
 * Remote mode behaves exactly like local mode: the built CLI runs each command twice over the
 * same PostgreSQL schema — in-process (`--database`) and through a daemon (`--server`) — and
 * stdout, stderr and the exit code must be identical, for reads, writes and every kind of error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { cliEnvironment, type CliEnvironment, type CliResult } from '../support/cli.js';
import { SECRET_KEY } from '../support/harness.js';
import { startTestDaemon, type TestDaemon } from './support.js';

describe('the CLI in local and remote mode', () => {
  let t: TestDaemon;
  let sim: GatewaySimulator;
  let cli: CliEnvironment;

  const local = (args: string[]) => cli.run(['--database', t.schema.url, ...args]);
  const remote = (args: string[]) => cli.run(['--server', t.url, ...args]);
  const both = async (args: string[]): Promise<[CliResult, CliResult]> => Promise.all([local(args), remote(args)]);

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: [{ name: 'gw-1' }, { name: 'gw-2' }] });
    t = await startTestDaemon({ prefix: 'parity' });
    cli = cliEnvironment({ AGENTGW_SECRET_KEY: SECRET_KEY });
    expect((await local(['env', 'create', 'staging', '--display-name', 'Staging', '--description', 'pre-prod'])).exitCode).toBe(0);
    const registered = await remote(['gateway', 'register', 'edge-1', '--control-plane-url', sim.urlOf('gw-1'), '--env', 'production', '--env', 'staging']);
    expect(registered.exitCode, registered.stderr).toBe(0);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  // None of these changes anything, so they run side by side (vitest's maxConcurrency).
  it.concurrent.for<[string, string[]]>([
    ['env list', ['env', 'list']],
    ['env list -o json', ['env', 'list', '-o', 'json']],
    ['env list -o yaml', ['env', 'list', '-o', 'yaml']],
    ['env list -o wide', ['env', 'list', '-o', 'wide']],
    ['env get by name', ['env', 'get', 'staging', '-o', 'json']],
    ['env gateways', ['env', 'gateways', 'staging', '-o', 'json']],
    ['gateway list', ['gateway', 'list']],
    ['gateway list filtered', ['gateway', 'list', '--env', 'staging', '--type', 'egress', '--status', 'ACTIVE', '-o', 'json']],
    ['gateway list, no match', ['gateway', 'list', '--type', 'INGRESS', '-o', 'json']],
    ['gateway get', ['gateway', 'get', 'edge-1', '-o', 'yaml']],
    ['gateway env list', ['gateway', 'env', 'list', 'edge-1', '-o', 'json']],
    ['not found (exit 1)', ['env', 'get', 'nope']],
    ['gateway not found (exit 1)', ['gateway', 'health', 'nope']],
    ['invalid name (exit 2)', ['env', 'create', 'Bad_Name']],
    ['over-long display name (exit 2)', ['env', 'create', 'ok-name', '--display-name', 'x'.repeat(129)]],
    ['duplicate (exit 5)', ['env', 'create', 'staging']],
    ['environment in use (exit 5)', ['env', 'delete', 'staging', '--yes']],
    ['unknown environment for a gateway (exit 2)', ['gateway', 'register', 'edge-2', '--control-plane-url', 'SIM:gw-2', '--env', 'nowhere']],
    ['unreachable gateway (exit 1)', ['gateway', 'register', 'edge-3', '--control-plane-url', 'http://127.0.0.1:9/']],
    ['bad URL (exit 2)', ['gateway', 'register', 'edge-4', '--control-plane-url', 'ftp://example']],
    ['unknown mapping (exit 1)', ['gateway', 'env', 'remove', 'edge-1', 'nowhere']],
    ['destructive without --yes off a terminal (exit 2)', ['gateway', 'delete', 'edge-1']],
    ['nothing to update (exit 2)', ['gateway', 'update', 'edge-1']],
  ])('%s: same stdout, stderr and exit code', async ([, args], { expect }) => {
    const [inProcess, viaDaemon] = await both(args.map((arg) => (arg.startsWith('SIM:') ? sim.urlOf(arg.slice(4)) : arg)));
    // Ages in a table ("CHECKED 2s", "AGE 3m") move on between the two runs.
    const steady = (r: CliResult) => ({ ...r, stdout: r.stdout.replace(/(^|\t)\d+[smhd](?=\t|$)/gm, '$1AGE') });
    expect(steady(viaDaemon)).toEqual(steady(inProcess));
  });

  it('writes print the same, apart from the new resource’s own name, uuid and times', async () => {
    const [a, b] = await Promise.all([
      local(['env', 'create', 'made-locally', '--description', 'same', '-o', 'json']),
      remote(['env', 'create', 'made-remotely', '--description', 'same', '-o', 'json']),
    ]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const normal = (text: string) =>
      text
        .replace(/made-(locally|remotely)/g, 'NAME')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME');
    expect(normal(b.stdout)).toBe(normal(a.stdout));
    expect(b.stderr).toBe(a.stderr);

    const [upA, upB] = await Promise.all([
      local(['env', 'update', 'made-locally', '--display-name', 'Changed']),
      remote(['env', 'update', 'made-remotely', '--display-name', 'Changed']),
    ]);
    expect(normal(upB.stdout)).toBe(normal(upA.stdout));
    const [delA, delB] = await Promise.all([local(['env', 'delete', 'made-locally', '--yes']), remote(['env', 'delete', 'made-remotely', '--yes'])]);
    expect([delA.exitCode, delB.exitCode]).toEqual([0, 0]);
    expect(normal(delB.stderr)).toBe(normal(delA.stderr));
  });
});
