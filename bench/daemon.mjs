// The daemon's throughput against a bare Fastify hello-world measured in the same run
// (autocannon, 50 connections): GET /api/v1/gateways/{id} with 10,000 gateways in PostgreSQL,
// a filtered list page of 50, their p99 latency, and the idle daemon's resident memory.
//
// Both servers run as child processes (the daemon as `agentgw serve`, logging at warn so the
// figure is the API's, not the terminal's); autocannon runs here. Targets (issue "[3/7] The
// daemon"): get ≥ 15% and list ≥ 10% of the baseline's requests/s, p99 ≤ 50 ms, idle RSS ≤ 120 MB.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { BIN, round } from './support.mjs';

const DATABASE = process.env.AGENTGW_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const GATEWAYS = 10_000;
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.AGENTGW_BENCH_SECONDS ?? 5);
const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';
const TARGETS = { getRatio: 0.15, listRatio: 0.1, p99Ms: 50, idleRssMb: 120 };

const BASELINE_SERVER = `
  const { default: Fastify } = await import(${JSON.stringify(new URL('../node_modules/fastify/fastify.js', import.meta.url).href)});
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stderr.write('listening on http://127.0.0.1:' + app.server.address().port + '\\n');
`;

/** Starts a child process and resolves with its URL once it prints "listening on URL". */
export function startServer(args, env) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${stderr}`)), 60_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], child, stop: () => stop(child) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`)));
  });
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

const progress = (message) => process.stderr.write(`  daemon: ${message}\n`);

function load(url, options = {}) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** The path of every page of a list, from the first to the last. */
async function collectPages(baseUrl, firstPath) {
  const paths = [firstPath];
  for (;;) {
    const response = await fetch(`${baseUrl}${paths.at(-1)}`);
    const { nextCursor } = await response.json();
    if (nextCursor === null) return paths;
    paths.push(`${firstPath}&cursor=${encodeURIComponent(nextCursor)}`);
  }
}

