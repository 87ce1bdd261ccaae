/**
 * The examples run as their comments say: the commands in each config file's comment, run by
 * bash from the repository root with the built CLI as `agentgw`, and the CI script against a
 * real daemon, PostgreSQL and simulated gateways of a staging and a production environment.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/services/tokens.js';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { startTestDaemon, type TestDaemon } from '../daemon/support.js';
import { BIN, cliEnvironment } from '../support/cli.js';
import { createTestSchema } from '../support/postgres.js';
import { SECRET_KEY } from '../support/harness.js';

const ROOT = resolve('.');
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A directory holding an `agentgw` that runs the built CLI, for scripts that call it by name. */
function shimDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-shim-'));
  dirs.push(dir);
  const shim = join(dir, 'agentgw');
  writeFileSync(shim, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

/**
 * The commands of a file's leading comment: its lines indented by three spaces after `#`. An
 * `export` line setting only variables in `given` is left out: the test's values stand in for
 * the site-specific ones it shows.
 */
function commentedCommands(file: string, given: Record<string, string> = {}): string {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const header = lines.slice(0, lines.findIndex((line) => !line.startsWith('#')));
  const commands = header.filter((line) => line.startsWith('#   ')).map((line) => line.slice(4));
  expect(commands.length, `${file} shows no commands`).toBeGreaterThan(0);
  return commands
    .filter((command) => {
      if (!command.startsWith('export ')) return true;
      const names = [...command.matchAll(/(?:^export|\s)(\w+)=/g)].map((match) => match[1]!);
      return !names.every((name) => name in given);
    })
    .join('\n');
}

async function runCommented(file: string, env: Record<string, string>) {
  const script = ['set -euo pipefail', "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT", commentedCommands(file, env)].join('\n');
  const result = await execa('bash', ['-c', script], { cwd: ROOT, env: { ...env, PATH: `${shimDir()}:${process.env.PATH ?? ''}` }, extendEnv: false, reject: false, timeout: 60_000 });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('examples/config', () => {
  it('custom.yaml: a custom adapter module, found next to the config file', async () => {
    const result = await runCommented('examples/config/custom.yaml', cliEnvironment().env);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Adapter:\s+custom$/m);
    expect(result.stdout).toMatch(/^Status:\s+ACTIVE$/m);
    expect(result.stdout).toMatch(/^static-1\tEGRESS\tACTIVE\t\d+s\tproduction\tstatic:\/\/static-1\t\d+s$/m);
  });

  it('cloud.yaml: a gateway provisioned by the simulated provider, waited for until ACTIVE', async () => {
    const result = await runCommented('examples/config/cloud.yaml', cliEnvironment().env);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Name:\s+cloud-gw-1$/m);
    expect(result.stdout).toMatch(/^Status:\s+ACTIVE/m);
    expect(result.stdout).toMatch(/^Endpoint:\s+https?:\/\/\S+$/m);
  });

  it('on-premise.yaml: the config loads, and migrates the database it names', async () => {
    const schema = createTestSchema('example');
    try {
      const result = await runCommented('examples/config/on-premise.yaml', { ...cliEnvironment().env, DATABASE_URL: schema.url, AGENTGW_SECRET_KEY: SECRET_KEY });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/server\.auth\.required\s+true/);
      expect(result.stdout).toMatch(/: applied 000_base, .*, 016_gateway_list_indexes$/m);
    } finally {
      await schema.drop();
    }
  });
});

describe('examples/ci/promote.sh', () => {
  let t: TestDaemon;
  let sim: GatewaySimulator;
  let env: Record<string, string>;
  let work: string;
  const manifests = readdirSync(join(ROOT, 'examples/resources'))
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => join(ROOT, 'examples/resources', file));
  const GATEWAYS = { 'stage-ai': ['EGRESS', 'staging'], 'stage-api': ['INGRESS', 'staging'], 'prod-ai': ['EGRESS', 'production'], 'prod-api': ['INGRESS', 'production'] } as const;

  beforeAll(async () => {
    sim = await startGatewaySimulator({ gateways: Object.keys(GATEWAYS).map((name) => ({ name })) });
    t = await startTestDaemon({ prefix: 'promote', overrides: { 'server.auth.required': true } });
    const token = (await new TokenService(t.runtime.context()).create({ name: 'ci', scope: 'write' })).token;
    env = { ...cliEnvironment().env, AGENTGW_SERVER: t.url, AGENTGW_TOKEN: token, PATH: `${shimDir()}:${process.env.PATH ?? ''}` };
    const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { env, extendEnv: false });
    await cli(['env', 'create', 'staging']);
    for (const [name, [type, environment]] of Object.entries(GATEWAYS)) {
      await cli(['gateway', 'register', name, '--control-plane-url', sim.urlOf(name), '--type', type, '--env', environment]);
    }
    work = mkdtempSync(join(tmpdir(), 'agentgw-promote-'));
    dirs.push(work);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  const promote = () => execa('bash', [join(ROOT, 'examples/ci/promote.sh'), ...manifests], { cwd: work, env, extendEnv: false, reject: false, timeout: 120_000 });

  it('stops before production when a staging gateway fails (exit 1, naming it)', async () => {
    sim.setFaults('stage-ai', { down: true });
    try {
      const result = await promote();
      expect(result.exitCode, String(result.stderr)).toBe(1);
      expect(String(result.stderr)).toMatch(/staging deploy of \S+ failed on:\n {2}stage-ai: /);
      expect(sim.resources('prod-ai')).toEqual([]);
      expect(sim.resources('prod-api')).toEqual([]);
    } finally {
      sim.setFaults('stage-ai', { down: false });
    }
  });

  it('applies, deploys to staging, finds no drift, and promotes every resource to production', async () => {
    const result = await promote();
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toContain(`promoted ${manifests.length} resource(s) to production`);
    const held = (name: string) => sim.resources(name).map((r) => `${r.kind}/${r.name}`).sort();
    expect(held('prod-ai')).toEqual(held('stage-ai'));
    expect(held('prod-api')).toEqual(held('stage-api'));
    expect(held('prod-ai').length + held('prod-api').length).toBe(manifests.length);
  });
});
