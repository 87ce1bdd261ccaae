/**
 * slow-clients: one `agentgw serve` with authentication on, its defaults for connections
 * (requests 30 s, headers 10 s, keep-alive 5 s, 512 connections) and an open-file limit of 1,024,
 * a common default, under hostile clients while four well-behaved ones keep working:
 *
 * - below the cap: 300 clients with a valid token that send their body a byte every 5 s, 100
 *   that send a header line every 5 s, 50 that connect and say nothing, and 50 without a token
 *   that start a body over and over. Each must be cut: the trickling body at the request
 *   timeout (408), the trickling headers and the silent ones at the headers timeout, and the
 *   ones without a token right after their 401.
 * - over the cap: 1,100 more trickling clients with a token at once, more than the daemon has
 *   file handles for. The daemon must keep serving the well-behaved clients and never hold more
 *   than its cap of connections (counted in /proc/PID/fd).
 * - after a 401, a 403 and a 413 the daemon closes the connection; after a 200 it keeps it.
 *
 * Every request of the well-behaved clients must be answered 2xx, in time.
 */
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { rawRequest } from './raw-http.js';
import { cli, daemonConfig, logTrouble, request, Scenario, show, sleep, startServe, type ServeProcess } from './support.js';

const s = new Scenario('slow-clients', 'trickling, silent and unauthenticated clients against the connection timeouts and cap');

const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 512;
const FILE_LIMIT = 1024;
/** Node checks the timeouts once a second; a busy machine adds to that. */
const CUT_SLACK_MS = 3_000;
const DRIP_MS = 5_000;

let schema: TestSchema;
let daemon: ServeProcess;
let port: number;
let writeToken: string;
let readToken: string;

beforeAll(async () => {
  schema = createTestSchema('battery_slow');
  daemon = await startServe(s, 'slow-clients', {
    config: { ...daemonConfig(schema.url), server: { auth: { required: true } } },
    args: ['--no-monitor'],
    fileLimit: FILE_LIMIT,
  });
  port = Number(new URL(daemon.url).port);
  const token = async (scope: string) => {
    const run = await cli(s, ['--database', schema.url, 'token', 'create', `battery-${scope}`, '--scope', scope]);
    expect(run.exitCode, run.stderr).toBe(0);
    return run.stdout.trim();
  };
  writeToken = await token('write');
  readToken = await token('read');
}, 120_000);

afterAll(async () => {
  if (daemon !== undefined) {
    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `the daemon exited ${exitCode} on SIGTERM`);
    for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`daemon log: ${line}`);
  }
  s.finish();
  await s.cleanup();
  await schema?.drop();
}, 60_000);

type Kind = 'body' | 'headers' | 'silent' | 'unauthenticated';

/** One hostile connection: what it sends, and when and how the daemon ended it. */
class SlowClient {
  readonly opened = performance.now();
  /** When the daemon closed the connection (ms after opening), or null while it is open. */
  closedAfterMs: number | null = null;
  /** When the first answer arrived (ms after opening), and its status. */
  answeredAfterMs: number | null = null;
  status: number | null = null;
  private readonly socket: net.Socket;
  private readonly drip: NodeJS.Timeout | undefined;
  private ours = false;

