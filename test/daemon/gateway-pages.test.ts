/**
 * GET /api/v1/gateways sends pages assembled from gateways rendered once per row version
 * (gatewayPageJson, src/daemon/gateway-pages/): the bytes must be exactly those the route sent when it
 * serialized the presented gateways itself, for every field set and unset, and a page must
 * never show a gateway older than the one in the database, nor one caught half-way through a
 * change. Real PostgreSQL and a real daemon; the plugins below only watch and time queries.
 */
import { sql, type KyselyPlugin, type QueryResult, type UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION_UUID } from '../../migrations/index.js';
import { gatewayPageJson } from '../../src/daemon/gateway-pages/gateway-pages.js';
import { pageVersions } from '../../src/daemon/gateway-pages/page-versions.js';
import type { GatewayFilter } from '../../src/domain/types.js';
import { EnvironmentService } from '../../src/services/environments.js';
import { GatewayService } from '../../src/services/gateways.js';
import type { Store } from '../../src/store/database.js';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrator.js';
import { EnvironmentRepository, type EnvironmentRecord } from '../../src/store/repositories/environments.js';
import { GatewayRepository, type NewGateway } from '../../src/store/repositories/gateways.js';
import { MappingRepository } from '../../src/store/repositories/mappings.js';
import { http, startTestDaemon, type TestDaemon } from './support.js';

let t: TestDaemon;
let store: Store;
const ids: Record<string, string> = {};

function newGateway(name: string, overrides: Partial<NewGateway> = {}): NewGateway {
  return {
    name,
    displayName: name,
    type: 'EGRESS',
    status: 'ACTIVE',
    controlPlaneUrl: null,
    endpoint: null,
    region: null,
    adapterType: 'on-premise',
    adapterConfig: {},
    metadata: {},
    credentials: null,
    lastHeartbeat: null,
    responseTimeMs: null,
    ...overrides,
  };
}

beforeAll(async () => {
  t = await startTestDaemon({ prefix: 'pages' });
  store = t.runtime.store;
  const now = new Date('2026-03-04T05:06:07.089Z');
  const environments = new EnvironmentRepository(store, DEFAULT_ORGANIZATION_UUID);
  ids.production = (await environments.find('production'))!.uuid;
  ids.staging = (await environments.insert({ name: 'staging', displayName: 'Staging "pre-prod"', description: null }, now)).uuid;
  ids.alpha = (await environments.insert({ name: 'alpha', displayName: 'Alpha \\ ünï 🚀', description: null }, now)).uuid;
  const gateways = new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID);
  // Every optional field set, with values JSON escapes, reorders or reformats; in three
  // environments, mapped out of name order.
  const everything = await gateways.insert(
    newGateway('everything', {
      displayName: 'Everything "set" \\ \u0001\n\t ünïcödé 🚀 \u2028',
      controlPlaneUrl: 'http://10.0.0.1:9090/gateways/gw-1',
      endpoint: 'https://edge.example.com:8443',
      region: 'eu-west-1',
      adapterConfig: { controlPlaneUrl: 'http://10.0.0.1:9090', environments: [], password: { set: true }, nested: { b: 2, a: 1, '10': 'x', '9': 'y' } },
      metadata: { _internal: 'not shown', owner: 'team-a', '10': 'ten', '9': 'nine', ratio: 1.5, big: 1e21, tiny: 5e-7, list: [1, 'two', null, { z: true }] },
      credentials: 'sealed',
      lastHeartbeat: now,
      responseTimeMs: 0,
    }),
    [ids.staging, ids.production, ids.alpha],
    now,
  );
  await sql`update gateways set error_message = ${'refused: "10.0.0.1" \\ \u0002 — retrying'}, error_class = 'refused',
            created_at = '2026-01-02 03:04:05.999999+00', last_checked_at = '1999-12-31 23:59:59.9995+00', version = 7
            where uuid = ${everything.uuid}`.execute(store.db);
  // Every optional field unset, no environment; an adapter config of SQL NULL, another of JSON null.
  const nothing = await gateways.insert(newGateway('nothing', { type: 'INGRESS' }), [], now);
  await sql`update gateways set adapter_config = null where uuid = ${nothing.uuid}`.execute(store.db);
  const jsonNull = await gateways.insert(newGateway('json-null', { status: 'INACTIVE' }), [ids.production], now);
  await sql`update gateways set adapter_config = 'null'::jsonb where uuid = ${jsonNull.uuid}`.execute(store.db);
  for (const name of ['edge-1', 'edge-2', 'edge-3', 'edge-4']) {
    await gateways.insert(newGateway(name, { controlPlaneUrl: `http://${name}.example:9090`, lastHeartbeat: now, responseTimeMs: 12 }), [ids.production], now);
  }
});

