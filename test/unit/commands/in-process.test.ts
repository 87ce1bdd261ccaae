/**
 * Commands run in this process through the IO they are given (src/cli.ts main(argv, io)): what
 * they print, where, and how they end, against a real SQLite store, with no child process and
 * nothing written to this process's own stdout or stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.js';
import { REPORT_A_BUG } from '../../../src/domain/error-codes.js';
import { ExitCode } from '../../../src/domain/errors.js';
import { fakeIO } from '../../support/fake-io.js';

let home: string;
let database: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'agentgw-in-process-'));
  database = join(home, 'agentgw.sqlite');
  // Nothing of the developer's own config: the command reads the environment the IO carries.
  env = { HOME: home, AGENTGW_CONFIG_DIR: join(home, 'config'), AGENTGW_DATA_DIR: join(home, 'data'), AGENTGW_SECRET_KEY: 'k'.repeat(44) };
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

async function agentgw(args: string[], options: Parameters<typeof fakeIO>[0] = {}) {
  const fake = fakeIO({ ...options, env: { ...env, ...options.env } });
  const exitCode = await main(['node', 'agentgw', ...args], fake.io);
  return { exitCode, stdout: fake.stdout(), stderr: fake.stderr() };
}

describe('commands in process, with a fake IO', () => {
  it('env create and env list: data on stdout, tab-separated when piped', async () => {
    expect(await agentgw(['--database', `sqlite:${database}`, 'env', 'create', 'staging', '--description', 'pre-production'])).toMatchObject({ exitCode: 0, stderr: '' });
    const listed = await agentgw(['--database', `sqlite:${database}`, 'env', 'list']);
    expect(listed.exitCode).toBe(ExitCode.ok);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/^staging\tstaging\tpre-production\t\S+\n/m);
    expect(listed.stdout).not.toMatch(/^NAME/);
  });

  it('at a terminal, the same list has a header fitted to its width', async () => {
    const listed = await agentgw(['--database', `sqlite:${database}`, 'env', 'list'], { tty: true, columns: 60 });
    expect(listed.stdout).toMatch(/^NAME +DISPLAY NAME/);
    expect(Math.max(...listed.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(60);
  });

  it('an expected failure: message and next step on stderr, its exit code, nothing on stdout', async () => {
    const missing = await agentgw(['--database', `sqlite:${database}`, 'env', 'get', 'nope']);
    expect(missing).toEqual({ exitCode: ExitCode.failure, stdout: '', stderr: expect.stringMatching(/^error: environment "nope" not found\nhint: .+\n$/) });
    const usage = await agentgw(['--database', `sqlite:${database}`, 'env', 'update', 'staging']);
    expect(usage).toEqual({ exitCode: ExitCode.usage, stdout: '', stderr: 'error: nothing to update\nhint: pass --display-name or --description\n' });
  });

  it('apply reads manifests from the IO’s stdin, ${VAR} from the IO’s environment', async () => {
    const manifest = ['apiVersion: gateway.api-platform.wso2.com/v1', 'kind: LlmProviderTemplate', 'metadata:', '  name: in-process', 'spec:', '  displayName: ${TEMPLATE_TITLE}', ''].join('\n');
    expect(process.env.TEMPLATE_TITLE).toBeUndefined();
    const applied = await agentgw(['--database', `sqlite:${database}`, 'apply', '-f', '-'], { stdin: manifest, env: { TEMPLATE_TITLE: 'From the IO' } });
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stderr).toBe('1 resource(s): 1 created, 0 updated, 0 unchanged\n');
    const listed = await agentgw(['--database', `sqlite:${database}`, 'resource', 'list']);
    expect(listed.stdout).toMatch(/^LlmProviderTemplate\/in-process\t1\tFrom the IO\t/m);
  });

  it('help, completion and help topics write to the IO’s stdout', async () => {
    const help = await agentgw(['env', 'delete', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--force');
    expect(help.stdout).toMatch(/Examples:\n {2}\$ agentgw env delete staging --yes\n/);
    expect((await agentgw(['completion', 'bash'])).stdout).toContain('complete -F _agentgw agentgw');
    expect((await agentgw(['help', 'errors'])).stdout).toMatch(/^ {2}AGW_NOT_FOUND +404 +1 {2}Not found$/m);
    const candidates = await agentgw(['__complete', 'env', 'delete', 'staging', '--f']);
    expect(candidates.stdout).toBe('--force\n');
  });

  it('a bug: the message and a request for a report; the stack only with AGENTGW_DEBUG', async () => {
    const broken = join(home, 'broken.sqlite');
    expect((await agentgw(['--database', `sqlite:${broken}`, 'env', 'list'])).exitCode).toBe(0);
    const db = new BetterSqlite3(broken);
    db.exec('drop table gateway_environment_mappings');
    db.close();
    const plain = await agentgw(['--database', `sqlite:${broken}`, 'gateway', 'list']);
    expect(plain).toEqual({ exitCode: ExitCode.failure, stdout: '', stderr: `error: unexpected failure: no such table: gateway_environment_mappings\n${REPORT_A_BUG}\n` });
    const debug = await agentgw(['--database', `sqlite:${broken}`, 'gateway', 'list'], { env: { AGENTGW_DEBUG: '1' } });
    expect(debug.stderr).toMatch(/^SqliteError: no such table: gateway_environment_mappings\n {4}at /m);
    expect(debug.stderr.endsWith(`${REPORT_A_BUG}\n`)).toBe(true);
  });
});
