/**
 * Conflicting mutations from many clients at once, over HTTP, against two `agentgw serve`
 * processes sharing one PostgreSQL schema (as two replicas behind a load balancer would). A
 * small set of names (4 environments, 6 gateways) is created, renamed, deleted, mapped and
 * unmapped by 16 clients and a few CLI users, with and without If-Match; the gateways are
 * reached through the fault proxy with a little latency, which widens every race window.
 *
 * Invariants: no 5xx and no answer outside each operation's documented outcomes (every error a
 * problem), an If-Match write that wins produces exactly the next version, no two acknowledged
 * writes of one row produce the same version, versions never go backwards for a client, and the
 * final state is consistent: no mapping to a missing row, no duplicate name, both replicas and
 * the database agree, every stored version at least the last acknowledged one.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { createTestSchema, POSTGRES_BASE_URL, type TestSchema } from '../support/postgres.js';
import { ControllerProxy } from './fault-proxy.js';
import { CANARY, canaryCredentials, cli, daemonConfig, isProblem, logTrouble, pool, prng, request, Scenario, show, type Answer, type ServeProcess, startServe } from './support.js';

const OPERATIONS = 1200;
const CLIENTS = 16;
const CLI_OPERATIONS = 12;
const ENVS = ['c-env-0', 'c-env-1', 'c-env-2', 'c-env-3'];
const GATEWAYS = ['c-gw-0', 'c-gw-1', 'c-gw-2', 'c-gw-3', 'c-gw-4', 'c-gw-5'];
const SEED = 20_260_801;

const s = new Scenario('conflicts', 'concurrent conflicting mutations over HTTP on two replicas');

let schema: TestSchema;
let sim: GatewaySimulator;
let simProxy: ControllerProxy;
const daemons: ServeProcess[] = [];
let db: postgres.Sql;

beforeAll(async () => {
  schema = createTestSchema('battery_conflicts');
  sim = await startGatewaySimulator({ gateways: GATEWAYS.map((name) => ({ name, auth: { username: CANARY.username, password: CANARY.password } })) });
  simProxy = await ControllerProxy.start(sim);
  // Monitors off: this scenario is about the API's writes, and a status change by a monitor
  // would bump versions under the clients' feet (that is legitimate, but not what is measured).
  daemons.push(await startServe(s, 'replica a', { config: daemonConfig(schema.url), args: ['--no-monitor'] }));
  daemons.push(await startServe(s, 'replica b', { config: daemonConfig(schema.url), args: ['--no-monitor'] }));
  db = postgres(POSTGRES_BASE_URL, { max: 2, onnotice: () => {}, connection: { search_path: schema.schema } });
}, 120_000);

afterAll(async () => {
  for (const daemon of daemons) {
    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `${daemon.label} exited ${exitCode} on SIGTERM`);
    for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`${daemon.label} log: ${line}`);
  }
  s.note('simProxy', simProxy?.stats);
  s.finish();
  await s.cleanup();
  await db?.end({ timeout: 1 });
  await simProxy?.close();
  await sim?.close();
  await schema?.drop();
}, 60_000);

type Op = 'read' | 'env-create' | 'env-rename' | 'env-delete' | 'gw-create' | 'gw-rename' | 'gw-delete' | 'map-add' | 'map-remove' | 'gw-read' | 'env-gateways';

const WEIGHTS: Array<[Op, number]> = [
  ['env-create', 10],
  ['env-rename', 12],
  ['env-delete', 6],
  ['gw-create', 12],
  ['gw-rename', 12],
  ['gw-delete', 7],
  ['map-add', 14],
  ['map-remove', 10],
  ['gw-read', 10],
  ['env-gateways', 7],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

/** What each operation may answer; anything else (a 5xx above all) is a violation. */
const OUTCOMES: Record<Op, Array<[number, string?]>> = {
  read: [[200], [404, 'AGW_NOT_FOUND']],
  'env-create': [[201], [409, 'AGW_ENVIRONMENT_EXISTS']],
  'env-rename': [[200], [404, 'AGW_NOT_FOUND'], [412, 'AGW_PRECONDITION_FAILED']],
  'env-delete': [[204], [404, 'AGW_NOT_FOUND'], [409, 'AGW_ENVIRONMENT_IN_USE'], [412, 'AGW_PRECONDITION_FAILED']],
  // An environment named in the registration may not exist, or be deleted meanwhile.
  // A registration racing a delete of its namesake may lose the row it was about to complete.
  'gw-create': [[201], [409, 'AGW_GATEWAY_EXISTS'], [400, 'AGW_VALIDATION'], [409, 'AGW_ENVIRONMENT_GONE'], [409, 'AGW_GATEWAY_GONE']],
  'gw-rename': [[200], [404, 'AGW_NOT_FOUND'], [412, 'AGW_PRECONDITION_FAILED']],
  // Two deletes of one gateway: the second finds the first one's decommissioning lease.
  'gw-delete': [[204], [404, 'AGW_NOT_FOUND'], [412, 'AGW_PRECONDITION_FAILED'], [409, 'AGW_GATEWAY_DECOMMISSIONING']],
  // The environment is named in the path but resolved like a registration's: unknown is a 400.
  'map-add': [[201], [200], [404, 'AGW_NOT_FOUND'], [400, 'AGW_VALIDATION'], [409, 'AGW_MAPPING_TARGET_GONE']],
  'map-remove': [[204], [404, 'AGW_NOT_FOUND']],
  'gw-read': [[200], [404, 'AGW_NOT_FOUND']],
  'env-gateways': [[200], [404, 'AGW_NOT_FOUND']],
};

