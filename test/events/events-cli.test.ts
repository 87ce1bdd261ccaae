/**
 * `agentgw events` and `agentgw audit` as a user runs them: the built CLI, in-process on SQLite
 * and against a real daemon on PostgreSQL. Following while piped prints one JSON event per line
 * as changes happen in another process, and Ctrl-C ends it with exit 130.
 */
import { userInfo } from 'node:os';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import { BIN, cliEnvironment, type CliEnvironment } from '../support/cli.js';
import { testConfig } from '../support/harness.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

describe.each(['local', 'remote'] as const)('agentgw events (%s)', (mode) => {
  let cli: CliEnvironment;
  let daemon: Daemon | undefined;
  let schema: TestSchema | undefined;
  let args: string[] = [];

  beforeAll(async () => {
    cli = cliEnvironment();
    if (mode === 'remote') {
      schema = createTestSchema('eventscli');
      daemon = await startDaemon({ config: await testConfig(schema.url), port: 0, logger: false });
      args = ['--server', daemon.url];
    }
  });
  afterAll(async () => {
    await daemon?.close();
    await schema?.drop();
  });

  const actor = mode === 'local' ? `local:${userInfo().username}` : 'anonymous';

  it('lists changes with their actor, as JSON and as tab-separated lines', async () => {
    expect((await cli.run([...args, 'env', 'create', 'staging'])).exitCode).toBe(0);
    expect((await cli.run([...args, 'env', 'delete', 'staging', '--yes'])).exitCode).toBe(0);
    const json = await cli.run([...args, 'events', '-o', 'json']);
    expect(json.exitCode).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document.events.map((e: any) => e.type)).toEqual(expect.arrayContaining(['environment.created', 'environment.deleted']));
    expect(document.events.at(-1)).toMatchObject({ type: 'environment.deleted', actor, subject: { kind: 'environment', name: 'staging' } });

    const audit = await cli.run([...args, 'audit', '--type', 'environment.deleted']);
    expect(audit.exitCode).toBe(0);
    const lines = audit.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\t').slice(1, 4)).toEqual(['environment.deleted', 'environment/staging', actor]);

    const bad = await cli.run([...args, 'events', '--type', 'gateway.exploded']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/"gateway.exploded" is not an event type/);
    const unknown = await cli.run([...args, 'events', '--gateway', 'nowhere']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/gateway "nowhere" not found/);
  });

  it('follows piped: one JSON event per line as it happens, until Ctrl-C (exit 130)', async () => {
    // From now: what the previous test created is not part of what this one follows.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const from = new Date().toISOString();
    const follower = execa(process.execPath, [BIN, ...args, 'events', '--follow', '--type', 'environment.created', '--since', from], {
      env: cli.env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    const lines: any[] = [];
    let buffer = '';
    const arrived = new Promise<void>((resolve) => {
      follower.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let end: number;
        while ((end = buffer.indexOf('\n')) !== -1) {
          lines.push(JSON.parse(buffer.slice(0, end)));
          buffer = buffer.slice(end + 1);
          if (lines.some((e) => e.subject.name === 'followed-2')) resolve();
        }
      });
    });
    // Give the follower time to start reading before the changes it must see are made.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const name of ['followed-1', 'followed-2']) expect((await cli.run([...args, 'env', 'create', name])).exitCode).toBe(0);
    await arrived;
    follower.kill('SIGINT');
    const result = await follower;
    expect(result.exitCode).toBe(130);
    expect(lines.map((e) => e.subject.name)).toEqual(['followed-1', 'followed-2']);
    expect(lines[0]).toMatchObject({ type: 'environment.created', actor });
  });

  it('manages webhooks: the secret goes in once and never comes out', async () => {
    const secret = 'whsec_from_stdin_0123456789';
    const created = await cli.run([...args, 'webhook', 'create', 'pager', '--url', 'https://hooks.example.com/in', '--events', 'gateway.status_changed,deployment.failed', '--secret-stdin'], { input: secret });
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toBe('');
    const generated = await cli.run([...args, 'webhook', 'create', 'siem', '--url', 'https://siem.example.com/in', '--events', 'token.created']);
    expect(generated.exitCode).toBe(0);
    expect(generated.stdout).toMatch(/^whsec_\S{20,}\n$/);
    const list = await cli.run([...args, 'webhook', 'list']);
    expect(list.stdout.split('\n')[0]!.split('\t').slice(0, 3)).toEqual(['pager', 'https://hooks.example.com/in', 'gateway.status_changed,deployment.failed']);
    const json = await cli.run([...args, 'webhook', 'get', 'pager', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'pager', events: ['gateway.status_changed', 'deployment.failed'] });
    for (const output of [list.stdout, json.stdout]) expect(output).not.toContain(secret);
    const bad = await cli.run([...args, 'webhook', 'create', 'bad', '--url', 'file:///etc/passwd', '--events', 'token.created']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/url/);
    expect((await cli.run([...args, 'webhook', 'deliveries', 'pager'])).exitCode).toBe(0);
    expect((await cli.run([...args, 'webhook', 'delete', 'pager', '--yes'])).exitCode).toBe(0);
    expect((await cli.run([...args, 'webhook', 'get', 'pager'])).exitCode).toBe(1);
  });
});
