// `agentgw --version`, `agentgw gateway list --all -o json` over 1,000 gateways in the embedded SQLite
// store, and `agentgw env list`, each as a ratio to `node -e 0` of the same Node measured in the
// same run. Run it on each supported Node: `npm run bench -- cli-startup` runs the default node,
// `PATH=/path/to/node22/bin:$PATH npm run bench -- cli-startup` another (its better-sqlite3 addon
// built for it).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, median, round, timeCommand, timeInterleaved } from './support.mjs';

const GATEWAYS = 1000;

function seed(dataDir, env) {
  timeCommand([BIN, 'env', 'list'], env, 1); // creates and migrates the store
  const db = new Database(join(dataDir, 'agentgw.sqlite'));
  const production = db.prepare("select uuid, organization_uuid from environments where name = 'production'").get();
  const now = new Date().toISOString();
  const insertGateway = db.prepare(`insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, status, status_changed_at,
    control_plane_url, adapter_type, adapter_config, metadata, version, consecutive_failures, consecutive_successes, created_at, updated_at)
    values (?, ?, ?, ?, 'EGRESS', 'ACTIVE', ?, ?, 'on-premise', '{"apiBasePath":"/api/management/v1"}', '{}', 1, 0, 1, ?, ?)`);
  const insertMapping = db.prepare('insert into gateway_environment_mappings (gateway_uuid, environment_uuid, created_at) values (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < GATEWAYS; i++) {
      const uuid = randomUUID();
      const name = `gw-${String(i).padStart(5, '0')}`;
      insertGateway.run(uuid, production.organization_uuid, name, name, now, `http://10.0.${i >> 8}.${i & 255}:9090`, now, now);
      insertMapping.run(uuid, production.uuid, now);
    }
  })();
  db.close();
}

export async function run({ runs = 31 } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'agentgw-bench-'));
  const dataDir = join(home, 'data');
  const env = { PATH: process.env.PATH, HOME: home, AGENTGW_DATA_DIR: dataDir, AGENTGW_CONFIG_DIR: join(home, 'config'), NO_COLOR: '1' };
  try {
    seed(dataDir, env);
    const samples = timeInterleaved(
      {
        node: ['-e', '0'],
        version: [BIN, '--version'],
        list: [BIN, 'gateway', 'list', '--all', '-o', 'json'],
        envList: [BIN, 'env', 'list'],
      },
      env,
      runs,
    );
    const baseline = median(samples.node);
    return {
      node: process.version,
      baselineMs: round(baseline),
      versionMs: round(median(samples.version)),
      listMs: round(median(samples.list)),
      envListMs: round(median(samples.envList)),
      versionRatio: round(median(samples.version) / baseline),
      listRatio: round(median(samples.list) / baseline),
      envListRatio: round(median(samples.envList) / baseline),
      // Issue 17's targets, on Node 22.
      targets: { versionRatio: 1.3, listRatio: 2 },
      gateways: GATEWAYS,
      runs,
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
