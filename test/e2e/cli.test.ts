/**
 * The built CLI, run as a user would run it (no TTY, NO_COLOR), against a simulator process on
 * a random loopback port: output formats, exit codes, error messages, and that a rejected
 * command leaves the stored data as it was.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await startSimulatorProcess(['--count', '4']);
});
afterAll(async () => {
  await sim?.stop();
});

const url = (name: string) => sim.urls.get(name)!;

describe('the embedded default (SQLite in the data dir)', () => {
  let cli: CliEnvironment;
  beforeAll(() => {
    cli = cliEnvironment();
  });

  it('prints the package version for --version and -v, and commander still answers it beside other flags', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const args of [['--version'], ['-v'], ['--no-color', '--version']]) {
      expect(await cli.run(args)).toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('loads Ink (and its layout engine, the only WebAssembly it has) for the dashboard only', async () => {
    const probe = { NODE_OPTIONS: `--require ${resolve('test/support/wasm-probe.cjs')}` };
    for (const args of [['--version'], ['env', 'list'], ['gateway', 'list', '-o', 'json'], ['gateway', 'list', '--help']]) {
      const { exitCode, stderr } = await cli.run(args, { env: probe });
      expect(exitCode, args.join(' ')).toBe(0);
      expect(stderr, args.join(' ')).toBe('wasm modules compiled: 0\n');
    }
    const dashboard = await cli.run(['dashboard'], { env: { ...probe, AGENTGW_DASHBOARD_FIRST_FRAME_EXIT: '1' } });
    expect(dashboard.exitCode).toBe(0);
    expect(dashboard.stderr).toBe('wasm modules compiled: 1\n');
  });

  it('registers a gateway exactly as the README shows, and lists it ACTIVE', async () => {
    const registered = await cli.run(['gateway', 'register', 'prod-gw-1', '--control-plane-url', url('gw-1'), '--type', 'EGRESS', '--env', 'production']);
    // Where health was found from the management URL alone is said, on stderr.
    expect(registered.stderr).toMatch(/^gateway "prod-gw-1": health found at http:\/\/127\.0\.0\.1:\d+\/gateways\/gw-1\/api\/admin\/v1\/health \(pass --admin-url to choose another\)\n$/);
    expect(registered.exitCode).toBe(0);
    expect(registered.stdout).toContain('prod-gw-1');
    const listed = await cli.run(['gateway', 'list', '--env', 'production', '--type', 'EGRESS', '--status', 'ACTIVE']);
    expect(listed.exitCode).toBe(0);
    const [row] = listed.stdout.trim().split('\n');
    expect(row!.split('\t').slice(0, 5)).toEqual(['prod-gw-1', 'EGRESS', 'ACTIVE', expect.stringMatching(/^\d+s$/), 'production']);
  });

  it('prints the seed’s resource with -o json and names with -o name', async () => {
    const json = await cli.run(['gateway', 'list', '-o', 'json']);
    const body = JSON.parse(json.stdout) as { gateways: Array<Record<string, unknown>> };
    expect(body.gateways[0]).toMatchObject({ name: 'prod-gw-1', type: 'EGRESS', status: 'ACTIVE', environments: [expect.objectContaining({ name: 'production' })] });
    expect((await cli.run(['gateway', 'list', '-o', 'name'])).stdout).toBe('prod-gw-1\n');
    const yaml = await cli.run(['gateway', 'get', 'prod-gw-1', '-o', 'yaml']);
    expect(yaml.stdout).toContain('name: prod-gw-1');
  });

  it('exits 5 on a duplicate name, and changes nothing', async () => {
    const before = (await cli.run(['gateway', 'list', '-o', 'json'])).stdout;
    const duplicate = await cli.run(['gateway', 'register', 'prod-gw-1', '--control-plane-url', url('gw-2'), '--env', 'production']);
    expect(duplicate.exitCode).toBe(5);
    expect(duplicate.stderr).toContain('gateway "prod-gw-1" already exists');
    expect((await cli.run(['gateway', 'list', '-o', 'json'])).stdout).toBe(before);
  });

  it.each([
    ['a name with spaces', ['gateway', 'register', 'my gw', '--control-plane-url', 'http://127.0.0.1:1'], 2, 'may contain only lower-case'],
    ['an upper-case name', ['env', 'create', 'Staging'], 2, 'may contain only lower-case'],
    ['an over-long displayName', ['env', 'create', 'qa', '--display-name', 'x'.repeat(129)], 2, 'at most 128 characters'],
    ['a non-http scheme', ['gateway', 'register', 'gw-x', '--control-plane-url', 'ftp://gw/'], 2, 'scheme "ftp" is not allowed'],
    ['a malformed URL', ['gateway', 'register', 'gw-x', '--control-plane-url', 'not a url'], 2, 'is not a valid URL'],
    ['an unknown environment', ['gateway', 'register', 'gw-x', '--control-plane-url', 'http://127.0.0.1:1', '--env', 'nowhere'], 2, 'environment "nowhere" does not exist'],
    ['an unknown type', ['gateway', 'list', '--type', 'SIDEWAYS'], 2, 'is not a gateway type'],
  ])('exits 2 on %s, with a clear message and no stack trace', async (_label, args, code, message) => {
    const before = (await cli.run(['gateway', 'list', '-o', 'json'])).stdout;
    const result = await cli.run(args);
    expect(result.exitCode).toBe(code);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect((await cli.run(['gateway', 'list', '-o', 'json'])).stdout).toBe(before);
  });

  it('names the URL and the cause when the control plane is unreachable', async () => {
    const result = await cli.run(['gateway', 'register', 'gw-x', '--control-plane-url', 'http://127.0.0.1:9', '--env', 'production']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('http://127.0.0.1:9');
    expect(result.stderr).toContain('connection refused');
    expect((await cli.run(['gateway', 'list', '-o', 'name'])).stdout).toBe('prod-gw-1\n');
  });

  it('refuses to delete an environment with gateways (exit 5, listing them) unless --force', async () => {
    expect((await cli.run(['env', 'create', 'staging'])).exitCode).toBe(0);
    expect((await cli.run(['gateway', 'env', 'add', 'prod-gw-1', 'staging'])).exitCode).toBe(0);
    const refused = await cli.run(['env', 'delete', 'staging', '--yes']);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain('prod-gw-1');
    expect((await cli.run(['env', 'gateways', 'staging', '-o', 'name'])).stdout).toBe('prod-gw-1\n');
    const forced = await cli.run(['env', 'delete', 'staging', '--force', '--yes']);
    expect(forced.exitCode).toBe(0);
    expect((await cli.run(['gateway', 'env', 'list', 'prod-gw-1', '-o', 'name'])).stdout).toBe('production\n');
  });

  it('asks for --yes before deleting when not on a terminal', async () => {
    const result = await cli.run(['gateway', 'delete', 'prod-gw-1']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect((await cli.run(['gateway', 'list', '-o', 'name'])).stdout).toBe('prod-gw-1\n');
  });

  it('reads a password from stdin and never prints it', async () => {
    const secret = 'stdin-canary-2b9f41';
    const result = await cli.run(['gateway', 'update', 'prod-gw-1', '--username', 'admin', '--password-stdin', '-o', 'json'], { input: `${secret}\n` });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('"password": {\n');
    expect(result.stdout + result.stderr).not.toContain(secret);
    const shown = await cli.run(['gateway', 'get', 'prod-gw-1', '-o', 'yaml']);
    expect(shown.stdout).not.toContain(secret);
  });

  it('stops with exit 2 on an invalid config file, naming the file, the key and what was expected', async () => {
    const file = join(cli.env.HOME!, 'agentgw.config.yaml');
    writeFileSync(file, 'gateway:\n  adapter:\n    onPremise:\n      healthCheck:\n        interval: soon\n');
    const result = await cli.run(['gateway', 'list'], { cwd: cli.env.HOME! });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('gateway.adapter.onPremise.healthCheck.interval');
    expect(result.stderr).toContain('a duration like');
    writeFileSync(file, 'gateway:\n  adaptor: {}\n');
    const typo = await cli.run(['gateway', 'list'], { cwd: cli.env.HOME! });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('gateway.adaptor: unknown key');
    writeFileSync(file, 'database:\n  url: ${AGENTGW_TEST_UNSET_VARIABLE}\n');
    const missing = await cli.run(['gateway', 'list'], { cwd: cli.env.HOME! });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('AGENTGW_TEST_UNSET_VARIABLE is not set');
    rmSync(file);
  });

  it('exits 3 naming the host when the database cannot be reached, without a stack trace', async () => {
    const result = await cli.run(['gateway', 'list', '--database', 'postgres://postgres:hunter2@127.0.0.1:1/agentgw']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('127.0.0.1:1');
    expect(result.stderr).toContain('connection refused');
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('shows the effective config with origins and secrets redacted', async () => {
    const result = await cli.run(['config', 'show', '-o', 'json'], { env: { AGENTGW_SECRET_KEY: 'c2VjcmV0LWtleS1jYW5hcnk=' } });
    expect(result.exitCode).toBe(0);
    const shown = JSON.parse(result.stdout) as { values: Array<{ key: string; value: unknown; origin: string }> };
    const key = shown.values.find((v) => v.key === 'secrets.key')!;
    expect(key).toEqual({ key: 'secrets.key', value: '<redacted>', origin: 'env AGENTGW_SECRET_KEY' });
    expect(result.stdout).not.toContain('c2VjcmV0LWtleS1jYW5hcnk=');
    expect(shown.values.find((v) => v.key === 'gateway.adapter.onPremise.healthCheck.interval')).toEqual({
      key: 'gateway.adapter.onPremise.healthCheck.interval',
      value: 30000,
      origin: 'default',
    });
  });

  it('documents the exit codes, and completes commands for bash, zsh and fish', async () => {
    const codes = await cli.run(['help', 'exit-codes']);
    expect(codes.exitCode).toBe(0);
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '8', '130']) expect(codes.stdout).toMatch(new RegExp(`^\\s+${code}  `, 'm'));
    // The scripts ask the command tree itself (agentgw __complete), as gh's and kubectl's do.
    for (const shell of ['bash', 'zsh', 'fish']) {
      const script = await cli.run(['completion', shell]);
      expect(script.exitCode).toBe(0);
      expect(script.stdout).toContain('agentgw __complete');
    }
    expect((await cli.run(['__complete', 'gateway', 're'])).stdout).toBe('register\n');
    expect((await cli.run(['__complete', 'gateway', 'register', 'gw', '--control'])).stdout).toBe('--control-plane-url\n');
    expect((await cli.run(['completion', 'tcsh'])).exitCode).toBe(2);
    expect((await cli.run(['completion', 'tcsh'])).exitCode).toBe(2);
  });

  it('ends every command’s help with examples', async () => {
    for (const command of [['gateway', 'register'], ['gateway', 'list'], ['env', 'create'], ['migrate', 'up']]) {
      const help = await cli.run([...command, '--help']);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(/Examples:\n\s+\$ agentgw /);
    }
  });
});

describe('PostgreSQL, chosen with --database', () => {
  let cli: CliEnvironment;
  let schema: TestSchema;
  beforeAll(() => {
    cli = cliEnvironment();
    schema = createTestSchema('e2e');
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('refuses to run on an unmigrated database, then works after migrate up', async () => {
    const before = await cli.run(['gateway', 'list', '--database', schema.url]);
    expect(before.exitCode).toBe(1);
    expect(before.stderr).toContain('pending migration');
    expect(before.stderr).toContain('agentgw migrate up');
    const up = await cli.run(['migrate', 'up', '--database', schema.url]);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toContain('applied 000_base');
    const again = await cli.run(['migrate', 'up', '--database', schema.url]);
    expect(again.stdout).toContain('up to date');
    const status = await cli.run(['migrate', 'status', '--database', schema.url, '-o', 'json']);
    expect((JSON.parse(status.stdout) as { migrations: Array<{ appliedAt: string | null }> }).migrations.every((m) => m.appliedAt !== null)).toBe(true);
    const registered = await cli.run(['gateway', 'register', 'pg-gw', '--control-plane-url', url('gw-3'), '--env', 'production', '--database', schema.url]);
    expect(registered.exitCode).toBe(0);
    const listed = await cli.run(['gateway', 'list', '--env', 'production', '--type', 'EGRESS', '--status', 'ACTIVE', '-o', 'name', '--database', schema.url]);
    expect(listed.stdout).toBe('pg-gw\n');
  });
});
