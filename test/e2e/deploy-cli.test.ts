/**
 * The deployment commands of the built CLI, run as a user would (no TTY, NO_COLOR) against a
 * simulator process: apply, deploy (dry run, progress, table, exit codes), deployments and the
 * matrix, diff --exit-code, gateway delete --drain — locally, and through a daemon with the same
 * output and exit codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { SECRET_KEY } from '../support/harness.js';

const EXAMPLES = join(process.cwd(), 'test/unit/simulators/fixtures/gateway-controller-examples');
const PROVIDER = 'LlmProvider/openai-provider';

let sim: SimulatorProcess;
const faults = async (name: string, body: Record<string, unknown>) => {
  const response = await fetch(`${sim.baseUrl}/__sim/gateways/${name}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.ok).toBe(true);
};
const held = async (name: string) =>
  ((await (await fetch(`${sim.urls.get(name)}/api/management/v1/llm-providers`)).json()) as { providers: Array<{ metadata: { name: string } }> }).providers.map(
    (p) => p.metadata.name,
  );

beforeAll(async () => {
  sim = await startSimulatorProcess(['--count', '4']);
});
afterAll(async () => {
  await sim?.stop();
});

describe('deploying with the CLI (local SQLite)', () => {
  let cli: CliEnvironment;
  beforeAll(async () => {
    cli = cliEnvironment({ AGENTGW_SECRET_KEY: SECRET_KEY });
    expect((await cli.run(['env', 'create', 'staging'])).exitCode).toBe(0);
    for (const name of ['gw-1', 'gw-2', 'gw-3']) {
      expect((await cli.run(['gateway', 'register', name, '--control-plane-url', sim.urls.get(name)!, '--env', 'staging'])).exitCode).toBe(0);
    }
  });

  it('applies manifests from files and standard input, and says what it did', async () => {
    const applied = await cli.run(['apply', '-f', join(EXAMPLES, 'openai-template.yaml'), '-f', join(EXAMPLES, 'openai-provider.yaml')]);
    expect(applied.exitCode).toBe(0);
    expect(applied.stdout).toBe(`LlmProviderTemplate/openai\t1\tcreated\n${PROVIDER}\t1\tcreated\n`);
    expect(applied.stderr).toBe('2 resource(s): 2 created, 0 updated, 0 unchanged\n');
    const again = await cli.run(['apply', '-f', '-', '-o', 'json'], { input: readFileSync(join(EXAMPLES, 'openai-provider.yaml'), 'utf8') });
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout).resources[0]).toMatchObject({ kind: 'LlmProvider', name: 'openai-provider', revision: 1, action: 'unchanged' });
  });

  it('refuses bad manifests naming file, document and field, and stores nothing', async () => {
    const before = (await cli.run(['resource', 'list', '-o', 'json'])).stdout;
    const input = `${readFileSync(join(EXAMPLES, 'mcp-proxy.yaml'), 'utf8')}\n---\napiVersion: gateway.api-platform.wso2.com/v1\nkind: LlmProxy\nmetadata: {name: broken}\nspec: {displayName: Broken, version: v1.0}\n`;
    const refused = await cli.run(['apply', '-f', '-'], { input });
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('error: invalid manifest\n  stdin#2: spec.provider: is required');
    expect((await cli.run(['resource', 'list', '-o', 'json'])).stdout).toBe(before);
    const notYaml = await cli.run(['apply', '-f', '-'], { input: 'kind: [unclosed' });
    expect(notYaml.exitCode).toBe(2);
    expect(notYaml.stderr).toMatch(/^error: stdin: not valid YAML or JSON/);
    const missing = await cli.run(['apply', '-f', 'nope.yaml']);
    expect(missing).toMatchObject({ exitCode: 2, stderr: 'error: -f nope.yaml: no such file\n' });
  });

  it('plans with --dry-run, deploys with progress on stderr and a table on stdout, exit 1 when a gateway failed', async () => {
    await faults('gw-3', { down: true });
    const plan = await cli.run(['deploy', PROVIDER, '--env', 'staging', '--dry-run']);
    expect(plan.exitCode).toBe(1);
    expect(plan.stdout.split('\n')[0]).toBe('gw-1\tcreate\t-\t1\tok');
    expect(plan.stdout).toMatch(/gw-3\tcreate\t-\t1\tunreachable: gw-3: /);
    expect(plan.stderr).toContain('error: 1 of 3 gateway(s) could not be reached');
    expect(await held('gw-1')).toEqual([]);

    const deployed = await cli.run(['deploy', PROVIDER, '--env', 'staging', '--concurrency', '2']);
    expect(deployed.exitCode).toBe(1);
    expect(deployed.stdout.split('\n').slice(0, 2)).toEqual(['gw-1\tcreate\tDEPLOYED\t1\tok', 'gw-2\tcreate\tDEPLOYED\t1\tok']);
    expect(deployed.stdout).toMatch(/^gw-3\tcreate\tFAILED\t1\tgw-3: /m);
    expect(deployed.stderr).toMatch(/^\[\d\/3\] gw-3 FAILED: /m);
    expect(deployed.stderr).toContain('deployed LlmProvider/openai-provider (revision 1) to environment staging: 2 changed, 0 unchanged, 0 skipped, 1 failed');
    expect(deployed.stderr).toContain('error: 1 of 3 gateway(s) failed\nhint: fix them and run the same command again');

    await faults('gw-3', { down: null });
    const converged = await cli.run(['deploy', 'openai-provider', '--env', 'staging', '-o', 'json']);
    expect(converged.exitCode).toBe(0);
    const report = JSON.parse(converged.stdout);
    expect(report.summary).toEqual({ total: 3, changed: 1, unchanged: 2, skipped: 0, failed: 0 });
    expect(await held('gw-3')).toEqual(['openai-provider']);
  });

  it('lists what runs where, as a list and as a matrix', async () => {
    const listed = await cli.run(['deployments', '--env', 'staging']);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean).map((line) => line.split('\t').slice(0, 4))).toEqual([
      [PROVIDER, 'gw-1', 'DEPLOYED', '1'],
      [PROVIDER, 'gw-2', 'DEPLOYED', '1'],
      [PROVIDER, 'gw-3', 'DEPLOYED', '1'],
    ]);
    expect((await cli.run(['deployments', '--gateway', 'gw-2', '-o', 'name'])).stdout).toBe(`${PROVIDER}@gw-2\n`);
    const matrix = await cli.run(['deployments', '--matrix', '--env', 'staging']);
    expect(matrix.stdout).toBe('gw-1\tr1\ngw-2\tr1\ngw-3\tr1\n');
    const json = JSON.parse((await cli.run(['deployments', '--matrix', '--env', 'staging', '-o', 'json'])).stdout);
    expect(json.resources[0].cells['gw-1']).toEqual({ status: 'DEPLOYED', revision: 1, deployedRevision: 1, current: true });
    expect((await cli.run(['deployments', '--matrix'])).exitCode).toBe(2);
  });

  it('diff --exit-code: 0 in sync, 2 on drift', async () => {
    const clean = await cli.run(['diff', '--env', 'staging', '--exit-code']);
    expect(clean).toMatchObject({ exitCode: 0, stdout: '', stderr: 'environment staging is in sync (3 gateway(s) checked)\n' });
    await fetch(`${sim.urls.get('gw-2')}/api/management/v1/llm-providers/openai-provider`, { method: 'DELETE' });
    const drifted = await cli.run(['diff', '--env', 'staging', '--exit-code']);
    expect(drifted.exitCode).toBe(2);
    expect(drifted.stdout).toBe(`gw-2\tmissing\t${PROVIDER}\tnot on the gateway (recorded DEPLOYED at revision 1)\n`);
    expect(drifted.stderr).toContain('drift in environment staging on 1 of 3 gateway(s): 1 missing');
    expect((await cli.run(['diff', '--env', 'staging'])).exitCode).toBe(0);
    expect((await cli.run(['deploy', PROVIDER, '--env', 'staging'])).exitCode).toBe(0);
  });

  it('gateway delete refuses with exit 5 while deployed; --drain undeploys, then deletes', async () => {
    const refused = await cli.run(['gateway', 'delete', 'gw-1', '--yes']);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain(`error: gateway "gw-1" has 1 active deployment(s): ${PROVIDER}@gw-1 (DEPLOYED)`);
    expect(refused.stderr).toContain('--drain');
    const drained = await cli.run(['gateway', 'delete', 'gw-1', '--drain', '--yes']);
    expect(drained).toMatchObject({ exitCode: 0, stderr: 'gateway "gw-1" drained and deleted\n' });
    expect(await held('gw-1')).toEqual([]);
    expect((await cli.run(['resource', 'delete', PROVIDER, '--yes'])).exitCode).toBe(5);
    const undeployed = await cli.run(['undeploy', PROVIDER, '--env', 'staging']);
    expect(undeployed.exitCode).toBe(0);
    expect(undeployed.stdout).toBe('gw-2\tremove\tUNDEPLOYED\t1\tok\ngw-3\tremove\tUNDEPLOYED\t1\tok\n');
    expect((await cli.run(['resource', 'delete', PROVIDER, '--yes'])).exitCode).toBe(0);
  });

  it('ends every new command’s help with examples', async () => {
    for (const command of [['apply'], ['deploy'], ['undeploy'], ['deployments'], ['diff'], ['resource', 'list']]) {
      const help = await cli.run([...command, '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout.trimEnd()).toMatch(/\nExamples:(\n {2}\$ (cat .+ \| )?agentgw .+)+$/);
    }
  });
});

describe('deploying through a daemon (--server)', () => {
  let cli: CliEnvironment;
  let daemon: ResultPromise;
  let server: string;

  beforeAll(async () => {
    cli = cliEnvironment({ AGENTGW_SECRET_KEY: SECRET_KEY });
    daemon = execa(process.execPath, [BIN, 'serve', '--port', '0', '--no-monitor'], { env: cli.env, extendEnv: false, reject: false });
    server = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      daemon.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      void daemon.then(() => reject(new Error(`serve exited: ${stderr}`)));
    });
    const remote = (args: string[]) => cli.run(['--server', server, ...args]);
    expect((await remote(['env', 'create', 'edge'])).exitCode).toBe(0);
    expect((await remote(['gateway', 'register', 'gw-4', '--control-plane-url', sim.urls.get('gw-4')!, '--env', 'edge'])).exitCode).toBe(0);
    expect((await remote(['apply', '-f', join(EXAMPLES, 'openai-provider.yaml')])).exitCode).toBe(0);
  });
  afterAll(async () => {
    daemon?.kill('SIGTERM');
    await daemon;
  });

  it('prints the same table and exits the same way', async () => {
    await faults('gw-4', { down: true });
    const failed = await cli.run(['--server', server, 'deploy', PROVIDER, '--env', 'edge']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(/^gw-4\tcreate\tFAILED\t1\tgw-4: /);
    expect(failed.stderr).toContain('error: 1 of 1 gateway(s) failed');
    await faults('gw-4', { down: null });
    const ok = await cli.run(['--server', server, 'deploy', PROVIDER, '--env', 'edge']);
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'gw-4\tcreate\tDEPLOYED\t1\tok\n' });
    const refused = await cli.run(['--server', server, 'gateway', 'delete', 'gw-4', '--yes']);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain(`${PROVIDER}@gw-4 (DEPLOYED)`);
    expect((await cli.run(['--server', server, 'gateway', 'delete', 'gw-4', '--yes', '--drain'])).exitCode).toBe(0);
    expect(await held('gw-4')).toEqual([]);
  });
});
