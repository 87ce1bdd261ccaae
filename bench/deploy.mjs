// Issue 6's figure: deploy one resource to an environment of 1,000 simulated gateways (20 ms
// latency each) through the deployment service — a row written PENDING before each call and
// settled after it, in the embedded SQLite store — against the floor N × latency / C. The
// latency in the floor is measured in the same run: the median of single gateway calls made one
// at a time through the same adapter (the simulator's 20 ms plus loopback HTTP); the nominal
// floor (20 ms) is reported beside it. Also in the same run, at the same concurrency: the bare
// adapter fan-out (the same 1,000 creates, no database), so what the service itself adds is
// visible apart from what the HTTP path costs on this machine. One untimed deploy warms up
// first; each timed deploy starts from gateways that do not hold the resource (the previous one
// is undeployed). A re-run, which only checks that every gateway still holds it, is timed too.
// Target: ≤ 2× the floor, no failed gateway, at the concurrency `agentgw deploy` uses unless told
// otherwise (32) and at 50. The run at 100 shows how far it scales on this machine: there the
// bare adapter fan-out alone is near the target, the simulator and the control plane sharing two
// cores; it is reported, not judged.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { median, round } from './support.mjs';
import { importSources, pool, startSimulator } from './source.mjs';

const silent = { warn: () => {}, info: () => {}, debug: () => {} };
const MANIFEST = 'test/unit/simulators/fixtures/gateway-controller-examples/openai-provider.yaml';
const BASELINE_CALLS = 40;