function summary(result) {
  const non2xx = result.non2xx + result.errors + result.timeouts;
  if (non2xx > 0) throw new Error(`${result.url}: ${non2xx} failed requests (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return { requestsPerSecond: round(result.requests.average, 0), p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result.requests.total };
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return round(kb / 1024, 1);
}

/** 10,000 gateways (a quarter INGRESS, a tenth INACTIVE) in two environments, written as SQL. */
async function seed(sql) {
  await sql`insert into environments (uuid, organization_uuid, name, display_name, description, version, created_at, updated_at)
            values (gen_random_uuid(), ${DEFAULT_ORG}, 'staging', 'Staging', null, 1, now(), now())`;
  // The health monitor must not start checking 10,000 unreachable gateways during the run.
  await sql`
    insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, control_plane_url, status, region,
                          adapter_config, endpoint, adapter_type, metadata, credentials, version, status_changed_at,
                          last_heartbeat, last_checked_at, response_time_ms, consecutive_failures, consecutive_successes,
                          next_check_at, created_at, updated_at)
    select gen_random_uuid(), ${DEFAULT_ORG}, 'gw-' || lpad(i::text, 5, '0'), 'Gateway ' || i,
           case when i % 4 = 0 then 'INGRESS' else 'EGRESS' end,
           'http://10.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256) || ':9090',
           case when i % 10 = 0 then 'INACTIVE' else 'ACTIVE' end, null,
           jsonb_build_object('controlPlaneUrl', 'http://10.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256) || ':9090'),
           null, 'on-premise', '{}'::jsonb, null, 1, now(), now(), now(), 12, 0, 1,
           now() + interval '1 day', now(), now()
    from generate_series(1, ${GATEWAYS}) as i`;
  await sql`
    insert into gateway_environment_mappings (gateway_uuid, environment_uuid, created_at)
    select g.uuid, e.uuid, now() from gateways g join environments e on e.name = 'production'
    union all
    select g.uuid, e.uuid, now() from gateways g join environments e on e.name = 'staging' where g.name like '%0'`;
  await sql`analyze`;
}

export async function run() {
  const schema = `bench_daemon_${process.pid}`;
  const databaseUrl = `${DATABASE}${DATABASE.includes('?') ? '&' : '?'}schema=${schema}`;
  const admin = postgres(DATABASE, { max: 1, onnotice: () => {} });
  const env = { AGENTGW_LOG_LEVEL: 'warn', AGENTGW_CONFIG_DIR: '/nonexistent-agentgw-bench', AGENTGW_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'), NO_COLOR: '1' };
  const serveArgs = [BIN, 'serve', '--port', '0', '--database', databaseUrl];
  const running = [];
  try {
    // The daemon migrates the fresh schema; the rows go in with SQL, then a fresh daemon serves.
    progress('migrating a fresh schema');
    const first = await startServer(serveArgs, env);
    await first.stop();
    progress(`writing ${GATEWAYS} gateways`);
    const sql = postgres(DATABASE, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      await seed(sql);
    } finally {
      await sql.end();
    }

    progress('starting the baseline and the daemon');
    const baselineServer = await startServer(['--input-type=module', '-e', BASELINE_SERVER], {});
    running.push(baselineServer);
    const daemon = await startServer(serveArgs, env);
    running.push(daemon);

    const names = Array.from({ length: GATEWAYS }, (_, i) => `gw-${String(i + 1).padStart(5, '0')}`);
    const randomGet = [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/api/v1/gateways/${names[Math.floor(Math.random() * names.length)]}` }) }];
    const listPath = '/api/v1/gateways?type=EGRESS&environment=production&status=ACTIVE&limit=50';
    // For the record, not a target: every page of that list at random (its cursors collected by
    // following nextCursor), so that requests for the same page seldom arrive together.
    const pagePaths = await collectPages(daemon.url, listPath);
    const randomList = [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pagePaths[Math.floor(Math.random() * pagePaths.length)] }) }];

    // Warm both (JIT, connection pool), then measure, baseline before and after the daemon.
    progress(`measuring, ${DURATION_S}s a run`);
    await load(baselineServer.url, { duration: 1 });
    await load(daemon.url, { duration: 1, requests: randomGet });
    const baselineBefore = summary(await load(baselineServer.url));
    const get = summary(await load(daemon.url, { requests: randomGet }));
    const list = summary(await load(`${daemon.url}${listPath}`));
    const mixed = summary(await load(daemon.url, { requests: randomList }));
    const baselineAfter = summary(await load(baselineServer.url));
    const baselineRps = (baselineBefore.requestsPerSecond + baselineAfter.requestsPerSecond) / 2;
    const loadedRssMb = rssMb(daemon.child.pid);
    await daemon.stop();
    await baselineServer.stop();

    // Idle memory: a fresh daemon over the same 10,000 gateways, left alone for a moment.
    progress('idle memory');
    const idle = await startServer(serveArgs, env);
    running.push(idle);
    await sleep(3000);
    const idleRssMb = rssMb(idle.child.pid);
    await idle.stop();

    const result = {
      gateways: GATEWAYS,
      connections: CONNECTIONS,
      durationSeconds: DURATION_S,
      baseline: { requestsPerSecond: round(baselineRps, 0), before: baselineBefore, after: baselineAfter },
      getGateway: { ...get, ratio: round(get.requestsPerSecond / baselineRps, 3) },
      listPage50: { path: listPath, ...list, ratio: round(list.requestsPerSecond / baselineRps, 3) },
      listPage50AnyPage: { pages: pagePaths.length, ...mixed, ratio: round(mixed.requestsPerSecond / baselineRps, 3) },
      memory: { idleRssMb, afterLoadRssMb: loadedRssMb },
      targets: TARGETS,
    };
    result.pass =
      result.getGateway.ratio >= TARGETS.getRatio &&
      result.listPage50.ratio >= TARGETS.listRatio &&
      get.p99Ms <= TARGETS.p99Ms &&
      list.p99Ms <= TARGETS.p99Ms &&
      idleRssMb <= TARGETS.idleRssMb;
    return result;
  } finally {
    await Promise.all(running.map((server) => server.stop()));
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  }
}
