// The scale benchmarks' fleet (bench/scale.mjs, bench/scale-capacity.mjs): simulators, the fleet
// written straight into the bench's schema, daemons, what each daemon's /metrics says, and every
// gateway's recorded check times read back from the simulators.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startServer } from './daemon.mjs';
import { pool, startSimulator } from './source.mjs';
import { BIN, round } from './support.mjs';

export const DATABASE = process.env.AGENTGW_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';
export const knob = (name, fallback) => Number(process.env[`AGENTGW_BENCH_SCALE_${name}`] ?? fallback);
export const progress = (message) => process.stderr.write(`  scale: ${message}\n`);

/**
 * A fresh schema (migrated by a daemon started without its monitor), `gateways` simulated
 * gateways from simulators of `perSimulator` each, and the `agentgw serve` arguments and
 * environment for daemons on it. `parked`: the fleet is stored as cloud gateways, which an
 * on-premise daemon never claims, for the caller to hand over a part at a time (`activate`).
 */
export async function openFleet({ gateways, perSimulator, latencyMs, intervalMs, timeoutMs, concurrency, parked = false }) {
  const schema = `bench_scale_${process.pid}`;
  const databaseUrl = `${DATABASE}${DATABASE.includes('?') ? '&' : '?'}schema=${schema}`;
  const home = mkdtempSync(join(tmpdir(), 'agentgw-bench-scale-'));
  const configFile = join(home, 'agentgw.config.yaml');
  writeFileSync(
    configFile,
    `gateway:\n  adapter:\n    onPremise:\n      healthCheck:\n        interval: ${intervalMs}ms\n        timeout: ${timeoutMs}ms\n        concurrency: ${concurrency}\n`,
  );
  const env = {
    AGENTGW_LOG_LEVEL: 'warn',
    AGENTGW_CONFIG: configFile,
    AGENTGW_CONFIG_DIR: join(home, 'config'),
    AGENTGW_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    NO_COLOR: '1',
  };
  const serveArgs = [BIN, 'serve', '--port', '0', '--database', databaseUrl];
  const fleet = { schema, home, env, serveArgs, sims: [], admin: postgres(DATABASE, { max: 1, onnotice: () => {} }) };
  progress(`${Math.ceil(gateways / perSimulator)} simulator process(es) for ${gateways} gateways`);
  for (let start = 0; start < gateways; start += perSimulator) {
    const count = Math.min(perSimulator, gateways - start);
    fleet.sims.push({ start, count, sim: await startSimulator(count, latencyMs) });
  }
  progress('migrating a fresh schema and writing the fleet');
  await (await startServer([...serveArgs, '--no-monitor'], env)).stop();
  await inSchema(fleet, async (sql) => {
    for (const { start, count, sim } of fleet.sims) await seed(sql, sim, start, count, parked ? 'cloud' : 'on-premise');
    await sql`analyze gateways`;
  });
  return fleet;
}

export async function closeFleet(fleet) {
  await Promise.all(fleet.sims.map(({ sim }) => sim.stop()));
  await fleet.admin.unsafe(`drop schema if exists "${fleet.schema}" cascade`);
  await fleet.admin.end();
}

export async function inSchema(fleet, work) {
  const sql = postgres(DATABASE, { max: 1, onnotice: () => {}, connection: { search_path: fleet.schema } });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/** The simulator's gateways gw-1 … gw-count, stored as bench gateway s{start+i}, overdue and never checked. */
async function seed(sql, sim, start, count, adapterType) {
  const managementPrefix = sim.urlOf('');
  const [healthPrefix, healthSuffix] = sim.healthUrlOf('\u0000').split('\u0000');
  await sql`
    insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, control_plane_url, status,
                          adapter_config, adapter_type, metadata, version, status_changed_at,
                          consecutive_failures, consecutive_successes, next_check_at, created_at, updated_at)
    select gen_random_uuid(), ${DEFAULT_ORG}, 'gw-' || lpad((${start}::int + i)::text, 6, '0'), 'Gateway ' || (${start}::int + i), 'EGRESS',
           ${managementPrefix} || 'gw-' || i, 'ACTIVE',
           jsonb_build_object('controlPlaneUrl', ${managementPrefix} || 'gw-' || i, 'apiBasePath', '/api/management/v1',
                              'healthUrl', ${healthPrefix} || 'gw-' || i || ${healthSuffix}),
           ${adapterType}, '{}'::jsonb, 1, now(), 0, 1, now() - interval '1 day', now(), now()
    from generate_series(1, ${count}::int) as i`;
}

/** What a daemon's /metrics says now. */
export async function scrape(daemon) {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const sum = (pattern) => [...text.matchAll(pattern)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    cpuSeconds: sum(/^agentgw_process_cpu_seconds_total (\S+)$/gm),
    checks: sum(/^agentgw_monitor_checks_total\{[^}]*\} (\S+)$/gm),
    losses: sum(/^agentgw_monitor_lease_losses_total\{[^}]*\} (\S+)$/gm),
    lag: sum(/^agentgw_monitor_lag_seconds (\S+)$/gm),
  };
}

export async function tableRows(sql, schema) {
  const [row] = await sql`select coalesce(sum(n_tup_ins), 0)::bigint as inserted, coalesce(sum(n_tup_upd), 0)::bigint as updated,
                                 coalesce(sum(n_tup_hot_upd), 0)::bigint as hot
                          from pg_stat_user_tables where schemaname = ${schema}`;
  return { inserted: Number(row.inserted), updated: Number(row.updated), hot: Number(row.hot) };
}

export function peakRss(pid) {
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return round(kb / 1024, 1);
}

/** Every gateway's recorded check times since `since`, by stored name (gw-000001 …). */
export async function readStamps(sims, since) {
  const stamps = new Map();
  for (const { sim, start, count } of sims) {
    const names = Array.from({ length: count }, (_, i) => i + 1);
    await pool(names, 32, async (i) => {
      const response = await fetch(`${sim.baseUrl}/__sim/gateways/gw-${i}`);
      const times = (await response.json()).stats.healthCheckTimestamps.filter((t) => t >= since);
      stamps.set(`gw-${String(start + i).padStart(6, '0')}`, times);
    });
  }
  return stamps;
}
