/**
 * A delete racing a deploy to the same gateway, 200 times at once, on every backend: exactly one
 * of them wins each pair, the loser is told why, and nothing is orphaned — no deployment row
 * without its gateway, no resource on a simulated gateway whose row is gone, none held without
 * a DEPLOYED record.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceManifest } from '../../src/adapters/adapter.js';
import { AgentgwError } from '../../src/domain/errors.js';
import type { DeployReport } from '../../src/domain/resources.js';
import { forEachLimit } from '../../src/services/pool.js';
import { createHarness, type BackendMode, type Harness } from '../support/harness.js';

const MODES: BackendMode[] = ['local-sqlite', 'local-pg', 'remote'];
const PAIRS = 200;
const NAMES = Array.from({ length: PAIRS }, (_, i) => `race-${String(i).padStart(3, '0')}`);
const manifest = parse(readFileSync('test/unit/simulators/fixtures/gateway-controller-examples/openai-provider.yaml', 'utf8')) as ResourceManifest;

describe.each(MODES)('delete racing deploy: %s', (mode) => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(mode);
    await h.client.environments.create({ name: 'race' });
    for (const name of NAMES) h.sim.addGateway({ name });
    await forEachLimit(NAMES, 16, async (name) => {
      const register = () => h.client.gateways.register({ name, gatewayType: 'EGRESS', environmentIds: ['race'], adapterConfig: { controlPlaneUrl: h.sim.urlOf(name) } });
      // Setup, not the subject: a registration's single (never retried) health check can meet a
      // kept-alive socket the simulator just closed on a loaded machine.
      await register().catch(register);
    });
    await h.client.resources.apply(manifest);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it(`${PAIRS} pairs: one winner each, the loser told why, zero orphans`, async () => {
    // Each side of each pair starts at its own offset in [0, 1500) ms (seeded, so a run can be
    // repeated): per pair, either may go first, and many overlap at every step of each other.
    let seed = 42;
    const offset = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 1500;
    };
    const after = <T>(ms: number, run: () => Promise<T>) => new Promise((resolve) => setTimeout(resolve, ms)).then(run);
    const outcomes = await Promise.all(
      NAMES.map(async (name) => {
        const [deploy, remove] = await Promise.allSettled([
          after(offset(), () => h.client.deployments.deploy({ resource: 'LlmProvider/openai-provider', gateway: name })),
          after(offset(), () => h.client.gateways.delete(name)),
        ]);
        return { name, deploy, remove };
      }),
    );

    let deployWins = 0;
    let deleteWins = 0;
    for (const { name, deploy, remove } of outcomes) {
      const deployed = deploy.status === 'fulfilled' && deploy.value.results[0]?.ok === true;
      const deleted = remove.status === 'fulfilled';
      expect(deployed !== deleted, `${name}: exactly one of deploy and delete wins`).toBe(true);
      if (deployed) {
        deployWins++;
        const reason = (remove as PromiseRejectedResult).reason as AgentgwError;
        expect(reason).toBeInstanceOf(AgentgwError);
        expect(reason.code).toBe('AGW_GATEWAY_HAS_DEPLOYMENTS');
        expect(reason.message).toContain(`LlmProvider/openai-provider@${name}`);
      } else {
        deleteWins++;
        if (deploy.status === 'rejected') {
          // The gateway was gone before the deploy looked it up.
          expect((deploy.reason as AgentgwError).code).toBe('AGW_NOT_FOUND');
          expect((deploy.reason as AgentgwError).message).toContain(name);
        } else {
          const result = (deploy.value as DeployReport).results[0]!;
          expect(result.ok).toBe(false);
          expect(result.error).toMatch(/was deleted|is being decommissioned/);
        }
      }
    }
    expect(deployWins + deleteWins).toBe(PAIRS);
    console.info(`${mode}: ${deployWins} deploys won, ${deleteWins} deletes won`);

    const db = h.runtime.store.db;
    const orphans = await db
      .selectFrom('deployments as d')
      .leftJoin('gateways as g', 'g.uuid', 'd.gateway_uuid')
      .select('d.uuid')
      .where('g.uuid', 'is', null)
      .execute();
    expect(orphans).toEqual([]);
    const remaining = new Set((await db.selectFrom('gateways').select('name').execute()).map((g) => g.name));
    const deployed = new Set(
      (await h.client.deployments.list({ resource: 'LlmProvider/openai-provider' })).filter((d) => d.status === 'DEPLOYED').map((d) => d.gateway.name),
    );
    expect(await db.selectFrom('deployments').select('uuid').where('status', 'in', ['PENDING', 'UNDEPLOYING']).execute()).toEqual([]);
    for (const name of NAMES) {
      const held = h.sim.resources(name).some((r) => r.name === 'openai-provider');
      if (held) {
        expect(remaining.has(name), `${name} holds the resource, so its gateway must still exist`).toBe(true);
        expect(deployed.has(name), `${name} holds the resource, so its deployment must be recorded`).toBe(true);
      }
      expect(remaining.has(name)).toBe(deployed.has(name));
    }
    // Both outcomes happen in practice; a race that one side always wins proves little.
    expect(deployWins).toBeGreaterThan(0);
    expect(deleteWins).toBeGreaterThan(0);
  }, 120_000);

  it('the database itself refuses to delete a gateway or a resource that has deployment rows', async () => {
    const { db, codec } = h.runtime.store;
    h.sim.addGateway({ name: 'race-fk' });
    await h.client.gateways.register({ name: 'race-fk', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: h.sim.urlOf('race-fk') } });
    expect((await h.client.deployments.deploy({ resource: 'LlmProvider/openai-provider', gateway: 'race-fk' })).summary.failed).toBe(0);
    const row = await db
      .selectFrom('deployments as d')
      .innerJoin('gateways as g', 'g.uuid', 'd.gateway_uuid')
      .select(['d.gateway_uuid', 'd.resource_uuid'])
      .where('g.name', '=', 'race-fk')
      .executeTakeFirstOrThrow();
    const failure = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (error) {
        return error;
      }
      throw new Error('expected the statement to fail');
    };
    // No service, no check: the bare statement, as a buggy or concurrent writer would send it.
    expect(codec.isForeignKeyViolation(await failure(() => db.deleteFrom('gateways').where('uuid', '=', row.gateway_uuid).execute()))).toBe(true);
    expect(codec.isForeignKeyViolation(await failure(() => db.deleteFrom('resources').where('uuid', '=', row.resource_uuid).execute()))).toBe(true);
    expect(await db.selectFrom('gateways').select('uuid').where('uuid', '=', row.gateway_uuid).execute()).toHaveLength(1);
  });
});