  constructor(readonly kind: Kind) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      if (this.status !== null) return;
      this.answeredAfterMs = performance.now() - this.opened;
      this.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? -1);
    });
    this.socket.on('close', () => {
      if (!this.ours) this.closedAfterMs = performance.now() - this.opened;
    });
    const auth = kind === 'unauthenticated' ? '' : `Authorization: Bearer ${writeToken}\r\n`;
    this.socket.on('connect', () => {
      if (kind === 'body' || kind === 'unauthenticated') {
        this.socket.write(`POST /api/v1/environments HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      } else if (kind === 'headers') {
        this.socket.write(`GET /api/v1/environments HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${auth}`);
      }
    });
    if (kind !== 'silent') {
      let n = 0;
      this.drip = setInterval(() => {
        if (!this.socket.destroyed) this.socket.write(kind === 'headers' ? `X-Drip-${n++}: 1\r\n` : ' ');
      }, DRIP_MS);
    }
  }

  get open(): boolean {
    return !this.socket.destroyed;
  }

  /** Closes it from the client's side (its result stays "not closed by the daemon"). */
  stop(): void {
    clearInterval(this.drip);
    if (this.open) this.ours = true;
    this.socket.destroy();
  }
}

/**
 * Well-behaved clients: a write and a read on kept-alive connections, and a read on a connection
 * of its own (a new client), in a loop, each answered 2xx within the bound. The reads are of one
 * environment: a list that grows with every write would be captured thousands of times.
 */
function steadyClients(workers: number, until: () => boolean, label: string): Promise<{ served: number; failed: number }> {
  const tally = { served: 0, failed: 0 };
  let k = 0;
  return Promise.all(
    Array.from({ length: workers }, async () => {
      while (!until()) {
        const i = k++;
        const headers = { authorization: `Bearer ${writeToken}` };
        const answer =
          i % 3 === 0
            ? await request(s, daemon.url, 'POST', '/api/v1/environments', { body: { name: `steady-${label.replace(/\W+/g, '-')}-${i}` }, headers, timeoutMs: 10_000 })
            : i % 3 === 1
              ? await request(s, daemon.url, 'GET', '/api/v1/environments/production', { headers, timeoutMs: 10_000 })
              : await rawRequest(s, daemon.url, 'GET', '/api/v1/environments/production', { headers, timeoutMs: 10_000, closeWithinMs: 0 });
        if (s.check(answer.status >= 200 && answer.status < 300, `${label}: a well-behaved request ${i} got ${show(answer)}`)) tally.served += 1;
        else tally.failed += 1;
        await sleep(20);
      }
    }),
  ).then(() => tally);
}

/** The daemon's open file handles, sampled until stopped. */
function sampleFiles(): { stop(): number[] } {
  const samples: number[] = [];
  const timer = setInterval(() => {
    try {
      samples.push(readdirSync(`/proc/${daemon.child.pid}/fd`).length);
    } catch {
      // the process is gone; the checks below say so
    }
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

describe('reliability: slow, silent and unauthenticated clients', () => {
  it('cuts each kind of slow client at its timeout, closes after 401, 403 and 413, and keeps serving over the connection cap', async () => {
    // 401, 403 and 413 close the connection; a 200 keeps it.
    const kept = await rawRequest(s, daemon.url, 'GET', '/api/v1/environments', { headers: { authorization: `Bearer ${readToken}` } });
    s.check(kept.status === 200 && !kept.closedByServer, `a 200 must keep its connection: ${show(kept)}, closed ${kept.closedByServer}`);
    const refusals = [
      await rawRequest(s, daemon.url, 'POST', '/api/v1/environments', { body: { name: 'no-token' } }),
      await rawRequest(s, daemon.url, 'POST', '/api/v1/environments', { body: { name: 'read-token' }, headers: { authorization: `Bearer ${readToken}` } }),
      await rawRequest(s, daemon.url, 'POST', '/api/v1/environments', { body: `{"name":"big","description":"${'x'.repeat(2 * 1024 * 1024)}"}`, headers: { authorization: `Bearer ${writeToken}` } }),
    ];
    for (const [i, expected] of [401, 403, 413].entries()) {
      const answer = refusals[i]!;
      s.check(answer.status === expected && answer.closedByServer, `a ${expected} must close its connection: ${show(answer)}, closed ${answer.closedByServer}`);
    }

    // Below the cap: every kind of slow client is cut at its own timeout.
    const files = sampleFiles();
    const phase1Started = performance.now();
    const below: SlowClient[] = [
      ...Array.from({ length: 300 }, () => new SlowClient('body')),
      ...Array.from({ length: 100 }, () => new SlowClient('headers')),
      ...Array.from({ length: 50 }, () => new SlowClient('silent')),
    ];
    s.fault('trickling bodies with a token', 300);
    s.fault('trickling headers', 100);
    s.fault('silent connections', 50);
    const phase1Ends = () => performance.now() - phase1Started > REQUEST_TIMEOUT_MS + CUT_SLACK_MS + 1000;
    const unauthenticated: SlowClient[] = [];
    const churn = Promise.all(
      Array.from({ length: 50 }, async () => {
        while (!phase1Ends()) {
          const client = new SlowClient('unauthenticated');
          unauthenticated.push(client);
          s.fault('trickling bodies without a token');
          const started = performance.now();
          while (client.open && performance.now() - started < 5000) await sleep(50);
          client.stop();
          await sleep(500);
        }
      }),
    );
    const steady1 = await steadyClients(4, phase1Ends, 'below the cap');
    await churn;
    const bounds: Record<Kind, number> = {
      body: REQUEST_TIMEOUT_MS + CUT_SLACK_MS,
      headers: HEADERS_TIMEOUT_MS + CUT_SLACK_MS,
      silent: HEADERS_TIMEOUT_MS + CUT_SLACK_MS,
      unauthenticated: 0,
    };
    const cutAfter: Record<string, number[]> = { body: [], headers: [], silent: [] };
    for (const client of below) {
      if (client.closedAfterMs === null) s.violation(`a ${client.kind} client was still connected after ${Math.round(performance.now() - client.opened)} ms`);
      else {
        cutAfter[client.kind]!.push(client.closedAfterMs);
        s.check(client.closedAfterMs <= bounds[client.kind], `a ${client.kind} client was cut after ${Math.round(client.closedAfterMs)} ms, over ${bounds[client.kind]} ms`);
        s.check(client.kind !== 'body' || client.closedAfterMs >= REQUEST_TIMEOUT_MS - 1000, `a trickling body with a token was cut after ${Math.round(client.closedAfterMs)} ms, before its request timeout`);
        s.check(client.kind !== 'body' || client.status === 408, `a trickling body was answered ${client.status}, not 408`);
      }
      client.stop();
    }
    let unauthenticatedCut = 0;
    for (const client of unauthenticated) {
      if (client.status === null) continue;
      const lingered = (client.closedAfterMs ?? Infinity) - client.answeredAfterMs!;
      if (s.check(client.status === 401 && lingered <= 1000, `a client without a token got ${client.status} and its connection stayed open ${Math.round(lingered)} ms after`)) unauthenticatedCut += 1;
    }
    s.check(unauthenticatedCut > 50, `only ${unauthenticatedCut} clients without a token were answered`);
    const spread = (values: number[]) => (values.length === 0 ? null : { min: Math.round(Math.min(...values)), max: Math.round(Math.max(...values)) });
    s.note('belowTheCap', {
      cutAfterMs: { body: spread(cutAfter.body!), headers: spread(cutAfter.headers!), silent: spread(cutAfter.silent!) },
      unauthenticatedConnections: unauthenticated.length,
      unauthenticatedClosedAfter401: unauthenticatedCut,
      steady: steady1,
    });

    // Over the cap: more trickling clients than the daemon has file handles for.
    const phase2Started = performance.now();
    const flood = Array.from({ length: 1100 }, () => new SlowClient('body'));
    s.fault('trickling bodies with a token, over the cap', flood.length);
    const steady2Done = steadyClients(4, () => performance.now() - phase2Started > 15_000, 'over the cap');
    // A user's CLI, a new process with connections of its own, while the flood goes on.
    for (let k = 0; k < 2; k++) {
      const run = await cli(s, ['--server', daemon.url, '--token', readToken, 'env', 'list', '-o', 'name'], { timeoutMs: 30_000 });
      s.check(run.exitCode === 0 && run.stdout.includes('production'), `the CLI over the cap: exit ${run.exitCode}: ${run.stderr.slice(0, 300)}`);
    }
    const steady2 = await steady2Done;
    const deadline = phase2Started + REQUEST_TIMEOUT_MS + CUT_SLACK_MS;
    while (flood.some((client) => client.open) && performance.now() < deadline) await sleep(200);
    const stillOpen = flood.filter((client) => client.closedAfterMs === null).length;
    s.check(stillOpen === 0, `${stillOpen} of ${flood.length} trickling clients over the cap were still connected after ${REQUEST_TIMEOUT_MS + CUT_SLACK_MS} ms`);
    for (const client of flood) client.stop();
    const samples = files.stop();
    const peak = Math.max(0, ...samples);
    s.check(samples.length > 0 && peak <= MAX_CONNECTIONS + 100, `the daemon held ${peak} open files (cap ${MAX_CONNECTIONS} connections)`);
    s.check(steady2.served > 20, `only ${steady2.served} well-behaved requests were served over the cap`);

    const metrics = await request(s, daemon.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${readToken}` } });
    const shed = /agentgw_http_connections_shed_total\{kind="waiting"\} (\d+)/.exec(metrics.text)?.[1];
    s.note('overTheCap', {
      flood: flood.length,
      answered408: flood.filter((client) => client.status === 408).length,
      closedWithoutAnswer: flood.filter((client) => client.status === null).length,
      shedWaiting: shed === undefined ? null : Number(shed),
      steady: steady2,
    });
    s.note('openFiles', { peak, samples: samples.length, limit: FILE_LIMIT });
    s.check(daemon.alive(), 'the daemon died');
    const after = await request(s, daemon.url, 'GET', '/api/v1/environments', { headers: { authorization: `Bearer ${readToken}` } });
    s.check(after.status === 200, `after the flood: ${show(after)}`);
    expect(s.figures.unanswered, 'well-behaved requests went unanswered').toBe(0);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 180_000);
});
