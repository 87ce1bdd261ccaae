// Issue 22, item 4: reads at 100,000 gateways. The fleet is written straight into the database
// (SQL: the gateways need not answer, the monitor is off), in PostgreSQL and in SQLite; then:
// - `gateway list` (its first page) and `gateway list --all -o json`, local over each database and
//   remote through a daemon: wall time and peak RSS (/usr/bin/time), against `node -e 0`;
// - the daemon's list pages (GET /api/v1/gateways): the first page, a page deep in the list by
//   its cursor, filtered by a small and a large environment, by a rare and a common status, each
//   one request at a time (p50/p99 of 300) and under autocannon (10 connections);
// - the dashboard: its first frame as a ratio to `node -e 0` (AGENTGW_DASHBOARD_FIRST_FRAME_EXIT),
//   and, in a pseudo-terminal (script(1)), the time from a key (↓, then Page Down) to the next
//   frame written, with the dashboard's peak RSS.
// Knobs: AGENTGW_BENCH_READS_GATEWAYS (100000), AGENTGW_BENCH_READS_BIN (the CLI to measure:
// another build, for a before/after), AGENTGW_BENCH_READS_ONLY (comma-separated: cli, pages,
// dashboard), AGENTGW_BENCH_READS_MODES (comma-separated: sqlite, postgres, remote; the pages
// take sqlite and postgres) and AGENTGW_BENCH_READS_PAGES (comma-separated page kinds, e.g.
// firstPage,environmentAndStatus), to measure some rows only while iterating. Targets: pages
// p99 ≤ 50 ms, first frame ≤ 6 × node -e 0, key to frame ≤ 50 ms.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { startServer } from './daemon.mjs';
import { timeFirstFrame } from './dashboard.mjs';
import { BIN as OWN_BIN, median, percentile, round, timeCommand } from './support.mjs';

const DATABASE = process.env.AGENTGW_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const GATEWAYS = Number(process.env.AGENTGW_BENCH_READS_GATEWAYS ?? 100_000);
const BIN = process.env.AGENTGW_BENCH_READS_BIN ? resolve(process.env.AGENTGW_BENCH_READS_BIN) : OWN_BIN;
const ONLY = (process.env.AGENTGW_BENCH_READS_ONLY ?? 'cli,pages,dashboard').split(',');
const MODES = (process.env.AGENTGW_BENCH_READS_MODES ?? 'sqlite,postgres,remote').split(',');
const PAGES = process.env.AGENTGW_BENCH_READS_PAGES?.split(',') ?? null;
const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';
const FIRST = 'gw-000001';
const progress = (message) => process.stderr.write(`  reads-100k: ${message}\n`);

export async function run() {
  const home = mkdtempSync(join(tmpdir(), 'agentgw-bench-reads-'));
  const schema = `bench_reads_${process.pid}`;
  const pgUrl = `${DATABASE}${DATABASE.includes('?') ? '&' : '?'}schema=${schema}`;
  const sqliteUrl = `sqlite:${join(home, 'fleet.sqlite')}`;
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    AGENTGW_CONFIG_DIR: join(home, 'config'),
    AGENTGW_DATA_DIR: join(home, 'data'),
    AGENTGW_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    AGENTGW_LOG_LEVEL: 'warn',
    NO_COLOR: '1',
  };
  const admin = postgres(DATABASE, { max: 1, onnotice: () => {} });
  const daemons = [];
  const result = { gateways: GATEWAYS, bin: BIN === OWN_BIN ? 'this build' : BIN, loadAverage1mAtStart: round(loadavg()[0]) };
  try {
    progress(`writing ${GATEWAYS} gateways into PostgreSQL and SQLite`);
    let started = Date.now();
    migrate(pgUrl, env);
    await seedPostgres(schema);
    result.fixtureSeconds = { postgres: round((Date.now() - started) / 1000, 1) };
    started = Date.now();
    migrate(sqliteUrl, env);
    seedSqlite(sqliteUrl.slice('sqlite:'.length));
    result.fixtureSeconds.sqlite = round((Date.now() - started) / 1000, 1);

    const serve = (url) => startServer([BIN, 'serve', '--port', '0', '--no-monitor', '--database', url], env);
    const pgDaemon = await serve(pgUrl);
    daemons.push(pgDaemon);
    const sqliteDaemon = await serve(sqliteUrl);
    daemons.push(sqliteDaemon);
    const allModes = { sqlite: ['--database', sqliteUrl], postgres: ['--database', pgUrl], remote: ['--server', pgDaemon.url] };
    const modes = Object.fromEntries(Object.entries(allModes).filter(([mode]) => MODES.includes(mode)));

    if (ONLY.includes('cli')) result.cli = await measureCli(modes, env);
    if (ONLY.includes('pages')) {
      result.pages = {};
      if (MODES.includes('postgres')) result.pages.postgres = await measurePages(pgDaemon.url);
      if (MODES.includes('sqlite')) result.pages.sqlite = await measurePages(sqliteDaemon.url);
    }
    if (ONLY.includes('dashboard')) result.dashboard = await measureDashboard(modes, env);
    result.loadAverage1mAtEnd = round(loadavg()[0]);
    return result;
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
    rmSync(home, { recursive: true, force: true });
  }
}