afterAll(async () => {
  await t?.close();
});

/** The services over `db` (by default the daemon's own store). */
function servicesOver(over: Store = store) {
  const context = { ...t.runtime.context(), store: over };
  return { gateways: new GatewayService(context), environments: new EnvironmentService(context) };
}

/** The body the route sent when it serialized the presented gateways itself. */
async function presentedBody(filter: GatewayFilter, page: { limit?: number; cursor?: string }, over: Store = store): Promise<string> {
  const { items, nextCursor } = await servicesOver(over).gateways.listPage(filter, page);
  return JSON.stringify({ gateways: items, nextCursor });
}

async function renderedBody(filter: GatewayFilter, page: { limit?: number; cursor?: string }, over: Store = store): Promise<string> {
  const source = { store: over, organizationId: DEFAULT_ORGANIZATION_UUID, gateways: servicesOver(over).gateways };
  const { items, nextCursor } = await gatewayPageJson(source, filter, page);
  return `{"gateways":[${items.map((item) => Buffer.concat(item).toString('utf8')).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
}

/** A store whose queries pass through `plugin`, with a cache of renderings of its own (a cold one). */
function storeWith(plugin: KyselyPlugin): Store {
  return { ...store, db: store.db.withPlugin(plugin) };
}

function watching(onResult: (result: QueryResult<UnknownRow>) => Promise<void> | void): KyselyPlugin {
  return {
    transformQuery: ({ node }) => node,
    async transformResult({ result }) {
      await onResult(result);
      return result;
    },
  };
}

const isVersionedPage = (result: QueryResult<UnknownRow>) => result.rows.length === 1 && 'gateways' in result.rows[0]! && 'environments' in result.rows[0]!;
const isVersionedRead = (result: QueryResult<UnknownRow>) => result.rows.length > 0 && 'row_version' in result.rows[0]! && 'credentials' in result.rows[0]!;

describe('GET /api/v1/gateways', () => {
  const FILTERS: Array<[string, string]> = [
    ['no filter', ''],
    ['an environment by name', 'environment=production'],
    ['an environment by uuid', 'ENVIRONMENT_UUID'],
    ['type and status', 'type=EGRESS&status=ACTIVE'],
    ['no match', 'type=INGRESS&status=ERROR'],
  ];

  it.each(FILTERS)('with %s, sends byte for byte what it sent when it serialized the presented gateways, page after page', async (_, query) => {
    const search = new URLSearchParams(query === 'ENVIRONMENT_UUID' ? `environment=${ids.staging}` : query);
    const filter = Object.fromEntries(search) as GatewayFilter;
    // Rendered on the first pass, from the kept renderings on the second; with a LIMIT passed
    // as a parameter (3) and one written into the SQL (50, see LITERAL_LIMITS).
    for (const [pass, limit] of [[1, 3], [2, 3], [1, 50], [2, 50]] as const) {
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = { limit, ...(cursor === undefined ? {} : { cursor }) };
        const r = await http(t.url, 'GET', `/api/v1/gateways?${new URLSearchParams({ ...Object.fromEntries(search), limit: String(limit), ...(cursor === undefined ? {} : { cursor }) })}`);
        expect(r.status, r.text).toBe(200);
        expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(r.text, `pass ${pass}, limit ${limit}, page ${pages + 1}`).toBe(await presentedBody(filter, page));
        cursor = r.body.nextCursor ?? undefined;
        pages++;
      } while (cursor !== undefined);
    }
  });

  it('sends each gateway as GET /api/v1/gateways/{id} sends it, environments sorted by name', async () => {
    const r = await http(t.url, 'GET', '/api/v1/gateways?limit=100');
    expect(r.body.gateways.map((g: { name: string }) => g.name)).toEqual(['edge-1', 'edge-2', 'edge-3', 'edge-4', 'everything', 'json-null', 'nothing']);
    for (const gateway of r.body.gateways) {
      const single = await http(t.url, 'GET', `/api/v1/gateways/${gateway.uuid}`);
      expect(JSON.stringify(gateway)).toBe(single.text);
    }
    const everything = r.body.gateways.find((g: { name: string }) => g.name === 'everything');
    expect(everything.environments.map((e: { name: string }) => e.name)).toEqual(['alpha', 'production', 'staging']);
    expect(Object.keys(everything.metadata)).not.toContain('_internal');
  });
});

describe('a page of rendered gateways', () => {
  const filter: GatewayFilter = { environment: 'production' };

  it('shows every change to a gateway, its environments and their names on the next read', async () => {
    const { gateways, environments } = servicesOver();
    const expectCurrent = async () => expect(await renderedBody(filter, { limit: 10 })).toBe(await presentedBody(filter, { limit: 10 }));
    await expectCurrent();
    const edge1 = await gateways.require('edge-1');
    // A health check, as the monitor records it: no version bump, no updated_at.
    await new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID).recordHealth(edge1.uuid, {
      status: 'ACTIVE',
      previousStatus: 'ACTIVE',
      checkedAt: new Date('2026-05-06T07:08:09.010Z'),
      healthy: true,
      responseTimeMs: 345,
      errorMessage: null,
      errorClass: null,
      consecutiveFailures: 0,
      consecutiveSuccesses: 9,
      transitionReason: null,
    });
    await expectCurrent();
    await gateways.update('edge-2', { displayName: 'Edge two' });
    await expectCurrent();
    await new MappingRepository(store).add(edge1.uuid, ids.staging!, new Date());
    await expectCurrent();
    await environments.update('staging', { displayName: 'Staging, renamed' });
    await expectCurrent();
    await new MappingRepository(store).remove(edge1.uuid, ids.staging!);
    await expectCurrent();
    expect(await renderedBody(filter, { limit: 10 })).toContain('"displayName":"Edge two"');
  });

  it.each([
    ['leaves the filter', sql`status = 'INACTIVE'`, (body: string) => expect(body).not.toContain('"name":"edge-3"')],
    ['is renamed', sql`display_name = 'Edge three'`, (body: string) => expect(body).toContain('"displayName":"Edge three"')],
  ])('never mixes a gateway that %s between a page’s reads with the rest of the page', async (_, change, check) => {
    const edge3 = (await new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID).find('edge-3'))!;
    let changed = false;
    // Between the read of the page's versions and the read of its gateways.
    const over = storeWith(
      watching(async (result) => {
        if (changed || !isVersionedPage(result)) return;
        changed = true;
        await sql`update gateways set ${change} where uuid = ${edge3.uuid}`.execute(store.db);
      }),
    );
    try {
      const body = await renderedBody({ status: 'ACTIVE' }, { limit: 10 }, over);
      expect(changed).toBe(true);
      check(body);
      expect(body).toBe(await presentedBody({ status: 'ACTIVE' }, { limit: 10 }));
    } finally {
      await sql`update gateways set status = 'ACTIVE', display_name = 'edge-3' where uuid = ${edge3.uuid}`.execute(store.db);
    }
  });

  it('follows an environment deleted and created again under its name, and refuses an unknown one (never an empty page)', async () => {
    const { gateways, environments } = servicesOver();
    const mappings = new MappingRepository(store);
    const byName: GatewayFilter = { environment: 'phoenix' };
    const first = await environments.create({ name: 'phoenix', displayName: 'Phoenix' });
    await mappings.add((await gateways.require('edge-1')).uuid, first.uuid, new Date());
    const firstBody = await renderedBody(byName, { limit: 10 });
    expect(firstBody).toBe(await presentedBody(byName, { limit: 10 }));
    expect(firstBody).toContain('"name":"edge-1"');
    // The uuid read for the name is remembered: the next page must not trust it blindly.
    await environments.delete('phoenix', { force: true });
    await expect(renderedBody(byName, { limit: 10 })).rejects.toMatchObject({ code: 'AGW_NOT_FOUND', message: 'environment "phoenix" not found' });
    await expect(presentedBody(byName, { limit: 10 })).rejects.toMatchObject({ code: 'AGW_NOT_FOUND' });
    const second = await environments.create({ name: 'phoenix', displayName: 'Phoenix again' });
    await mappings.add((await gateways.require('edge-2')).uuid, second.uuid, new Date());
    const secondBody = await renderedBody(byName, { limit: 10 });
    expect(secondBody).toBe(await presentedBody(byName, { limit: 10 }));
    expect(secondBody).toContain('"name":"edge-2"');
    expect(secondBody).not.toContain('"name":"edge-1"');
    const byUuid: GatewayFilter = { environment: second.uuid.toUpperCase() };
    expect(await renderedBody(byUuid, { limit: 10 })).toBe(secondBody);
    await expect(renderedBody({ environment: first.uuid }, { limit: 10 })).rejects.toMatchObject({ code: 'AGW_NOT_FOUND' });
    await expect(presentedBody({ environment: first.uuid }, { limit: 10 })).rejects.toMatchObject({ code: 'AGW_NOT_FOUND' });
    await environments.delete('phoenix', { force: true });
  });

  it('reads a cold page’s gateways once for a burst of requests for it', async () => {
    let reads = 0;
    const over = storeWith(watching((result) => void (isVersionedRead(result) && reads++)));
    const bodies = await Promise.all(Array.from({ length: 12 }, () => renderedBody(filter, { limit: 10 }, over)));
    expect(new Set(bodies)).toEqual(new Set([await presentedBody(filter, { limit: 10 })]));
    expect(reads).toBe(1);
  });
});

describe('requests for one page that arrive together', () => {
  const filter: GatewayFilter = { environment: 'production' };

  it('share one reading of it', async () => {
    let pages = 0;
    const over = storeWith(watching((result) => void (isVersionedPage(result) && pages++)));
    const bodies = await Promise.all(Array.from({ length: 12 }, () => renderedBody(filter, { limit: 10 }, over)));
    expect(new Set(bodies)).toEqual(new Set([await presentedBody(filter, { limit: 10 })]));
    expect(pages).toBe(1);
    // A different page is a reading of its own.
    await Promise.all([renderedBody(filter, { limit: 10 }, over), renderedBody(filter, { limit: 2 }, over)]);
    expect(pages).toBe(3);
  });

  it('never answer a request from a reading that started before it: it sees the writes that finished before it', async () => {
    const edge4 = (await new GatewayRepository(store, DEFAULT_ORGANIZATION_UUID).find('edge-4'))!;
    let later: Promise<string> | undefined;
    let armed = false;
    const over = storeWith(
      watching(async (result) => {
        if (!armed || later !== undefined || !isVersionedPage(result)) return;
        // The first reading has its rows: a write finishes, then the same page is asked for.
        await sql`update gateways set display_name = 'Edge four, renamed' where uuid = ${edge4.uuid}`.execute(store.db);
        later = renderedBody(filter, { limit: 10 }, over);
      }),
    );
    try {
      // With the renderings kept, the page's versions are its only statement.
      await renderedBody(filter, { limit: 10 }, over);
      armed = true;
      const first = await renderedBody(filter, { limit: 10 }, over);
      expect(first).not.toContain('Edge four, renamed');
      expect(await later).toContain('"displayName":"Edge four, renamed"');
    } finally {
      await sql`update gateways set display_name = 'edge-4' where uuid = ${edge4.uuid}`.execute(store.db);
    }
  });
});

describe('on SQLite', () => {
  it('sends the presented gateways as they are, one reading for the requests of a page that arrive together', async () => {
    const sqlite = await openStore('sqlite::memory:');
    try {
      await migrateToLatest(sqlite);
      const now = new Date();
      const production = (await new EnvironmentRepository(sqlite, DEFAULT_ORGANIZATION_UUID).find('production'))!;
      const gateways = new GatewayRepository(sqlite, DEFAULT_ORGANIZATION_UUID);
      await gateways.insert(newGateway('a', { metadata: { _hidden: 1, shown: 2 } }), [production.uuid], now);
      await gateways.insert(newGateway('b', { region: 'eu' }), [], now);
      await gateways.insert(newGateway('c'), [production.uuid], now);
      for (const page of [{ limit: 2 }, { limit: 100 }]) {
        expect(await renderedBody({}, page, sqlite)).toBe(await presentedBody({}, page, sqlite));
      }
      // Requests for one page that arrive together share one reading of it.
      let reads = 0;
      const counted: Store = { ...sqlite, directReads: { ...sqlite.directReads!, values: (query) => (reads++, sqlite.directReads!.values(query)) } };
      const bodies = await Promise.all(Array.from({ length: 12 }, () => renderedBody({}, { limit: 2 }, counted)));
      expect(new Set(bodies)).toEqual(new Set([await presentedBody({}, { limit: 2 }, sqlite)]));
      expect(reads).toBe(1);
      await Promise.all([renderedBody({}, { limit: 2 }, counted), renderedBody({}, { limit: 3 }, counted)]);
      expect(reads).toBe(3);
    } finally {
      await sqlite.close();
    }
  });
});

describe('the page statement', () => {
  it('reads a small environment’s page from its mappings, and a large one’s not', async () => {
    // One connection, so that its prepared statements are the ones pg_prepared_statements lists.
    const single = await openStore(t.schema.url, { poolSize: 1 });
    const now = new Date();
    const environments = new EnvironmentRepository(single, DEFAULT_ORGANIZATION_UUID);
    const few = await environments.insert({ name: 'few', displayName: 'Few', description: null }, now);
    const most = await environments.insert({ name: 'most', displayName: 'Most', description: null }, now);
    try {
      await sql`insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, status, adapter_type, metadata, version, status_changed_at, created_at, updated_at)
                select gen_random_uuid(), ${DEFAULT_ORGANIZATION_UUID}, 'fleet-' || lpad(i::text, 4, '0'), 'Fleet ' || i, 'EGRESS', 'ACTIVE', 'on-premise', '{}', 1, now(), now(), now()
                from generate_series(1, 5000) as i`.execute(single.db);
      await sql`insert into gateway_environment_mappings (gateway_uuid, environment_uuid, created_at)
                select uuid, case when name in ('fleet-1000', 'fleet-3000', 'fleet-4999') then ${few.uuid}::uuid else ${most.uuid}::uuid end, now()
                from gateways where name like 'fleet-%'`.execute(single.db);
      await sql`analyze gateways`.execute(single.db);
      await sql`analyze gateway_environment_mappings`.execute(single.db);
      const indexesRead = async (environment: EnvironmentRecord): Promise<string[]> => {
        const page = await pageVersions(single, DEFAULT_ORGANIZATION_UUID, { environment: environment.name, type: 'EGRESS', status: 'ACTIVE' }, { limit: 51 });
        expect(page!.gateways.length).toBe(environment === few ? 3 : 51);
        const { rows } = await sql<{ name: string; parameter_types: string }>`
          select name, parameter_types::text from pg_prepared_statements
          where statement like '%string_agg(%' and statement like ${`%${environment.uuid}%`}`.execute(single.db);
        expect(rows).toHaveLength(1);
        // Its parameters: the organization (uuid) and then the type and the status (text).
        const texts = ['EGRESS', 'ACTIVE'];
        const values = rows[0]!.parameter_types.slice(1, -1).split(',').map((type) => (type === 'uuid' ? DEFAULT_ORGANIZATION_UUID : texts.shift()!));
        const explain = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) execute ${sql.id(rows[0]!.name)} (${sql.join(values.map((value) => sql.lit(value)))})`.execute(single.db);
        return [...JSON.stringify(explain.rows[0]!['QUERY PLAN']).matchAll(/"Index Name":"([a-z_]+)"/g)].map((match) => match[1]!);
      };
      const fewIndexes = await indexesRead(few);
      expect(fewIndexes).toContain('idx_gem_environment');
      expect(fewIndexes).not.toContain('idx_gateways_org_type_status_name');
      expect(fewIndexes).not.toContain('gateways_org_name_unique');
      // 4,997 of 5,000: walked in name order or scanned, not fetched one mapping at a time.
      expect(await indexesRead(most)).not.toContain('idx_gem_environment');
      // Parallel workers would read far past a page (see SESSION_SETTINGS in store/postgres/open-postgres.ts).
      const { rows: settings } = await sql<{ workers: string; jit: string }>`
        select current_setting('max_parallel_workers_per_gather') as workers, current_setting('jit') as jit`.execute(single.db);
      expect(settings[0]).toEqual({ workers: '0', jit: 'off' });
    } finally {
      await sql`delete from gateways where name like 'fleet-%'`.execute(single.db);
      await sql`delete from environments where uuid in (${few.uuid}, ${most.uuid})`.execute(single.db);
      await single.close();
    }
  });

  it('reads the environments of the page’s gateways only, however PostgreSQL finds them', async () => {
    // 300 of 5,000 gateways INACTIVE and the same 300 in an environment: PostgreSQL, which takes
    // a status and an environment for independent, expects 18 and hashes both sets whole. The
    // environments of a gateway were read for each of the 300 before the page's LIMIT.
    const single = await openStore(t.schema.url, { poolSize: 1 });
    const together = await new EnvironmentRepository(single, DEFAULT_ORGANIZATION_UUID).insert({ name: 'together', displayName: 'Together', description: null }, new Date());
    try {
      await sql`insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, status, adapter_type, metadata, version, status_changed_at, created_at, updated_at)
                select gen_random_uuid(), ${DEFAULT_ORGANIZATION_UUID}, 'pair-' || lpad(i::text, 4, '0'), 'Pair ' || i, 'EGRESS',
                       case when i % 50 < 3 then 'INACTIVE' else 'ACTIVE' end, 'on-premise', '{}', 1, now(), now(), now()
                from generate_series(1, 5000) as i`.execute(single.db);
      await sql`insert into gateway_environment_mappings (gateway_uuid, environment_uuid, created_at)
                select uuid, ${together.uuid}::uuid, now() from gateways where name like 'pair-%' and status = 'INACTIVE'`.execute(single.db);
      await sql`analyze gateways`.execute(single.db);
      await sql`analyze gateway_environment_mappings`.execute(single.db);
      const page = await pageVersions(single, DEFAULT_ORGANIZATION_UUID, { environment: 'together', status: 'INACTIVE' }, { limit: 51 });
      expect(page!.gateways).toHaveLength(51);
      expect(page!.gateways.every((gateway) => gateway.environmentUuids === together.uuid)).toBe(true);
      const { rows } = await sql<{ name: string; parameter_types: string }>`
        select name, parameter_types::text from pg_prepared_statements where statement like '%string_agg(%' and statement like ${`%${together.uuid}%`}`.execute(single.db);
      expect(rows).toHaveLength(1);
      const values = rows[0]!.parameter_types.slice(1, -1).split(',').map((type) => (type === 'uuid' ? DEFAULT_ORGANIZATION_UUID : 'INACTIVE'));
      const explain = await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) execute ${sql.id(rows[0]!.name)} (${sql.join(values.map((value) => sql.lit(value)))})`.execute(single.db);
      const environmentReads = planNodes(explain.rows[0]!['QUERY PLAN']).filter((node) => node['Alias'] === 'm');
      expect(environmentReads).toHaveLength(1);
      expect(environmentReads[0]!['Actual Loops']).toBeLessThanOrEqual(51);
    } finally {
      await sql`delete from gateways where name like 'pair-%'`.execute(single.db);
      await sql`delete from environments where uuid = ${together.uuid}`.execute(single.db);
      await single.close();
    }
  });

  it('keeps one plan for a page size written into its SQL (PostgreSQL plans a LIMIT parameter anew on every run)', async () => {
    // One connection, so that its prepared statements are the ones pg_prepared_statements lists.
    const single = await openStore(t.schema.url, { poolSize: 1 });
    try {
      await sql`insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, status, adapter_type, metadata, version, status_changed_at, created_at, updated_at)
                select gen_random_uuid(), ${DEFAULT_ORGANIZATION_UUID}, 'many-' || lpad(i::text, 4, '0'), 'Many ' || i,
                       case when i % 2 = 0 then 'EGRESS' else 'INGRESS' end, case when i / 2 % 2 = 0 then 'ACTIVE' else 'INACTIVE' end, 'on-premise', '{}', 1, now(), now(), now()
                from generate_series(1, 5000) as i`.execute(single.db);
      await sql`analyze gateways`.execute(single.db);
      // Types and statuses of even shares: the generic plan is the custom one, and only the
      // LIMIT could make PostgreSQL plan again (a type or status of 99% tips the choice either
      // way by a few cost units, with the statement's shape).
      for (let run = 0; run < 8; run++) await pageVersions(single, DEFAULT_ORGANIZATION_UUID, { type: 'EGRESS', status: 'ACTIVE' }, { limit: 51 });
      const { rows } = await sql<{ generic_plans: string; custom_plans: string }>`
        select generic_plans, custom_plans from pg_prepared_statements where statement like '%string_agg(%'`.execute(single.db);
      expect(rows).toHaveLength(1);
      // PostgreSQL tries five custom plans before it settles on the generic one.
      expect(Number(rows[0]!.custom_plans)).toBeLessThanOrEqual(5);
      expect(Number(rows[0]!.generic_plans)).toBeGreaterThanOrEqual(3);
    } finally {
      await sql`delete from gateways where name like 'many-%'`.execute(single.db);
      await single.close();
    }
  });
});

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes(explained: unknown): Array<Record<string, unknown>> {
  const nodes: Array<Record<string, unknown>> = [];
  const visit = (node: Record<string, unknown>) => {
    nodes.push(node);
    for (const child of (node['Plans'] as Array<Record<string, unknown>> | undefined) ?? []) visit(child);
  };
  for (const { Plan } of explained as Array<{ Plan: Record<string, unknown> }>) visit(Plan);
  return nodes;
}
