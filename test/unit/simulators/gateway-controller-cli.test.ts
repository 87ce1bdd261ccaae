import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/domain/errors.js';
import { runGatewaySimulator, startGatewaySimulator } from '../../../src/simulators/gateway-controller/index.js';
import type { GatewaySimCliOptions } from '../../../src/simulators/gateway-controller/index.js';

interface Running {
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<void>;
  done: Promise<void>;
}

function start(options: GatewaySimCliOptions): Running {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const controller = new AbortController();
  const done = runGatewaySimulator(options, { stdout: out, stderr: err, signal: controller.signal });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      controller.abort();
      await done;
    },
    done,
  };
}

/** The management and admin base URLs the simulator announced. */
async function listening(run: Running): Promise<{ base: string; admin: string }> {
  for (let i = 0; i < 200; i += 1) {
    const match = /^gateway-sim listening on (http:\/\/\S+) \(management API\); admin API on (http:\/\/\S+)$/m.exec(run.stderr());
    if (match?.[1] !== undefined && match[2] !== undefined) return { base: match[1], admin: match[2] };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`simulator did not announce itself: ${run.stderr()}`);
}

describe('agentgw dev gateway-sim (runGatewaySimulator)', () => {
  it('prints NAME<TAB>URL per gateway on stdout, announces itself on stderr, serves until stopped', async () => {
    const sigtermListeners = process.listenerCount('SIGTERM');
    const run = start({ port: '0', count: '3', username: 'admin', password: 'pw', latency: 20 });
    const { base, admin } = await listening(run);
    expect(Number(new URL(admin).port)).toBe(Number(new URL(base).port) + 2);
    expect(run.stdout()).toBe(['gw-1', 'gw-2', 'gw-3'].map((n) => `${n}\t${base}/gateways/${n}\n`).join(''));
    expect(process.listenerCount('SIGTERM')).toBe(sigtermListeners + 1);
    expect(process.listenerCount('SIGINT')).toBeGreaterThan(0);

    const started = performance.now();
    expect((await fetch(`${admin}/gateways/gw-2/api/admin/v1/health`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect((await fetch(`${base}/gateways/gw-2/api/admin/v1/health`)).status).toBe(404);
    expect((await fetch(`${base}/gateways/gw-2/api/management/v1/rest-apis`)).status).toBe(401);
    const authorization = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
    expect((await fetch(`${base}/gateways/gw-3/api/management/v1/rest-apis`, { headers: { authorization } })).status).toBe(200);

    await run.stop();
    expect(process.listenerCount('SIGTERM')).toBe(sigtermListeners);
    await expect(fetch(`${admin}/gateways/gw-1/health`)).rejects.toThrow();
    await expect(fetch(`${base}/gateways/gw-1/api/management/v1/rest-apis`)).rejects.toThrow();
  });

  it('serves named legacy gateways, or one gateway at the root with --single', async () => {
    const named = start({ port: 0, names: ['edge-a', 'edge-b'], legacy: true });
    const { base } = await listening(named);
    expect(run2lines(named.stdout())).toEqual([
      ['edge-a', `${base}/gateways/edge-a`],
      ['edge-b', `${base}/gateways/edge-b`],
    ]);
    expect((await fetch(`${base}/gateways/edge-b/apis`)).status).toBe(200);
    expect((await fetch(`${base}/gateways/edge-b/health`)).status).toBe(200);
    await named.stop();

    const single = start({ port: 0, single: true });
    const { base: root, admin } = await listening(single);
    expect(single.stdout()).toBe(`gw-1\t${root}\n`);
    expect((await fetch(`${admin}/api/admin/v1/health`)).status).toBe(200);
    expect((await fetch(`${root}/api/admin/v1/health`)).status).toBe(404);
    expect((await fetch(`${root}/health`)).status).toBe(404);
    await single.stop();
  });

  it('serves the admin API on --admin-port when given', async () => {
    const probe = await startGatewaySimulator({});
    const free = probe.adminPort;
    await probe.close();
    const run = start({ port: 0, single: true, adminPort: String(free) });
    const { admin } = await listening(run);
    expect(admin).toBe(`http://127.0.0.1:${free}`);
    expect((await fetch(`${admin}/api/admin/v1/health`)).status).toBe(200);
    await run.stop();
  });

  it.each<[GatewaySimCliOptions, RegExp]>([
    [{ port: 0, count: 0 }, /--count/],
    [{ port: 0, count: 'many' }, /--count/],
    [{ port: 70000 }, /--port/],
    [{ port: 0, adminPort: 'nine' }, /--admin-port/],
    [{ port: 65535 }, /admin port would be 65537/],
    [{ port: 0, username: 'admin' }, /--username and --password/],
    [{ port: 0, single: true, count: 2 }, /--single/],
    [{ port: 0, names: ['a', 'a'] }, /unique/],
    [{ port: 0, names: ['bad name'] }, /invalid gateway name/],
    [{ port: 0, latency: -5 }, /--latency/],
  ])('refuses %o as a usage error', async (options, message) => {
    const run = start(options);
    await expect(run.done).rejects.toThrow(message);
    await expect(run.done).rejects.toBeInstanceOf(UsageError);
  });

  it('reports a port already in use, management or admin, as a usage error naming it, with a hint', async () => {
    const taken = await startGatewaySimulator({});
    try {
      const run = start({ port: taken.port });
      await expect(run.done).rejects.toMatchObject({ exitCode: 2, message: `port ${taken.port} on 127.0.0.1 is already in use`, hint: expect.stringContaining('--port 0') });
      const admin = start({ port: 0, adminPort: taken.adminPort });
      await expect(admin.done).rejects.toMatchObject({ exitCode: 2, message: `port ${taken.adminPort} on 127.0.0.1 is already in use` });
    } finally {
      await taken.close();
    }
  });
});

function run2lines(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.split('\t'));
}
