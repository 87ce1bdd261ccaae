/** Turns stored records into the REST resources of the seed (DESIGN §2.1). */
import type { Environment, EnvironmentSummary, Gateway } from '../domain/types.js';
import type { EnvironmentRecord } from '../store/repositories/environments.js';
import type { GatewayRecord } from '../store/repositories/gateways.js';

export function presentEnvironment(record: EnvironmentRecord): Environment {
  return {
    uuid: record.uuid,
    organizationId: record.organizationId,
    name: record.name,
    displayName: record.displayName,
    description: record.description,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

export function presentGateway(record: GatewayRecord, environments: EnvironmentSummary[]): Gateway {
  return {
    uuid: record.uuid,
    organizationId: record.organizationId,
    name: record.name,
    displayName: record.displayName,
    type: record.type,
    status: record.status,
    statusChangedAt: record.statusChangedAt.toISOString(),
    endpoint: record.endpoint,
    controlPlaneUrl: record.controlPlaneUrl,
    region: record.region,
    adapterType: record.adapterType,
    // Stored without secrets: a secret field holds only {set: true}.
    adapterConfig: record.adapterConfig,
    environments,
    metadata: publicMetadata(record.metadata),
    lastHeartbeat: record.lastHeartbeat?.toISOString() ?? null,
    lastCheckedAt: record.lastCheckedAt?.toISOString() ?? null,
    responseTimeMs: record.responseTimeMs,
    errorMessage: record.errorMessage,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    version: record.version,
  };
}

/** Metadata keys starting with "_" are the control plane's own bookkeeping. */
function publicMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  // Most metadata has none: a list of a thousand gateways then copies instead of filtering.
  for (const key in metadata) {
    if (key.startsWith('_')) return Object.fromEntries(Object.entries(metadata).filter(([name]) => !name.startsWith('_')));
  }
  return { ...metadata };
}

/**
 * A gateway's JSON (UTF-8) in the two parts around its environments, which change without its
 * row: head, the environments' JSON and tail are exactly JSON.stringify(presentGateway(record,
 * environments)), as JSON.stringify writes an object's members one after another. Bytes, not
 * strings: a page is sent as the bytes of its gateways put together, without a string of it
 * copied and encoded again on the way out.
 */
export interface RenderedGateway {
  name: string;
  head: Buffer;
  tail: Buffer;
}

export function renderGateway(record: GatewayRecord): RenderedGateway {
  const members = Object.entries(presentGateway(record, []));
  const at = members.findIndex(([key]) => key === 'environments');
  const before = JSON.stringify(Object.fromEntries(members.slice(0, at)));
  const after = JSON.stringify(Object.fromEntries(members.slice(at + 1)));
  return { name: record.name, head: Buffer.from(`${before.slice(0, -1)},"environments":`), tail: Buffer.from(`,${after.slice(1)}`) };
}

/**
 * Renderings of gateways, each kept with the row version it was rendered from (PostgreSQL's
 * xmin, new with every write of the row), so a page re-renders a gateway only after its row
 * changed. Never stale: a reader asks for the version it has just read. Bounded in size, and in
 * age: a 32-bit xmin comes round again only after four billion transactions, far more than
 * anything commits in `maxAgeMs`.
 */
export class RenderedGateways {
  readonly #entries = new Map<string, { rowVersion: string; renderedAt: number; rendered: RenderedGateway }>();
  /** Gateways a page is rendering now: a page that needs them too waits for it. */
  readonly #rendering = new Map<string, Promise<void>>();

  constructor(
    private readonly maxEntries = 20_000,
    private readonly maxAgeMs = 10 * 60_000,
  ) {}

  get(uuid: string, rowVersion: string, now: number): RenderedGateway | undefined {
    const entry = this.#entries.get(uuid);
    return entry !== undefined && entry.rowVersion === rowVersion && now - entry.renderedAt < this.maxAgeMs ? entry.rendered : undefined;
  }

  /**
   * Renders the gateways of `uuids` with `render`, but those another page is rendering now:
   * for them it waits for that page, whose failure is that page's to report. So when a cold
   * cache meets a burst of requests for the same page, only the first reads and renders it.
   */
  async renderOnce(uuids: readonly string[], render: (uuids: string[]) => Promise<void>): Promise<void> {
    const waits = new Set<Promise<unknown>>();
    const mine: string[] = [];
    for (const uuid of uuids) {
      const theirs = this.#rendering.get(uuid);
      if (theirs === undefined) mine.push(uuid);
      else waits.add(theirs.catch(() => {}));
    }
    if (mine.length > 0) {
      const rendering = render(mine).finally(() => {
        for (const uuid of mine) if (this.#rendering.get(uuid) === rendering) this.#rendering.delete(uuid);
      });
      for (const uuid of mine) this.#rendering.set(uuid, rendering);
      waits.add(rendering);
    }
    await Promise.all(waits);
  }

  set(uuid: string, rowVersion: string, rendered: RenderedGateway, now: number): void {
    // Re-inserted at the end: the first entry is always the one rendered longest ago.
    this.#entries.delete(uuid);
    this.#entries.set(uuid, { rowVersion, renderedAt: now, rendered });
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

/**
 * The organization's environments as each gateway lists them: by name (the order of
 * `environments`, which PostgreSQL's collation decided), as JSON.
 */
export class EnvironmentSummariesJson {
  readonly #byUuid: Map<string, { rank: number; summary: EnvironmentSummary }>;
  /** Gateways share a handful of environment sets: each is written once. */
  readonly #written = new Map<string, Buffer>();

  /** `environments` sorted by name. */
  constructor(environments: readonly EnvironmentSummary[]) {
    this.#byUuid = new Map(environments.map((e, rank) => [e.uuid, { rank, summary: { uuid: e.uuid, name: e.name, displayName: e.displayName } }]));
  }

  /** The JSON of these environments (uuids separated by spaces) sorted by name, or undefined when one is not known. */
  json(uuids: string): Buffer | undefined {
    let json = this.#written.get(uuids);
    if (json === undefined) {
      const found = uuids === '' ? [] : uuids.split(' ').map((uuid) => this.#byUuid.get(uuid));
      if (found.some((entry) => entry === undefined)) return undefined;
      json = Buffer.from(JSON.stringify(found.sort((a, b) => a!.rank - b!.rank).map((entry) => entry!.summary)));
      this.#written.set(uuids, json);
    }
    return json;
  }
}

/**
 * The summaries of a list of environments, kept as long as the list: listVersions gives back
 * the same list while the environments are unchanged, so their JSON is written once.
 */
export function environmentSummariesJson(environments: readonly EnvironmentSummary[]): EnvironmentSummariesJson {
  let summaries = SUMMARIES.get(environments);
  if (summaries === undefined) SUMMARIES.set(environments, (summaries = new EnvironmentSummariesJson(environments)));
  return summaries;
}

const SUMMARIES = new WeakMap<readonly EnvironmentSummary[], EnvironmentSummariesJson>();
