/**
 * Reconciliation of in-flight rows, branch by branch, on SQLite and PostgreSQL: rows of a dead
 * process on this host are settled from what the gateway holds; rows of a live process (or of
 * this one) are left alone; rows of another host wait for their lease. The clock is injected, so
 * no test waits for a lease to run out.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceManifest } from '../../src/adapters/adapter.js';
import { attemptOwner, DEPLOY_LEASE_MS, DeploymentService } from '../../src/services/deployments/index.js';
import { DeploymentRepository } from '../../src/store/repositories/deployments.js';
import { createHarness, type BackendMode, type Harness } from '../support/harness.js';

const manifest = parse(readFileSync('test/unit/simulators/fixtures/gateway-controller-examples/openai-provider.yaml', 'utf8')) as ResourceManifest;
const GATEWAYS = ['rc-held', 'rc-absent', 'rc-down', 'rc-live', 'rc-mine', 'rc-remote', 'rc-undeploy-gone', 'rc-undeploy-held'];

/** A pid no process has (so its owner is dead). */
function deadPid(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

describe.each(['local-sqlite', 'local-pg'] as BackendMode[])('reconciliation: %s', (mode) => {
  let h: Harness;
  const uuids = new Map<string, string>();
  let resourceUuid: string;

  beforeAll(async () => {
    h = await createHarness(mode);
    for (const name of GATEWAYS) {
      h.sim.addGateway({ name });
      const gateway = await h.client.gateways.register({ name, gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: h.sim.urlOf(name) } });
      uuids.set(name, gateway.uuid);
    }
    resourceUuid = (await h.client.resources.apply(manifest))[0]!.uuid;
  });
  afterAll(async () => {
    await h?.close();
  });

  const put = (name: string) =>
    fetch(`${h.sim.urlOf(name)}/api/management/v1/llm-providers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(manifest) });
  const status = async (name: string) =>
    h.runtime.store.db
      .selectFrom('deployments')
      .select(['status', 'deployed_revision', 'error_message'])
      .where('gateway_uuid', '=', uuids.get(name)!)
      .executeTakeFirstOrThrow();

  it('settles the rows of dead processes from what each gateway holds, and leaves live ones alone', async () => {
    const repository = new DeploymentRepository(h.runtime.store, null);
    const now = new Date();
    const dead = { id: randomUUID(), owner: `${hostname()}/${deadPid()}/${randomUUID()}` };
    const claim = (names: string[], attempt: { id: string; owner: string }) =>
      repository.claimDeploy(
        resourceUuid,
        1,
        names.map((n) => uuids.get(n)!),
        attempt,
        now,
      );
    await claim(['rc-held', 'rc-absent', 'rc-down', 'rc-undeploy-gone', 'rc-undeploy-held'], dead);
    await claim(['rc-live'], { id: randomUUID(), owner: `${hostname()}/${process.ppid}/${randomUUID()}` });
    await claim(['rc-mine'], { id: randomUUID(), owner: attemptOwner() });
    await claim(['rc-remote'], { id: randomUUID(), owner: `another-host.example/1234/${randomUUID()}` });
    // Two undeploys interrupted: one had removed the resource, the other had not yet.
    const undeploying = await h.runtime.store.db
      .selectFrom('deployments')
      .select('uuid')
      .where('gateway_uuid', 'in', [uuids.get('rc-undeploy-gone')!, uuids.get('rc-undeploy-held')!])
      .execute();
    await repository.claimUndeploy(
      undeploying.map((r) => r.uuid),
      dead,
      now,
    );
    // What the gateways hold: the call reached rc-held before the process died, not rc-absent.
    await put('rc-held');
    await put('rc-undeploy-held');
    h.sim.setFaults('rc-down', { down: true });

    const service = new DeploymentService(h.runtime.context());
    expect(await service.reconcile()).toBe(5);
    expect(await status('rc-held')).toMatchObject({ status: 'DEPLOYED', deployed_revision: 1, error_message: null });
    expect(await status('rc-absent')).toMatchObject({ status: 'FAILED', deployed_revision: null, error_message: 'interrupted before the gateway took it; deploy again' });
    expect(await status('rc-down')).toMatchObject({ status: 'FAILED', error_message: expect.stringMatching(/^interrupted; the gateway could not be asked/) });
    expect(await status('rc-undeploy-gone')).toMatchObject({ status: 'UNDEPLOYED', deployed_revision: null });
    expect(await status('rc-undeploy-held')).toMatchObject({ status: 'FAILED', deployed_revision: 1, error_message: 'undeploy interrupted; the gateway holds revision 1' });
    for (const name of ['rc-live', 'rc-mine', 'rc-remote']) expect((await status(name)).status).toBe('PENDING');

    // Another host's row waits for its lease; once it lapses, it is settled too.
    const later = new DeploymentService({ ...h.runtime.context(), clock: () => new Date(now.getTime() + DEPLOY_LEASE_MS + 1000) });
    h.sim.setFaults('rc-down', { down: undefined });
    expect(await later.reconcile()).toBe(3);
    for (const name of ['rc-live', 'rc-mine', 'rc-remote']) expect((await status(name)).status).toBe('FAILED');
  });
});
