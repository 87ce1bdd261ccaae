import type { EnvironmentSummary } from '../../domain/types.js';

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