export function migrate(url, env) {
  const done = spawnSync(process.execPath, [BIN, 'migrate', 'up', '--database', url], { env, encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`migrate ${url}: ${done.stderr}`);
}

// The fleet: a quarter INGRESS, one in fifty INACTIVE; every gateway in `production`, one in a
// hundred also in `staging`. Names gw-000001 … in order.
export async function seedPostgres(schema) {
  const sql = postgres(DATABASE, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  try {
    await sql`insert into environments (uuid, organization_uuid, name, display_name, description, version, created_at, updated_at)
              values (gen_random_uuid(), ${DEFAULT_ORG}, 'staging', 'Staging', null, 1, now(), now())`;
    await sql`
      insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, control_plane_url, status, region,
                            adapter_config, endpoint, adapter_type, metadata, credentials, version, status_changed_at,
                            last_heartbeat, last_checked_at, response_time_ms, consecutive_failures, consecutive_successes,
                            next_check_at, created_at, updated_at)
      select gen_random_uuid(), ${DEFAULT_ORG}, 'gw-' || lpad(i::text, 6, '0'), 'Gateway ' || i,
             case when i % 4 = 0 then 'INGRESS' else 'EGRESS' end, 'http://gw-' || i || '.example:9090',
             case when i % 50 = 0 then 'INACTIVE' else 'ACTIVE' end, null,
             jsonb_build_object('controlPlaneUrl', 'http://gw-' || i || '.example:9090'),
             null, 'on-premise', '{}'::jsonb, null, 1, now(), now(), now(), 12, 0, 1, now() + interval '1 day', now(), now()
      from generate_series(1, ${GATEWAYS}::int) as i`;
    await sql`
      insert into gateway_environment_mappings (gateway_uuid, environment_uuid, created_at)
      select g.uuid, e.uuid, now() from gateways g join environments e on e.name = 'production'
      union all
      select g.uuid, e.uuid, now() from gateways g join environments e on e.name = 'staging' where g.name like '%00'`;
    await sql`analyze`;
  } finally {
    await sql.end();
  }
}

export function seedSqlite(path) {
  const db = new Database(path);
  try {
    const uuid = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;
    const now = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
    db.transaction(() => {
      db.exec(`insert into environments (uuid, organization_uuid, name, display_name, description, version, created_at, updated_at)
               values (${uuid}, '${DEFAULT_ORG}', 'staging', 'Staging', null, 1, ${now}, ${now})`);
      db.exec(`
        with recursive n(i) as (select 1 union all select i + 1 from n where i < ${GATEWAYS})
        insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, control_plane_url, status, region,
                              adapter_config, endpoint, adapter_type, metadata, credentials, version, status_changed_at,
                              last_heartbeat, last_checked_at, response_time_ms, consecutive_failures, consecutive_successes,
                              next_check_at, created_at, updated_at)
        select ${uuid}, '${DEFAULT_ORG}', 'gw-' || printf('%06d', i), 'Gateway ' || i,
               case when i % 4 = 0 then 'INGRESS' else 'EGRESS' end, 'http://gw-' || i || '.example:9090',
               case when i % 50 = 0 then 'INACTIVE' else 'ACTIVE' end, null,
               json_object('controlPlaneUrl', 'http://gw-' || i || '.example:9090'),
               null, 'on-premise', '{}', null, 1, ${now}, ${now}, ${now}, 12, 0, 1,
               strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 day'), ${now}, ${now}
        from n`);
      db.exec(`
        insert into gateway_environment_mappings (gateway_uuid, environment_uuid, created_at)
        select g.uuid, e.uuid, ${now} from gateways g join environments e on e.name = 'production'
        union all
        select g.uuid, e.uuid, ${now} from gateways g join environments e on e.name = 'staging' where g.name like '%00'`);
    })();
    db.exec('analyze');
  } finally {
    db.close();
  }
}

/** Wall time and peak RSS of one CLI run (GNU time), its stdout counted, not kept. */
function timed(args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M', process.execPath, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let tail = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length;
      tail = (tail + chunk.toString('utf8', Math.max(0, chunk.length - 64))).slice(-64);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => {
      const [seconds, kb] = (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      else resolvePromise({ ms: seconds * 1000, rssMb: kb / 1024, bytes, tail });
    });
  });
}

