/**
 * Five `agentgw serve` processes started at the same instant on an empty PostgreSQL schema, ten
 * times. Each round: every daemon comes up and is ready, every migration is recorded exactly once
 * and all of them by one transaction (one xmin: a single daemon migrated, the others waited on the
 * advisory lock and found nothing to do), the seed data is there once, no daemon logged a
 * duplicate-object error, and every one stops cleanly on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { POSTGRES_BASE_URL } from '../support/postgres.js';
import { daemonConfig, logTrouble, request, Scenario, show, sleep, startServe, type ServeProcess } from './support.js';

const ROUNDS = 10;
const DAEMONS = 5;

const s = new Scenario('concurrent-start', `${DAEMONS} daemons started at once on an empty schema, ${ROUNDS} times`);
const admin = postgres(POSTGRES_BASE_URL, { max: 2, onnotice: () => {} });

afterAll(async () => {
  s.finish();
  await s.cleanup();
  await admin.end({ timeout: 1 });
});

describe('reliability: concurrent cold starts', () => {
  it(`${ROUNDS} rounds of ${DAEMONS} daemons on an empty schema: every migration applied once, all ready`, async () => {
    let started = 0;
    let ready = 0;
    const startMs: number[] = [];
    const stopMs: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const schema = `battery_start_${randomBytes(5).toString('hex')}`;
      const url = `${POSTGRES_BASE_URL}?schema=${schema}`;
      const t0 = Date.now();
      const results = await Promise.allSettled(
        Array.from({ length: DAEMONS }, (_, k) => startServe(s, `round ${round} daemon ${k}`, { config: daemonConfig(url), args: ['--no-monitor'], readyTimeoutMs: 60_000 })),
      );
      startMs.push(Date.now() - t0);
      const daemons: ServeProcess[] = [];
      for (const [k, result] of results.entries()) {
        if (result.status === 'fulfilled') {
          started += 1;
          daemons.push(result.value);
        } else s.violation(`round ${round}: daemon ${k} did not start: ${String(result.reason).slice(0, 600)}`);
      }
      for (const daemon of daemons) {
        let answer = await request(s, daemon.url, 'GET', '/readyz');
        for (let attempt = 0; answer.status !== 200 && attempt < 50; attempt += 1) {
          await sleep(100);
          answer = await request(s, daemon.url, 'GET', '/readyz');
        }
        if (s.check(answer.status === 200, `round ${round}: ${daemon.label} not ready: ${show(answer)}`)) ready += 1;
      }

      const rows = await admin.unsafe<{ name: string; xmin: string }[]>(`select name, xmin::text as xmin from "${schema}".agentgw_migrations`);
      const names = rows.map((r) => r.name).sort();
      s.check(
        JSON.stringify(names) === JSON.stringify(migrations.map((m) => m.name).sort()),
        `round ${round}: agentgw_migrations holds [${names.join(', ')}], expected each of the ${migrations.length} migrations once`,
      );
      s.check(new Set(rows.map((r) => r.xmin)).size === 1, `round ${round}: the migrations were recorded by ${new Set(rows.map((r) => r.xmin)).size} transactions, not one`);
      const seeded = await admin.unsafe<{ n: string }[]>(`select count(*)::text as n from "${schema}".environments`);
      s.check(seeded[0]?.n === '1', `round ${round}: ${seeded[0]?.n} seed environments, expected 1`);

      const stopped = Date.now();
      const exitCodes = await Promise.all(daemons.map((daemon) => daemon.stop()));
      stopMs.push(Date.now() - stopped);
      for (const [k, daemon] of daemons.entries()) {
        const exitCode = exitCodes[k];
        s.check(exitCode === 0, `round ${round}: ${daemon.label} exited ${exitCode} on SIGTERM`);
        const trouble = logTrouble(daemon.stdout());
        for (const line of trouble.fatal) s.violation(`round ${round}: ${daemon.label} log: ${line}`);
        const text = `${daemon.stdout()}\n${daemon.stderr()}`;
        s.check(!/duplicate key|already exists|23505|42P06|42P07/.test(text), `round ${round}: ${daemon.label} logged a duplicate-object error`);
      }
      await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    }
    s.note('daemonsStarted', started);
    s.note('daemonsReady', ready);
    s.note('migrationsPerRound', migrations.length);
    s.note('secondsToListenPerRound', startMs.map((ms) => ms / 1000));
    s.note('secondsToStopPerRound', stopMs.map((ms) => ms / 1000));
    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
    expect(ready).toBe(ROUNDS * DAEMONS);
  }, 300_000);
});
