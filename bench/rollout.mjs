// Issue 21's figure: a canary rollout (`--steps 1,25%,100% --pause 0`, no gates) of one resource
// to 1,000 simulated gateways (20 ms latency each) against the same deploy to all at once
// (`--strategy all`), both through the services in the embedded SQLite store, at concurrency 32.
// Each timed run starts from gateways that do not hold the resource; the order alternates and
// each is run `rounds` times, the medians compared. Target: canary ≤ 1.2× all, nothing failed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDeployFixture } from './deploy.mjs';
import { median, round } from './support.mjs';
import { importSources, startSimulator } from './source.mjs';

const BASELINE_GATEWAYS = 40;

export async function run({ gateways = 1000, latencyMs = 20, concurrency = 32, rounds = 5 } = {}) {
  const { runtime: runtimeModule, load, deployments, resources, rollouts } = await importSources({
    runtime: 'src/runtime/runtime.ts',
    load: 'src/config/load.ts',
    deployments: 'src/services/deployments/index.ts',
    resources: 'src/services/resources.ts',
    rollouts: 'src/services/rollouts/index.ts',
  });
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-bench-rollout-'));
  const sim = await startSimulator(gateways + BASELINE_GATEWAYS, latencyMs);
  let runtime;
  try {
    runtime = await openDeployFixture({ runtimeModule, load, resources }, dir, sim, gateways + BASELINE_GATEWAYS);
    const context = runtime.context();
    const service = new deployments.DeploymentService(context);
    const target = { resource: 'LlmProvider/openai-provider', environment: 'bench' };
    const undeployAll = async () => {
      const undo = await service.undeploy({ ...target, concurrency: 200 });
      if (undo.summary.failed > 0) throw new Error(`undeploy failed on ${undo.summary.failed} gateway(s)`);
    };
    const all = async () => {
      const report = await service.deploy({ ...target, concurrency });
      return report.summary.failed === 0 && report.summary.changed === gateways;
    };
    const canary = async () => {
      const started = await new rollouts.RolloutService(context).start({ ...target, steps: ['1', '25%', '100%'], pauseMs: 0, concurrency });
      await rollouts.rolloutsSettled();
      const done = await new rollouts.RolloutService(context).get(started.uuid);
      return done.state === 'succeeded';
    };
    // Warm-up, untimed.
    await all();
    await undeployAll();
    const times = { all: [], canary: [] };
    let ok = true;
    for (let round_ = 0; round_ < rounds; round_++) {
      for (const [name, deploy] of round_ % 2 === 0 ? [['all', all], ['canary', canary]] : [['canary', canary], ['all', all]]) {
        const started = performance.now();
        ok = (await deploy()) && ok;
        times[name].push(performance.now() - started);
        await undeployAll();
      }
    }
    const allMs = median(times.all);
    const canaryMs = median(times.canary);
    return {
      gateways,
      latencyMs,
      concurrency,
      rounds,
      allMs: round(allMs),
      canaryMs: round(canaryMs),
      ratio: round(canaryMs / allMs),
      target: 'canary (1,25%,100%, pause 0) ≤ 1.2× all at once, every gateway deployed',
      pass: ok && canaryMs / allMs <= 1.2,
    };
  } finally {
    await runtime?.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