async function measureCli(modes, env, runs = 3) {
  progress('gateway list (first page, and --all -o json)');
  const out = { nodeBaselineMs: round(median(timeCommand(['-e', '0'], env, 5))) };
  for (const [mode, flags] of Object.entries(modes)) {
    const page = [];
    const all = [];
    for (let i = 0; i < runs; i++) {
      page.push(await timed(['gateway', 'list', ...flags], env));
      all.push(await timed(['gateway', 'list', '--all', '-o', 'json', ...flags], env));
    }
    // The whole document came out: it ends as the last gateway's object and the list close.
    if (!/\}\n {2}\]\n\}\n$/.test(all[0].tail)) throw new Error(`${mode}: --all -o json did not end its document: ${JSON.stringify(all[0].tail)}`);
    const figures = (samples) => ({ ms: round(median(samples.map((s) => s.ms)), 0), peakRssMb: round(median(samples.map((s) => s.rssMb)), 1), outputMb: round(samples[0].bytes / 1e6, 1) });
    out[mode] = { firstPage: figures(page), allJson: figures(all) };
  }
  return out;
}

async function measurePages(baseUrl) {
  const deep = () => cursorAt(baseUrl, Math.floor(GATEWAYS * 0.9));
  const kinds = {
    firstPage: '/api/v1/gateways',
    deepPageByCursor: deep,
    environmentSmall: '/api/v1/gateways?environment=staging',
    environmentLarge: '/api/v1/gateways?environment=production',
    statusRare: '/api/v1/gateways?status=INACTIVE',
    statusCommon: '/api/v1/gateways?status=ACTIVE',
    statusNone: '/api/v1/gateways?status=ERROR',
    environmentAndStatus: '/api/v1/gateways?environment=staging&status=INACTIVE',
  };
  const out = {};
  for (const [kind, pathOrCursor] of Object.entries(kinds)) {
    if (PAGES !== null && !PAGES.includes(kind)) continue;
    const path = typeof pathOrCursor === 'string' ? pathOrCursor : `/api/v1/gateways?cursor=${encodeURIComponent(await pathOrCursor())}`;
    progress(`${baseUrl}${path}`);
    const samples = [];
    for (let i = 0; i < 330; i++) {
      const startedAt = process.hrtime.bigint();
      const response = await fetch(`${baseUrl}${path}`);
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      if (i >= 30) samples.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
    }
    const loaded = await new Promise((resolvePromise, reject) =>
      autocannon({ url: `${baseUrl}${path}`, connections: 10, duration: 5 }, (error, r) => (error ? reject(error) : resolvePromise(r))),
    );
    if (loaded.non2xx + loaded.errors > 0) throw new Error(`${path}: ${loaded.non2xx} non-2xx, ${loaded.errors} errors under load`);
    out[kind] = {
      oneAtATime: { p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)) },
      tenConnections: { p50Ms: loaded.latency.p50, p99Ms: loaded.latency.p99, requestsPerSecond: round(loaded.requests.average, 0) },
    };
  }
  return out;
}