export async function run({ gateways = 1000, latencyMs = 20, concurrencies = [32, 50, 100], judged = [32, 50] } = {}) {
  const { runtime: runtimeModule, load, deployments, resources, credentials } = await importSources({
    runtime: 'src/runtime/runtime.ts',
    load: 'src/config/load.ts',
    deployments: 'src/services/deployments/index.ts',
    resources: 'src/services/resources.ts',
    credentials: 'src/services/credentials.ts',
  });
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-bench-deploy-'));
  // The baseline's gateways are extra ones: the measured deploys start from gateways holding nothing.
  const sim = await startSimulator(gateways + BASELINE_CALLS, latencyMs);
  let runtime;
  try {
    runtime = await openDeployFixture({ runtimeModule, load, resources }, dir, sim, gateways + BASELINE_CALLS);
    const context = runtime.context();
    const manifest = parse(readFileSync(MANIFEST, 'utf8'));
    const service = new deployments.DeploymentService(context);

    // The baseline: one gateway call at a time, after a few to warm the JIT and open a socket.
    const baselineGateways = await runtime.store.db.selectFrom('gateways').selectAll().where('name', 'like', 'base-%').orderBy('name').execute();
    const targets = baselineGateways.map((row) => credentials.toTarget(toRecord(row), context.secrets));
    const single = [];
    for (const [i, target] of targets.entries()) {
      const started = performance.now();
      await runtime.adapter.getResource(target, 'LlmProvider', 'openai-provider');
      if (i >= 5) single.push(performance.now() - started);
    }
    const latency = median(single);

    const resource = { resource: 'LlmProvider/openai-provider', environment: 'bench' };
    const undeployAll = async () => {
      const undo = await service.undeploy({ ...resource, concurrency: 200 });
      if (undo.summary.failed > 0) throw new Error(`undeploy failed on ${undo.summary.failed} gateway(s)`);
    };
    await service.deploy({ ...resource, concurrency: Math.max(...concurrencies) });
    await undeployAll();

    const benchGateways = await runtime.store.db.selectFrom('gateways').selectAll().where('name', 'like', 'gw-%').orderBy('name').execute();
    const benchTargets = benchGateways.map((row) => credentials.toTarget(toRecord(row), context.secrets));
    const runs = [];
    for (const concurrency of concurrencies) {
      // The bare adapter: the same creates (under another name, so they are creates too).
      const probe = { ...manifest, metadata: { name: `adapter-only-${concurrency}` } };
      const adapterStarted = performance.now();
      await pool(benchTargets, concurrency, (target) => runtime.adapter.deployResource(target, probe));
      const adapterOnlyMs = performance.now() - adapterStarted;

      const started = performance.now();
      const report = await service.deploy({ ...resource, concurrency });
      const totalMs = performance.now() - started;
      const rerunStarted = performance.now();
      const rerun = await service.deploy({ ...resource, concurrency });
      const rerunMs = performance.now() - rerunStarted;
      const floorMs = (gateways * latency) / concurrency;
      runs.push({
        concurrency,
        totalMs: round(totalMs),
        floorMs: round(floorMs),
        ratio: round(totalMs / floorMs),
        nominalFloorMs: round((gateways * latencyMs) / concurrency),
        ratioToNominalFloor: round(totalMs / ((gateways * latencyMs) / concurrency)),
        adapterOnlyMs: round(adapterOnlyMs),
        adapterOnlyRatio: round(adapterOnlyMs / floorMs),
        serviceOverhead: round(totalMs / adapterOnlyMs),
        deployed: report.summary.changed,
        failed: report.summary.failed,
        rerunMs: round(rerunMs),
        rerunRatio: round(rerunMs / floorMs),
        rerunUnchanged: rerun.summary.unchanged,
      });
      await undeployAll();
    }
    return {
      gateways,
      latencyMs,
      singleCallMedianMs: round(latency),
      runs,
      target: `ratio ≤ 2 at concurrency ${judged.join(' and ')}, failed = 0 everywhere`,
      pass: runs.every((r) => (!judged.includes(r.concurrency) || r.ratio <= 2) && r.failed === 0 && r.deployed === gateways && r.rerunUnchanged === gateways),
    };
  } finally {
    await runtime?.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Gateways as registration would store them, written directly: registering 1,000 is not what is measured. */
/**
 * The runtime every deploy-shaped bench starts from: embedded SQLite in `dir`, `count` gateways on
 * the simulator `sim`, and the provider manifest applied (not yet deployed).
 */
export async function openDeployFixture({ runtimeModule, load, resources }, dir, sim, count) {
  const { config } = await load.loadConfig({
    cwd: dir,
    env: { AGENTGW_CONFIG_DIR: join(dir, 'none') },
    flags: { 'database.url': `sqlite:${join(dir, 'agentgw.sqlite')}`, 'secrets.key': Buffer.alloc(32, 7).toString('base64') },
  });
  const runtime = await runtimeModule.openRuntime({ config, logger: silent, migrate: true });
  const context = runtime.context();
  await seedGateways(runtime.store, context.organizationId, count, sim);
  await new resources.ResourceService(context).apply(parse(readFileSync(MANIFEST, 'utf8')));
  return runtime;
}

export async function seedGateways(store, organizationId, count, sim) {
  const now = new Date().toISOString();
  const environmentUuid = randomUUID();
  await store.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('environments')
      .values({ uuid: environmentUuid, organization_uuid: organizationId, name: 'bench', display_name: 'bench', description: null, version: 1, created_at: now, updated_at: now })
      .execute();
    for (let i = 1; i <= count; i++) {
      const uuid = randomUUID();
      const baseline = i > count - BASELINE_CALLS;
      const name = baseline ? `base-${i}` : `gw-${String(i).padStart(5, '0')}`;
      const controlPlaneUrl = sim.urlOf(`gw-${i}`);
      await trx
        .insertInto('gateways')
        .values({
          uuid,
          organization_uuid: organizationId,
          name,
          display_name: name,
          gateway_type: 'EGRESS',
          status: 'ACTIVE',
          status_changed_at: now,
          control_plane_url: controlPlaneUrl,
          adapter_type: 'on-premise',
          adapter_config: JSON.stringify({ controlPlaneUrl, apiBasePath: '/api/management/v1', healthUrl: sim.healthUrlOf(`gw-${i}`) }),
          metadata: '{}',
          version: 1,
          consecutive_failures: 0,
          consecutive_successes: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      if (!baseline) await trx.insertInto('gateway_environment_mappings').values({ gateway_uuid: uuid, environment_uuid: environmentUuid, created_at: now }).execute();
    }
  });
}

/** The fields of a gateway row that `toTarget` reads. */
export function toRecord(row) {
  return {
    uuid: row.uuid,
    name: row.name,
    type: row.gateway_type,
    adapterType: row.adapter_type,
    controlPlaneUrl: row.control_plane_url,
    endpoint: row.endpoint,
    region: row.region,
    adapterConfig: JSON.parse(row.adapter_config),
    credentials: row.credentials,
    status: row.status,
  };
}
