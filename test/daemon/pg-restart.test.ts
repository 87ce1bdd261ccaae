/**
 * PostgreSQL restarted under load: `agentgw serve` (the built CLI, a separate process) answers
 * 1,000 requests while its database restarts. It must stay up, answer only 2xx or a 503
 * problem while the database is gone, and serve again on its own once it is back.
 *
 * The restarted server is a private PostgreSQL instance made for this file (initdb into a
 * temporary directory, on a free port): restarting the machine's shared cluster would break the
 * test files running beside this one.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';
import { SECRET_KEY } from '../support/harness.js';
import { http, type HttpResult } from './support.js';

const TOTAL = 1000;
const CONCURRENCY = 4;
const AFTER = 100;

function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return version === undefined ? null : join(root, version, 'bin');
}

/**
 * A free port below the ephemeral range: while the server is down, the daemon's reconnect
 * attempts take ephemeral ports, and one of them could take the server's own port (or connect
 * to itself) and keep it from starting again.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** A throwaway PostgreSQL server, run as the postgres user (initdb refuses root). */
class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async start(bin: string): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'agentgw-pg-'));
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    const pg = new PrivatePostgres(dir, await freePort(), bin);
    await pg.asPostgres('initdb', ['-D', pg.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await pg.ctl('start');
    return pg;
  }

  get data(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres?schema=restart`;
  }

  /** Asynchronous, so the requests keep flowing while the server stops and starts. */
  async ctl(action: 'start' | 'restart' | 'stop'): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.asPostgres('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-w', '-m', 'fast', '-o', options, action]);
  }

  postmasterPid(): string {
    return execFileSync('head', ['-1', join(this.data, 'postmaster.pid')]).toString().trim();
  }

  async destroy(): Promise<void> {
    await this.ctl('stop').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async asPostgres(program: string, args: string[]): Promise<void> {
    try {
      await promisify(execFile)('runuser', ['-u', 'postgres', '--', join(this.bin, program), ...args], { timeout: 60_000 });
    } catch (error) {
      const log = existsSync(join(this.dir, 'log')) ? readFileSync(join(this.dir, 'log'), 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${program} ${args.at(-1)} failed: ${(error as Error).message}\n${log}`);
    }
  }
}

const bin = postgresBin();
const canRun = bin !== null && process.getuid?.() === 0;

describe.skipIf(!canRun)('PostgreSQL restarted during 1,000 requests', () => {
  let pg: PrivatePostgres;
  let daemon: ResultPromise;
  let url = '';
  let stderr = '';

  beforeAll(async () => {
    pg = await PrivatePostgres.start(bin!);
    daemon = execa(process.execPath, [BIN, 'serve', '--port', '0', '--database', pg.url], {
      reject: false,
      env: { NO_COLOR: '1', AGENTGW_SECRET_KEY: SECRET_KEY, AGENTGW_LOG_LEVEL: 'warn', AGENTGW_CONFIG_DIR: join(pg.dir, 'no-config') },
      extendEnv: false,
      // A busy machine may need more than execa's default 5 s to see the drain through.
      forceKillAfterDelay: 30_000,
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
      daemon.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void daemon.then((result) => reject(new Error(`serve exited ${result.exitCode}: ${stderr}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    await daemon?.catch(() => {});
    await pg?.destroy();
  });

  it('says where it listens, which database and which adapter', () => {
    expect(stderr).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ · database postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?schema=restart · adapter on-premise · auth off/);
  });

  it('stays up, answers 2xx or a 503 problem during the outage, and serves again after', async () => {
    expect((await http(url, 'POST', '/api/v1/environments', { body: { name: 'before-restart' } })).status).toBe(201);
    const pidBefore = pg.postmasterPid();
    const results: Array<{ i: number; started: number; result: HttpResult }> = [];
    let next = 0;
    let restart: Promise<void> | undefined;
    let restartedAt = Infinity;

    // At least TOTAL requests, and then on until enough were sent after the database came
    // back (a second to reconnect allowed): a slow restart must not use up the count.
    const sentAfterRecovery = () => results.filter((r) => r.started >= restartedAt + 1000).length;
    const worker = async () => {
      while (next < TOTAL || (sentAfterRecovery() < AFTER && next < TOTAL * 5)) {
        const i = next++;
        if (i === 200) {
          restart = pg.ctl('restart').then(() => {
            restartedAt = Date.now();
          });
        }
        // Reads and writes, so both fail over cleanly.
        const started = Date.now();
        const result =
          i % 5 === 0
            ? await http(url, 'POST', '/api/v1/environments', { body: { name: `during-${i}` } })
            : await http(url, 'GET', i % 2 === 0 ? '/api/v1/environments/before-restart' : '/api/v1/environments');
        results.push({ i, started, result });
        // Once the restart is done, pace a little so "after" spans real time.
        if (restartedAt !== Infinity) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await restart;

    expect(pg.postmasterPid()).not.toBe(pidBefore);
    expect(results.length).toBeGreaterThanOrEqual(TOTAL);
    const unavailable = results.filter((r) => r.result.status === 503);
    for (const { result } of results) {
      expect([200, 201, 503], result.text).toContain(result.status);
      if (result.status === 503) {
        expect(result.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(result.body.code).toBe('AGW_UNAVAILABLE');
        expect(result.body.detail).toMatch(/cannot reach the database/);
      }
    }
    // The outage was seen, and it ended: every request sent once the database was back
    // (a second to reconnect allowed) got a good answer.
    expect(unavailable.length).toBeGreaterThan(0);
    const after = results.filter((r) => r.started >= restartedAt + 1000);
    expect(after.length).toBeGreaterThanOrEqual(AFTER);
    expect(after.filter((r) => r.result.status >= 300).map((r) => r.result.text)).toEqual([]);
    console.info(`pg-restart: ${results.length} requests, ${unavailable.length} × 503 during the outage`);

    expect((await http(url, 'GET', '/readyz')).status).toBe(200);
    expect((await http(url, 'GET', '/api/v1/environments/before-restart')).status).toBe(200);
    expect(daemon.exitCode).toBeNull();
  }, 60_000);

  it('answers 503 problems while the database is down, and recovers by itself', async () => {
    await pg.ctl('stop');
    const down = await http(url, 'GET', '/api/v1/environments');
    expect(down.status).toBe(503);
    expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(down.headers['retry-after']).toBe('1');
    const ready = await http(url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect((await http(url, 'GET', '/healthz')).status).toBe(200);
    await pg.ctl('start');
    // A lost database is tried again after a pause of at most a second (the daemon's back-off).
    let back = await http(url, 'GET', '/api/v1/environments');
    for (const started = Date.now(); back.status === 503 && Date.now() - started < 1500; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      back = await http(url, 'GET', '/api/v1/environments');
    }
    expect(back.status).toBe(200);
    expect(daemon.exitCode).toBeNull();
  }, 60_000);

  it('stops on SIGTERM with exit 0', async () => {
    daemon.kill('SIGTERM');
    const result = await daemon;
    expect(result.exitCode).toBe(0);
  }, 30_000);
});
