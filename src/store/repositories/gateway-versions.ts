/**
 * Gateway pages as the daemon's cache of rendered gateways checks them (PostgreSQL only): each
 * gateway's row version (xmin) and environments, and the gateways at a row version.
 */
import { sql } from 'kysely';
import type { EnvironmentSummary, GatewayFilter } from '../../domain/types.js';
import type { Store } from '../database.js';
import { listQuery, listShape, listValues, placeholders, type ListValues, type PageOptions } from './gateway-list-query.js';
import { STATEMENTS } from '../statement-cache.js';
import { COLUMNS, toGatewayRecord, type GatewayRecord } from './gateway-rows.js';

/** A page of gateways as a cache of their renderings is checked against (see readVersions). */
export interface VersionedPage {
  gateways: GatewayVersion[];
  /** The organization's environments, sorted by name (the same array while they are unchanged). */
  environments: readonly EnvironmentSummary[];
}

/** A listed gateway as a page of rendered gateways is checked against. */
export interface GatewayVersion {
  uuid: string;
  /** PostgreSQL's xmin of the row: every write of the row gives it a new one. */
  rowVersion: string;
  /** Its environments' uuids, in no particular order, separated by spaces ("" for none). */
  environmentUuids: string;
}

export class GatewayVersionRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  /**
   * One page of list(), as a cache of rendered gateways checks it (PostgreSQL only): each
   * gateway's row version and environments, and the organization's environments, from one
   * snapshot. The page comes back as one row (a row costs postgres.js more to read than the text
   * it holds): "uuid xmin environment…" per gateway, joined by ",".
   *
   * The environment filtered by is given as its uuid, and written into the SQL: the daemon runs
   * this statement again and again, and a generic plan (a parameter of unknown value) would walk
   * the whole fleet for an environment of a few gateways. Only give uuids of environments that
   * exist: each is one more prepared statement.
   */
  async readVersions(filter: Omit<GatewayFilter, 'environment'>, environmentUuid: string | undefined, options: PageOptions = {}): Promise<VersionedPage> {
    const build = (values: ListValues) => {
      const page = listQuery(this.store.db, this.store.codec.dialect, values).select(['g.name', 'g.uuid', sql<string>`g.xmin`.as('xmin')]);
      // A gateway's environments are read for the page's rows only, after its LIMIT: joined
      // inside the page they were read for every row its plan sorted (all 1,000 gateways of an
      // environment that PostgreSQL hashed with a status: 5.2 ms a page, not 1.5).
      return this.store.db
        .selectFrom(page.as('p'))
        .crossJoinLateral((eb) =>
          eb
            .selectFrom('gateway_environment_mappings as m')
            .select((mb) => mb.fn.agg<string[]>('array_agg', ['m.environment_uuid']).as('environment_uuids'))
            .whereRef('m.gateway_uuid', '=', 'p.uuid')
            .as('l'),
        )
        .select([
          sql<string | null>`string_agg(concat_ws(' ', p.uuid, p.xmin, array_to_string(l.environment_uuids, ' ')), ',' order by p.name)`.as('gateways'),
          sql<string | null>`(${this.environmentSummaries(values.organization)})`.as('environments'),
        ]);
    };
    const values = listValues(this.organizationId, { ...filter, environment: undefined }, options);
    // A uuid (it was checked to be one) is safe to write into the SQL as a literal.
    const withEnvironment = (v: ListValues): ListValues => (environmentUuid === undefined ? v : { ...v, environment: sql.lit(environmentUuid) });
    const compiled = STATEMENTS.compiled(`versions:${listShape(values)}:${environmentUuid ?? ''}`, (p) => build(withEnvironment(placeholders(values, p))), values);
    const { rows } = await this.store.db.executeQuery<{ gateways: string | null; environments: string | null }>(compiled ?? build(withEnvironment(values)).compile());
    const { gateways, environments } = rows[0]!;
    return { gateways: gateways === null ? [] : gateways.split(',').map(parseVersion), environments: parseEnvironments(environments) };
  }

  /** The gateways with these uuids, each with the row version it was read at (PostgreSQL only). */
  async findVersioned(uuids: readonly string[]): Promise<Array<{ record: GatewayRecord; rowVersion: string }>> {
    const rows = await this.store.db
      .selectFrom('gateways as g')
      .select(COLUMNS)
      .select(sql<string>`g.xmin::text`.as('row_version'))
      .where('g.organization_uuid', '=', this.organizationId)
      .where('g.uuid', '=', sql<string>`any(${[...uuids]}::uuid[])`)
      .execute();
    return rows.map((row) => ({ record: toGatewayRecord(this.store.codec, row), rowVersion: row.row_version }));
  }

  /** An organization's environments, sorted by name, as JSON: [[uuid, name, displayName], …]. */
  private environmentSummaries(organizationId: string) {
    return this.store.db
      .selectFrom('environments as e')
      .select(sql<string>`json_agg(json_build_array(e.uuid, e.name, e.display_name) order by e.name)::text`.as('summaries'))
      .where('e.organization_uuid', '=', organizationId);
  }
}

/**
 * The organization's environments as readVersions reads them. They seldom change: the same
 * text gives back the same array, so what callers derive from it can be kept with it.
 */
function parseEnvironments(json: string | null): readonly EnvironmentSummary[] {
  if (json !== lastEnvironments.json) {
    const rows = json === null ? [] : (JSON.parse(json) as Array<[string, string, string]>);
    lastEnvironments = { json, summaries: rows.map(([uuid, name, displayName]) => ({ uuid, name, displayName })) };
  }
  return lastEnvironments.summaries;
}

let lastEnvironments: { json: string | null; summaries: readonly EnvironmentSummary[] } = { json: null, summaries: [] };

/** "uuid xmin environment…", as readVersions writes a gateway. */
function parseVersion(text: string): GatewayVersion {
  const afterUuid = text.indexOf(' ');
  const afterVersion = text.indexOf(' ', afterUuid + 1);
  return afterVersion === -1
    ? { uuid: text.slice(0, afterUuid), rowVersion: text.slice(afterUuid + 1), environmentUuids: '' }
    : { uuid: text.slice(0, afterUuid), rowVersion: text.slice(afterUuid + 1, afterVersion), environmentUuids: text.slice(afterVersion + 1) };
}
