/**
 * The gateway list's query, shared by list() (gateways.ts) and the page versions
 * (gateway-versions.ts): filtered by type, status and environment, ordered by name, a page at
 * a time, compiled once per shape (see StatementCache).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { GatewayFilter } from '../../domain/types.js';
import type { Dialect } from '../codec.js';
import type { Database } from '../schema.js';


export interface PageOptions {
  limit?: number;
  /** The name of the last gateway of the previous page. */
  after?: string;
}


/** The values of a list query; its environment is a uuid, as a value or written into the SQL. */
export type ListValues = Omit<GatewayFilter, 'environment'> & PageOptions & { organization: string; environment?: string | RawBuilder<string> };

/** What decides a list query's SQL: which values it has and its literal LIMIT. */
export function listShape(values: ListValues): string {
  const { type, status, environment, after, limit } = values;
  const present = [type, status, environment, after, limit].map((value) => (value === undefined ? '-' : '+')).join('');
  return `${present}${hasLiteralLimit(values) ? limit : ''}`;
}

/**
 * PostgreSQL plans a statement with a LIMIT parameter as if it kept a tenth of the rows; a plan
 * for the actual limit always looks cheaper, so it plans such a statement anew on every run.
 * The LIMITs of common page sizes (and their one row more, which tells whether a next page
 * exists) are written into the SQL instead, and their statements keep one plan. Few sizes: each
 * is one more prepared statement on every connection.
 */
const LITERAL_LIMITS = new Set([10, 20, 25, 50, 100, 200, 250, 500, 1000].flatMap((size) => [size, size + 1]));

function hasLiteralLimit(values: PageOptions): boolean {
  return values.limit !== undefined && LITERAL_LIMITS.has(values.limit);
}

export function listValues(organizationId: string, filter: Omit<GatewayFilter, 'environment'> & { environment: string | undefined }, { limit, after }: PageOptions): ListValues {
  const { type, status, environment } = filter;
  return {
    organization: organizationId,
    ...(type === undefined ? {} : { type }),
    ...(status === undefined ? {} : { status }),
    ...(environment === undefined ? {} : { environment }),
    ...(limit === undefined ? {} : { limit }),
    ...(after === undefined ? {} : { after }),
  };
}

/** The gateways list() and the page versions read, filtered, ordered and limited; columns to add. */
export function listQuery(db: Kysely<Database>, dialect: Dialect, values: ListValues) {
  const { environment } = values;
  // Filtered by an environment, the order and the cursor are the mappings' copy of the name: a
  // page is a range of their (environment, name) index, however large the environment
  // (migration 016). On PostgreSQL, with a status as well, the gateways' status indexes (by name)
  // come first and the mappings are probed: its planner then weighs both, and a rare status in a
  // large environment is a short range instead of a walk through the environment. SQLite's
  // planner reads all of a large environment's mappings for that form: it keeps the range.
  const byMapping = environment !== undefined && (values.status === undefined || dialect === 'sqlite');
  const name = byMapping ? sql.ref<string>('em.gateway_name') : sql.ref<string>('g.name');
  return db
    .selectFrom('gateways as g')
    .$if(byMapping, (query) =>
      query.innerJoin('gateway_environment_mappings as em', (join) => join.onRef('em.gateway_uuid', '=', 'g.uuid').on('em.environment_uuid', '=', environment!)),
    )
    .where('g.organization_uuid', '=', values.organization)
    .$if(values.type !== undefined, (query) => query.where('g.gateway_type', '=', values.type!))
    .$if(values.status !== undefined, (query) => query.where('g.status', '=', values.status!))
    .$if(environment !== undefined && !byMapping, (query) =>
      query.where('g.uuid', 'in', (eb) => eb.selectFrom('gateway_environment_mappings as em').select('em.gateway_uuid').where('em.environment_uuid', '=', environment!)),
    )
    .$if(values.after !== undefined, (query) => query.where(name, '>', values.after!))
    .orderBy(name)
    .$if(values.limit !== undefined, (query) => query.limit(hasLiteralLimit(values) ? sql.lit(values.limit!) : values.limit!));
}

/** The same values, each replaced by its placeholder (but a literal LIMIT). */
export function placeholders(values: ListValues, placeholder: <T>(name: string) => T): ListValues {
  const replaced = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value === undefined ? undefined : placeholder(name)]));
  return { ...replaced, limit: hasLiteralLimit(values) ? values.limit : replaced.limit } as ListValues;
}