function versionOf(answer: Answer): number | undefined {
  const match = /^"v(\d+)"$/.exec(answer.headers.etag ?? '');
  return match ? Number(match[1]) : undefined;
}

describe('reliability: conflicting mutations', () => {
  it(`${OPERATIONS} conflicting operations from ${CLIENTS} clients on two replicas, plus ${CLI_OPERATIONS} CLI runs`, async () => {
    simProxy.set({ kind: 'latency', ms: 15 });
    s.fault('latency windows (gateway proxy, whole run)');
    const gatewayUrl = (name: string) => sim.urlOf(name).replace(`:${sim.port}/`, `:${simProxy.port}/`);

    /** Versions each acknowledged write produced, per row uuid. */
    const produced = new Map<string, number[]>();
    /** The last version each client saw of each row. */
    const seen = Array.from({ length: CLIENTS }, () => new Map<string, number>());
    const outcomes: Record<string, number> = {};
    let unconditional412 = 0;
    let ifMatchAcrossRows = 0;

    const record = (uuid: string | undefined, version: number | undefined) => {
      if (uuid === undefined || version === undefined) return;
      const list = produced.get(uuid) ?? [];
      list.push(version);
      produced.set(uuid, list);
    };
    const observe = (client: number, what: string, uuid: string | undefined, version: number | undefined) => {
      if (uuid === undefined || version === undefined) return;
      const last = seen[client]!.get(uuid);
      s.check(last === undefined || version >= last, `client ${client} saw ${what} ${uuid} go back from v${last} to v${version}`);
      seen[client]!.set(uuid, Math.max(version, last ?? 0));
    };
    const judge = (op: Op, answer: Answer, context: string) => {
      outcomes[`${op} ${answer.status}`] = (outcomes[`${op} ${answer.status}`] ?? 0) + 1;
      const allowed = OUTCOMES[op].some(([status, code]) => status === answer.status && (code === undefined || answer.body?.code === code));
      s.check(allowed, `${op} ${context}: ${show(answer)}`);
      if (answer.status >= 400) s.check(isProblem(answer), `${op} ${context}: an error that is not a problem document: ${show(answer)}`);
    };

    const cliRuns: Array<Promise<void>> = [];
    const cliAt = new Set(Array.from({ length: CLI_OPERATIONS }, (_, k) => Math.floor(((k + 0.5) * OPERATIONS) / CLI_OPERATIONS)));
    const runCli = (k: number, random: () => number) => {
      const env = ENVS[Math.floor(random() * ENVS.length)]!;
      const gateway = GATEWAYS[Math.floor(random() * GATEWAYS.length)]!;
      const server = daemons[k % 2]!.url;
      const variants: Array<{ args: string[]; input?: string }> = [
        { args: ['env', 'create', env] },
        { args: ['gateway', 'env', 'add', gateway, env] },
        { args: ['gateway', 'env', 'remove', gateway, env] },
        { args: ['env', 'delete', env, '--force', '--yes'] },
        {
          args: ['gateway', 'register', gateway, '--control-plane-url', gatewayUrl(gateway), '--env', env, '--username', CANARY.username, '--password-stdin', '--set', `clientSecret=${CANARY.clientSecret}`],
          input: CANARY.password,
        },
        { args: ['gateway', 'delete', gateway, '--yes'] },
      ];
      const variant = variants[k % variants.length]!;
      if (variant.input !== undefined) s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
      cliRuns.push(
        cli(s, ['--server', server, ...variant.args], variant.input === undefined ? {} : { input: variant.input }).then((run) => {
          outcomes[`cli exit ${run.exitCode}`] = (outcomes[`cli exit ${run.exitCode}`] ?? 0) + 1;
          // 0 done, 1 not found, 2 a registration naming an environment deleted meanwhile, 5 conflict.
          s.check([0, 1, 2, 5].includes(run.exitCode), `CLI agentgw ${variant.args.slice(0, 3).join(' ')}: exit ${run.exitCode}: ${run.stderr.slice(0, 300)}`);
        }),
      );
    };

    const t0 = Date.now();
    await pool(OPERATIONS, CLIENTS, async (i, client) => {
      const random = prng(SEED + i);
      if (cliAt.has(i)) runCli(i, random);
      let pick = random() * TOTAL_WEIGHT;
      const op = WEIGHTS.find(([, weight]) => (pick -= weight) < 0)![0];
      const base = daemons[i % 2]!.url;
      const env = ENVS[Math.floor(random() * ENVS.length)]!;
      const gateway = GATEWAYS[Math.floor(random() * GATEWAYS.length)]!;
      const conditional = random() < 0.6;
      switch (op) {
        case 'env-create': {
          const answer = await request(s, base, 'POST', '/api/v1/environments', { body: { name: env, displayName: `created by ${i}` } });
          judge(op, answer, env);
          if (answer.status === 201) {
            record(answer.body.uuid, 1);
            observe(client, 'environment', answer.body.uuid, 1);
          }
          return;
        }
        case 'env-rename': {
          const read = await request(s, base, 'GET', `/api/v1/environments/${env}`);
          judge('read', read, env);
          if (read.status !== 200) return;
          observe(client, 'environment', read.body.uuid, versionOf(read));
          const answer = await request(s, daemons[(i + 1) % 2]!.url, 'PUT', `/api/v1/environments/${env}`, {
            body: { displayName: `renamed by ${i}` },
            headers: conditional ? { 'if-match': read.headers.etag! } : {},
          });
          judge(op, answer, env);
          if (answer.status === 412 && !conditional) unconditional412 += 1;
          if (answer.status === 200) {
            const version = versionOf(answer);
            if (conditional && answer.body.uuid === read.body.uuid) s.check(version === versionOf(read)! + 1, `env-rename ${env}: If-Match ${read.headers.etag} won and produced v${version}`);
            // The ETag carries only a version: a row deleted and created again under the same name
            // starts at v1 again, and an If-Match read from the old row can then match the new one.
            if (conditional && answer.body.uuid !== read.body.uuid) ifMatchAcrossRows += 1;
            record(answer.body.uuid, version);
            observe(client, 'environment', answer.body.uuid, version);
          }
          return;
        }
        case 'env-delete': {
          const read = conditional ? await request(s, base, 'GET', `/api/v1/environments/${env}`) : undefined;
          if (read !== undefined && read.status !== 200) return;
          const force = random() < 0.5;
          const answer = await request(s, base, 'DELETE', `/api/v1/environments/${env}${force ? '?force=true' : ''}`, {
            headers: read === undefined ? {} : { 'if-match': read.headers.etag! },
          });
          judge(op, answer, env);
          return;
        }
        case 'gw-create': {
          const envs = ENVS.filter(() => random() < 0.4);
          const answer = await request(s, base, 'POST', '/api/v1/gateways', {
            body: { name: gateway, gatewayType: 'EGRESS', environmentIds: envs, adapterConfig: { controlPlaneUrl: gatewayUrl(gateway), ...canaryCredentials() } },
          });
          s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
          judge(op, answer, gateway);
          if (answer.status === 400) s.check(/environment/.test(answer.body.detail), `gw-create ${gateway}: a 400 that is not about a vanished environment: ${show(answer)}`);
          if (answer.status === 201) {
            record(answer.body.uuid, answer.body.version);
            observe(client, 'gateway', answer.body.uuid, answer.body.version);
          }
          return;
        }
        case 'gw-rename': {
          const read = await request(s, base, 'GET', `/api/v1/gateways/${gateway}`);
          judge('read', read, gateway);
          if (read.status !== 200) return;
          observe(client, 'gateway', read.body.uuid, read.body.version);
          const answer = await request(s, daemons[(i + 1) % 2]!.url, 'PUT', `/api/v1/gateways/${gateway}`, {
            body: { displayName: `renamed by ${i}` },
            headers: conditional ? { 'if-match': read.headers.etag! } : {},
          });
          judge(op, answer, gateway);
          if (answer.status === 412 && !conditional) unconditional412 += 1;
          if (answer.status === 200) {
            if (conditional && answer.body.uuid !== read.body.uuid) ifMatchAcrossRows += 1;
            else if (conditional) s.check(answer.body.version === read.body.version + 1, `gw-rename ${gateway}: If-Match v${read.body.version} won and produced v${answer.body.version}`);
            s.check(versionOf(answer) === answer.body.version, `gw-rename ${gateway}: ETag ${answer.headers.etag} is not the body's version ${answer.body.version}`);
            record(answer.body.uuid, answer.body.version);
            observe(client, 'gateway', answer.body.uuid, answer.body.version);
          }
          return;
        }
        case 'gw-delete': {
          const read = conditional ? await request(s, base, 'GET', `/api/v1/gateways/${gateway}`) : undefined;
          if (read !== undefined && read.status !== 200) return;
          const answer = await request(s, base, 'DELETE', `/api/v1/gateways/${gateway}`, { headers: read === undefined ? {} : { 'if-match': read.headers.etag! } });
          judge(op, answer, gateway);
          return;
        }
        case 'map-add':
        case 'map-remove': {
          const answer = await request(s, base, op === 'map-add' ? 'POST' : 'DELETE', `/api/v1/gateways/${gateway}/environments/${env}`);
          judge(op, answer, `${gateway} ${env}`);
          if (answer.status === 400) s.check(/unknown environment/.test(answer.body.detail), `map-add ${gateway} ${env}: a 400 that is not about a missing environment: ${show(answer)}`);
          return;
        }
        case 'gw-read': {
          const answer = await request(s, base, 'GET', `/api/v1/gateways/${gateway}`);
          judge(op, answer, gateway);
          if (answer.status === 200) observe(client, 'gateway', answer.body.uuid, answer.body.version);
          return;
        }
        case 'env-gateways': {
          const answer = await request(s, base, 'GET', `/api/v1/environments/${env}/gateways`);
          judge(op, answer, env);
          return;
        }
      }
    });
    await Promise.all(cliRuns);
    simProxy.set({ kind: 'pass' });
    s.note('loadSeconds', (Date.now() - t0) / 1000);
    s.note('outcomes', outcomes);
    s.note('unconditionalPutsAnswered412', unconditional412);
    s.note('ifMatchMatchedARecreatedRow', ifMatchAcrossRows);

    // No two acknowledged writes of one row produced the same version.
    let acknowledged = 0;
    for (const [uuid, versions] of produced) {
      acknowledged += versions.length;
      s.check(new Set(versions).size === versions.length, `row ${uuid}: two acknowledged writes produced the same version: ${versions.join(',')}`);
    }
    s.figures.acknowledgedWrites = acknowledged;

    // The final state, from the database.
    const orphans = await db<{ n: string }[]>`
      select count(*)::text as n from gateway_environment_mappings m
      left join gateways g on g.uuid = m.gateway_uuid left join environments e on e.uuid = m.environment_uuid
      where g.uuid is null or e.uuid is null`;
    s.check(orphans[0]?.n === '0', `${orphans[0]?.n} mappings point at a missing gateway or environment`);
    const duplicates = await db<{ name: string }[]>`
      select name from environments group by organization_uuid, name having count(*) > 1
      union all select name from gateways group by organization_uuid, name having count(*) > 1`;
    s.check(duplicates.length === 0, `duplicate names: ${duplicates.map((d) => d.name).join(', ')}`);
    const rows = [
      ...(await db<{ uuid: string; name: string; version: number }[]>`select uuid, name, version from environments`),
      ...(await db<{ uuid: string; name: string; version: number }[]>`select uuid, name, version from gateways`),
    ];
    for (const row of rows) {
      const versions = produced.get(row.uuid) ?? [];
      if (versions.length > 0 && row.version < Math.max(...versions)) {
        s.figures.dataLost += 1;
        s.violation(`${row.name}: stored v${row.version} is older than the acknowledged v${Math.max(...versions)}`);
      }
    }
    const mappings = await db<{ gateway: string; env: string }[]>`
      select g.name as gateway, e.name as env from gateway_environment_mappings m
      join gateways g on g.uuid = m.gateway_uuid join environments e on e.uuid = m.environment_uuid order by 1, 2`;

    // Both replicas tell the same story as the database.
    for (const daemon of daemons) {
      const listed = await request(s, daemon.url, 'GET', '/api/v1/gateways?limit=1000');
      const names = (listed.body?.gateways ?? []).map((g: { name: string }) => g.name).sort();
      const stored = rows.filter((r) => GATEWAYS.includes(r.name)).map((r) => r.name).sort();
      s.check(JSON.stringify(names) === JSON.stringify(stored), `${daemon.label} lists gateways [${names}] but the database holds [${stored}]`);
      for (const gateway of listed.body?.gateways ?? []) {
        const envs = (gateway.environments as Array<{ name: string }>).map((e) => e.name).sort();
        const expected = mappings.filter((m) => m.gateway === gateway.name).map((m) => m.env).sort();
        s.check(JSON.stringify(envs) === JSON.stringify(expected), `${daemon.label}: ${gateway.name} in [${envs}], the database says [${expected}]`);
        s.check(gateway.adapterConfig?.password?.set === true && gateway.adapterConfig?.clientSecret?.set === true, `${gateway.name}: credentials missing`);
      }
      for (const env of ENVS) {
        const members = await request(s, daemon.url, 'GET', `/api/v1/environments/${env}/gateways`);
        if (members.status === 404) {
          s.check(!rows.some((r) => r.name === env), `${daemon.label}: ${env} is stored but answers 404`);
          continue;
        }
        const names = (members.body.gateways as Array<{ name: string }>).map((g) => g.name).sort();
        const expected = mappings.filter((m) => m.env === env).map((m) => m.gateway).sort();
        s.check(JSON.stringify(names) === JSON.stringify(expected), `${daemon.label}: ${env} has [${names}], the database says [${expected}]`);
      }
      s.check(daemon.alive(), `${daemon.label} died`);
    }
    s.note('finalState', { rows: rows.length, mappings: mappings.length });
    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
    expect(s.figures.unanswered).toBe(0);
  }, 240_000);
});