/** The cursor of the page that starts after row `row`, walked to by the API's own cursors. */
async function cursorAt(baseUrl, row) {
  let cursor;
  for (let read = 0; read < row; read += 1000) {
    const limit = Math.min(1000, row - read);
    const response = await fetch(`${baseUrl}/api/v1/gateways?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    cursor = (await response.json()).nextCursor;
  }
  return cursor;
}

async function measureDashboard(modes, env, runs = 7) {
  progress('dashboard: first frame');
  const samples = { node: [], ...Object.fromEntries(Object.keys(modes).map((m) => [m, []])) };
  for (let i = 0; i < runs; i++) {
    samples.node.push(...timeCommand(['-e', '0'], env, 1));
    for (const [mode, flags] of Object.entries(modes)) samples[mode].push((await timeFirstFrame([BIN, 'dashboard', ...flags], { ...env, AGENTGW_DASHBOARD_FIRST_FRAME_EXIT: '1' }, FIRST)).frameMs);
  }
  const baseline = median(samples.node);
  const out = { nodeBaselineMs: round(baseline) };
  for (const mode of Object.keys(modes)) out[mode] = { firstFrameMs: round(median(samples[mode])), ratio: round(median(samples[mode]) / baseline) };
  for (const mode of Object.keys(modes)) {
    progress(`dashboard: keys in a pseudo-terminal (${mode})`);
    out[mode].keys = await keyToFrame(modes[mode], env);
  }
  return out;
}

const KEYS = { down: '\u001B[B', pageDown: '\u001B[6~' };

/**
 * The dashboard in a pseudo-terminal of 160 × 50 (script(1)): after its first frame and a second
 * to settle, each key is written and timed to the first output after it; 100 ↓ then 100 Page Down
 * (the latter walks ~4,500 rows: segments are read on the way). `bin`: the CLI to measure, so a
 * script can alternate two builds over one fixture.
 */
export async function keyToFrame(flags, env, bin = BIN) {
  const command = `stty rows 50 cols 160; exec ${process.execPath} ${bin} dashboard ${flags.map((f) => `'${f}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let waiter = null;
  child.stdout.on('data', (chunk) => {
    output += chunk;
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w(process.hrtime.bigint());
    }
  });
  try {
    const deadline = Date.now() + 30_000;
    while (!output.includes(FIRST)) {
      if (Date.now() > deadline) throw new Error(`no first frame: ${output.slice(-500)}`);
      await sleep(20);
    }
    await sleep(1500);
    const out = {};
    for (const [name, key] of Object.entries(KEYS)) {
      const samples = [];
      for (let i = 0; i < 100; i++) {
        const next = new Promise((resolvePromise) => (waiter = resolvePromise));
        const sent = process.hrtime.bigint();
        child.stdin.write(key);
        const at = await Promise.race([next, sleep(2000).then(() => null)]);
        if (at === null) throw new Error(`no frame after ${name} #${i}`);
        samples.push(Number(at - sent) / 1e6);
        // Let the frame's remaining writes and any read it started settle before the next key.
        await sleep(40);
      }
      out[name] = { p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)), maxMs: round(Math.max(...samples)) };
    }
    out.peakRssMb = peakRssOfTree(child.pid);
    const selected = /> (gw-\d{6})/g;
    out.lastSelected = [...output.matchAll(selected)].at(-1)?.[1] ?? null;
    return out;
  } finally {
    child.stdin.write('q');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(3000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The largest VmHWM among the process and its descendants (the dashboard under script and sh). */
function peakRssOfTree(pid) {
  let peak = 0;
  const visit = (p) => {
    try {
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0));
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // gone
    }
  };
  visit(pid);
  return round(peak / 1024, 1);
}

