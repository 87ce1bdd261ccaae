/**
 * What runs where: a resource × gateway matrix, and drift between the rows and what each
 * gateway actually lists.
 */
import { RESOURCE_KINDS, type DeployedResource, type GatewayTarget, type ResourceKind } from '../../adapters/adapter.js';
import { specMatches } from '../../domain/manifests.js';
import type { DeploymentMatrix, DriftItem, DriftKind, DriftReport } from '../../domain/resources.js';
import type { DeploymentRow } from '../../store/repositories/deployments.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';
import type { ResourceRecord, RevisionRecord } from '../../store/repositories/resources.js';
import { forEachLimit } from '../pool.js';
import { DEFAULT_DEPLOY_CONCURRENCY, messageOf } from './results.js';
import type { DeploymentScope } from './scope.js';

/** Resources × gateways of an environment: one row per resource deployed to any of them. */
export async function matrix(scope: DeploymentScope, environmentRef: string): Promise<DeploymentMatrix> {
  const environment = await scope.requireEnvironment(environmentRef);
  const gateways = await scope.gateways.list({ environment: environment.uuid });
  const rows = await scope.deployments.list({ environmentUuid: environment.uuid });
  const resources = new Map<string, DeploymentMatrix['resources'][number]>();
  for (const row of rows) {
    let entry = resources.get(row.resourceUuid);
    if (entry === undefined) {
      entry = {
        uuid: row.resourceUuid,
        kind: row.resourceKind,
        name: row.resourceName,
        revision: row.resourceRevision,
        cells: Object.fromEntries(gateways.map((g) => [g.name, null])),
      };
      resources.set(row.resourceUuid, entry);
    }
    entry.cells[row.gatewayName] = {
      status: row.status,
      revision: row.revision,
      deployedRevision: row.deployedRevision,
      current: row.deployedRevision === row.resourceRevision,
    };
  }
  return {
    environment: { uuid: environment.uuid, name: environment.name },
    gateways: gateways.map((g) => ({ uuid: g.uuid, name: g.name, type: g.type, status: g.status })),
    resources: [...resources.values()],
  };
}

/** Desired state (the rows) against what each gateway of the environment lists. */
export async function drift(scope: DeploymentScope, environmentRef: string): Promise<DriftReport> {
  const environment = await scope.requireEnvironment(environmentRef);
  const gateways = await scope.gateways.list({ environment: environment.uuid });
  const rows = await scope.deployments.list({ environmentUuid: environment.uuid });
  const revisions = await scope.resources.revisions([...new Set(rows.map((r) => r.resourceUuid))]);
  const known = new Map((await scope.resources.list()).map((r) => [`${r.kind}/${r.name}`, r]));
  const rowsByGateway = new Map<string, DeploymentRow[]>();
  for (const row of rows) rowsByGateway.set(row.gatewayUuid, [...(rowsByGateway.get(row.gatewayUuid) ?? []), row]);
  const items: DriftItem[] = [];
  await forEachLimit(gateways, DEFAULT_DEPLOY_CONCURRENCY, async (gateway) => {
    items.push(...(await driftOf(scope, gateway, rowsByGateway.get(gateway.uuid) ?? [], revisions, known)));
  });
  items.sort((a, b) => a.gateway.localeCompare(b.gateway) || `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
  const summary: Record<DriftKind, number> = { missing: 0, unexpected: 0, outdated: 0, modified: 0, unreachable: 0 };
  for (const item of items) summary[item.drift]++;
  return { environment: { uuid: environment.uuid, name: environment.name }, inSync: items.length === 0, gatewaysChecked: gateways.length, items, summary };
}

/**
 * Settles in-flight rows abandoned by a process that is gone: the gateway is asked whether it

/** What one gateway holds against what its rows say it should. */
export async function driftOf(
  scope: DeploymentScope,
  gateway: GatewayRecord,
  rows: DeploymentRow[],
  revisions: Map<string, RevisionRecord[]>,
  known: Map<string, ResourceRecord>,
): Promise<DriftItem[]> {
  const item = (drift: DriftKind, fields: Partial<DriftItem> & { detail: string }): DriftItem => ({
    gateway: gateway.name,
    gatewayId: gateway.uuid,
    drift,
    kind: null,
    name: null,
    expectedRevision: null,
    actualRevision: null,
    ...fields,
  });
  let target: GatewayTarget;
  const held = new Map<string, DeployedResource>();
  try {
    target = scope.target(gateway);
    const listings = await Promise.all(RESOURCE_KINDS.map((kind) => scope.context.adapter.listResources(target, kind)));
    for (const resource of listings.flat()) held.set(`${resource.kind}/${resource.name}`, resource);
  } catch (error) {
    return [item('unreachable', { detail: `cannot list what the gateway holds: ${messageOf(error)}` })];
  }
  const items: DriftItem[] = [];
  const wanted = new Set<string>();
  for (const row of rows) {
    if (row.operation !== 'deploy' || row.status === 'UNDEPLOYED') continue;
    const key = `${row.resourceKind}/${row.resourceName}`;
    wanted.add(key);
    const fields = { kind: row.resourceKind, name: row.resourceName, expectedRevision: row.resourceRevision };
    const found = held.get(key);
    if (found === undefined) {
      const why = row.status === 'FAILED' ? `the last deploy failed: ${row.errorMessage ?? 'unknown error'}` : `recorded ${row.status} at revision ${row.revision}`;
      items.push(item('missing', { ...fields, detail: `not on the gateway (${why})` }));
      continue;
    }
    const spec = found.manifest?.spec ?? (await scope.context.adapter.getResource(target, row.resourceKind, row.resourceName).catch(() => null))?.spec;
    if (spec === undefined) continue; // the gateway lists names only and would not show this one: presence is all we know
    const actual = matchRevision(row.resourceKind, spec, revisions.get(row.resourceUuid) ?? [], row.deployedRevision);
    if (actual === row.resourceRevision) continue;
    if (actual !== null) {
      items.push(item('outdated', { ...fields, actualRevision: actual, detail: `holds revision ${actual}; the latest is ${row.resourceRevision}` }));
    } else {
      items.push(item('modified', { ...fields, detail: 'holds a spec that matches no revision (changed on the gateway?)' }));
    }
  }
  for (const [key, resource] of held) {
    if (wanted.has(key)) continue;
    const record = known.get(key);
    const row = rows.find((r) => `${r.resourceKind}/${r.resourceName}` === key);
    const detail =
      row !== undefined
        ? `agentgw recorded it ${row.status}${row.operation === 'undeploy' ? ' (undeployed)' : ''}, but the gateway holds it`
        : record !== undefined
          ? 'known to agentgw but never deployed to this gateway'
          : 'unknown to agentgw';
    items.push(item('unexpected', { kind: resource.kind, name: resource.name, expectedRevision: record?.revision ?? null, detail }));
  }
  return items;
}

/**
 * The revision the gateway's copy of a spec is: the newest that matches, exactly first, then
 * tolerating defaults. Revisions that differ only in secret values look the same on a gateway
 * (it never returns them): among those, `recorded` (the revision the gateway was last given) is
 * the one it holds. So a changed API key whose deploy has not run shows as outdated.
 */
export function matchRevision(kind: ResourceKind, spec: Record<string, unknown>, revisions: RevisionRecord[], recorded: number | null): number | null {
  for (const exact of [true, false]) {
    const matching = revisions.filter((r) => specMatches(kind, r.spec, spec, exact)).map((r) => r.revision);
    if (matching.length > 0) return recorded !== null && matching.includes(recorded) ? recorded : matching[0]!;
  }
  return null;
}
