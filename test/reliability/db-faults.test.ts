/**
 * db-faults: one `agentgw serve` with its default database settings, whose database is a private
 * PostgreSQL reached through the fault proxy, under load while the database:
 *
 * - refuses every connection for 20 s: the daemon answers 503 problems with Retry-After, and
 *   backs off — the proxy counts its connection attempts (there were 181 in 20 s);
 * - has no connection slot left (SQLSTATE 53300, "too many clients"): 503 with Retry-After;
 * - is shutting down (SQLSTATE 57P03): 503 with Retry-After;
 * - is black-holed (connections accepted, nothing answered): every request answered, 503,
 *   within database.timeout (5 s by default; 2 s on a second daemon configured so).
 *
 * After each fault the daemon serves again by itself.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';
import { canRunPrivatePostgres, PrivatePostgres } from './private-postgres.js';
import { daemonConfig, isProblem, logTrouble, pool, request, Scenario, show, sleep, startServe, type Answer, type ServeProcess } from './support.js';

const s = new Scenario('db-faults', 'PostgreSQL refusing, full, shutting down and black-holed under load');
const canRun = canRunPrivatePostgres();
/** What a request may take beyond database.timeout: the daemon's own work on a busy machine. */
const SLACK_MS = 1500;

let pg: PrivatePostgres;
let proxy: FaultProxy;
let daemon: ServeProcess;
let admin: postgres.Sql;

beforeAll(async () => {
  if (!canRun) return;
  pg = await PrivatePostgres.start();
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: pg.port });
  daemon = await startServe(s, 'db-faults', { config: daemonConfig(pg.urlOf(proxy.port, 'battery')), args: ['--no-monitor'] });
  admin = postgres(pg.urlOf(), { max: 1, onnotice: () => {}, connection: { application_name: 'battery-admin' } });
  const created = await request(s, daemon.url, 'POST', '/api/v1/environments', { body: { name: 'base' } });
  expect(created.status, show(created)).toBe(201);
}, 120_000);

afterAll(async () => {
  if (!canRun) return;
  if (daemon !== undefined) {
    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `the daemon exited ${exitCode} on SIGTERM`);
    const trouble = logTrouble(daemon.stdout());
    s.note('daemonLog', { lines: trouble.lines, errors: trouble.errors, warnings: trouble.warnings });
    for (const line of trouble.fatal) s.violation(`daemon log: ${line}`);
  }
  s.note('proxy', proxy?.stats);
  s.finish();
  await s.cleanup();
  await admin?.end({ timeout: 1 }).catch(() => {});
  await proxy?.close();
  await pg?.destroy();
}, 120_000);

/** A read and a write, in turn. */
function load(target: ServeProcess, i: number, timeoutMs: number): Promise<Answer> {
  return i % 2 === 0
    ? request(s, target.url, 'GET', '/api/v1/environments/base', { timeoutMs })
    : request(s, target.url, 'POST', '/api/v1/environments', { body: { name: `w-${target.label.replace(/\W+/g, '-')}-${i}` }, timeoutMs });
}

/** An answer a database fault may give: 2xx, or a 503 problem that says when to try again. */
function unavailable(answer: Answer): boolean {
  return answer.status === 503 && isProblem(answer) && answer.body.code === 'AGW_UNAVAILABLE' && /^\d+$/.test(answer.headers['retry-after'] ?? '');
}

/** Polls until the daemon reads and writes again; how long that took, or a violation. */
async function recovered(target: ServeProcess, label: string, boundMs = 10_000): Promise<number> {
  const started = Date.now();
  let k = 0;
  while (Date.now() - started < boundMs) {
    if ((await load(target, k++, 5000)).status < 300 && (await load(target, k++, 5000)).status < 300) return Date.now() - started;
    await sleep(100);
  }
  s.violation(`${label}: the daemon did not serve again within ${boundMs} ms`);
  return -1;
}

describe.skipIf(!canRun)('reliability: database faults', () => {
  it('backs off while the database refuses every connection for 20 s, answering 503 with Retry-After', async () => {
    const before = proxy.stats.accepted;
    s.fault('database refusing connections (20 s)');
    proxy.set({ kind: 'reset' });
    const started = Date.now();
    let answers = 0;
    let k = 0;
    await pool(6, 6, async () => {
      while (Date.now() - started < 20_000) {
        const answer = await load(daemon, k++, 20_000);
        answers += 1;
        s.check(answer.status < 300 || unavailable(answer), `while refused: ${show(answer)}`);
        await sleep(10);
      }
    });
    const attempts = proxy.stats.accepted - before;
    proxy.set({ kind: 'pass' });
    s.note('refused', { answers, connectionAttempts: attempts, recoveryMs: await recovered(daemon, 'after 20 s of refusals') });
    // A pause that grows to a second, jittered to half of it at least: 40 tries in 20 s at most.
    s.check(attempts <= 45, `${attempts} connection attempts in 20 s while the database refused them`);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 120_000);

  it('answers 503 with Retry-After while PostgreSQL has no connection slot left (53300)', async () => {
    // The daemon's sessions go, and every slot is then taken, so its next connection is refused.
    // Its background readers (event wake-ups, webhook deliveries) reconnect within a second, so
    // the cut is repeated until the server is full and none of its sessions is left.
    const filler = postgres(pg.urlOf(), { max: 400, onnotice: () => {}, connection: { application_name: 'battery-filler' } });
    const held: postgres.ReservedSql[] = [];
    let refusal = '';
    const daemonSessions = async () => (await admin`select count(*)::int as n from pg_stat_activity where application_name = 'postgres.js'`)[0]!.n;
    for (let round = 0; round < 20; round++) {
      proxy.cut();
      for (let wait = 0; wait < 20 && (await daemonSessions()) > 0; wait++) await sleep(50);
      for (;;) {
        try {
          held.push(await filler.reserve());
        } catch (error) {
          refusal = (error as { code?: string }).code ?? String(error);
          break;
        }
      }
      if ((await daemonSessions()) === 0) break;
    }
    s.check(refusal === '53300', `filling the server ended with ${refusal}, not 53300`);
    s.check((await daemonSessions()) === 0, 'the daemon kept a session while the server was filled');
    s.fault('no connection slot left (53300)');
    let refusedAsFull = 0;
    try {
      for (let i = 0; i < 20; i++) {
        const answer = await load(daemon, i, 20_000);
        if (s.check(unavailable(answer), `with every slot taken: ${show(answer)}`) && /too many clients/.test(answer.body.detail)) refusedAsFull += 1;
        await sleep(50);
      }
      s.check(refusedAsFull > 0, 'no answer named the full server: the daemon never saw 53300');
    } finally {
      for (const connection of held) connection.release();
      await filler.end({ timeout: 1 });
    }
    s.note('tooManyClients', { slotsTaken: held.length, answersNamingIt: refusedAsFull, recoveryMs: await recovered(daemon, 'after 53300') });
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 120_000);

  it('answers 503 with Retry-After while PostgreSQL is shutting down (57P03)', async () => {
    // The admin session keeps a smart shutdown from finishing; the daemon's must reconnect.
    await admin`select 1`;
    await pg.beginSmartShutdown();
    proxy.cut();
    s.fault('database shutting down (57P03)');
    let refusedAsShuttingDown = 0;
    for (let i = 0; i < 20; i++) {
      const answer = await load(daemon, i, 20_000);
      if (s.check(unavailable(answer), `while shutting down: ${show(answer)}`) && /shutting down/.test(answer.body.detail)) refusedAsShuttingDown += 1;
      await sleep(50);
    }
    s.check(refusedAsShuttingDown > 0, 'no answer named the shutdown: the daemon never saw 57P03');
    await admin.end({ timeout: 1 });
    while (pg.running()) await sleep(100);
    await pg.restart();
    admin = postgres(pg.urlOf(), { max: 1, onnotice: () => {}, connection: { application_name: 'battery-admin' } });
    s.note('shuttingDown', { answersNamingIt: refusedAsShuttingDown, recoveryMs: await recovered(daemon, 'after 57P03') });
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 120_000);

  it('answers within database.timeout while the database is black-holed', async () => {
    // The default (5 s), then a daemon configured for 2 s.
    let quick: ServeProcess | undefined;
    for (const timeoutMs of [5000, 2000]) {
      if (timeoutMs === 2000) {
        quick = await startServe(s, 'db-faults 2s', {
          config: { ...daemonConfig(pg.urlOf(proxy.port, 'battery')), database: { url: pg.urlOf(proxy.port, 'battery'), timeout: '2s' } },
          args: ['--no-monitor'],
        });
        await recovered(quick, 'the 2 s daemon at start');
      }
      const target = quick ?? daemon;
      s.fault('black holes');
      proxy.set({ kind: 'blackhole' });
      const started = Date.now();
      let slowest = 0;
      let k = 0;
      await pool(4, 4, async () => {
        while (Date.now() - started < 2 * timeoutMs + 2000) {
          const answer = await load(target, k++, 40_000);
          slowest = Math.max(slowest, answer.ms);
          s.check(answer.status < 300 || unavailable(answer), `${target.label} black-holed: ${show(answer)}`);
          s.check(answer.ms <= timeoutMs + SLACK_MS, `${target.label} black-holed: an answer took ${Math.round(answer.ms)} ms (database.timeout ${timeoutMs} ms)`);
        }
      });
      proxy.set({ kind: 'pass' });
      s.note(`blackHole ${target.label}`, { timeoutMs, slowestMs: Math.round(slowest), recoveryMs: await recovered(target, `${target.label} after the black hole`) });
    }
    const exitCode = await quick?.stop();
    s.check(exitCode === 0, `the 2 s daemon exited ${exitCode} on SIGTERM`);
    s.check(daemon.alive(), 'the daemon died');
    expect(s.figures.unanswered).toBe(0);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 180_000);
});
