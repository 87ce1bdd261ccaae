/**
 * One `agentgw serve` (the built CLI, a child process) whose database and gateways are both
 * reached through fault proxies:
 *
 *   daemon ──► pg proxy ──► private PostgreSQL (initdb'd for this file, restarted at will)
 *   daemon ──► sim proxy ──► gateway-controller simulator (40 gateways, Basic auth = the canary)
 *
 * pg-faults: 2,000 requests (reads, environment creates, gateway registrations carrying the
 * secret canary, updates) while PostgreSQL is restarted 5 times and its connections are cut,
 * black-holed, slowed and refused. The daemon must never die, every answer must be 2xx or a 503
 * problem, and once the database is back every acknowledged write must be there, whole, and
 * nothing unacknowledged half-written.
 *
 * sim-faults: 800 requests that reach the gateways (live health, metrics, registrations,
 * re-validating updates) while the simulator's proxy adds latency, cuts, refuses and black-holes
 * connections, and some simulated gateways fail half their requests. Every answer must be 2xx or
 * a gateway/availability problem (never a 500), within a bound; afterwards the health monitor
 * must bring every gateway back to ACTIVE by itself.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { ControllerProxy, FaultProxy, type FaultMode } from './fault-proxy.js';
import { canRunPrivatePostgres, PrivatePostgres } from './private-postgres.js';
import {
  CANARY,
  canaryCredentials,
  cli,
  daemonConfig,
  isProblem,
  logTrouble,
  pool,
  request,
  Scenario,
  show,
  sleep,
  startServe,
  type Answer,
  type ServeProcess,
} from './support.js';

const PG_REQUESTS = 2000;
const SIM_REQUESTS = 800;
const CONCURRENCY = 6;
/** Request i starts no earlier than i × PACE_MS after the first: the load spans the faults. */
const PG_PACE_MS = 8;
const SIM_PACE_MS = 12;
const SIM_GATEWAYS = 40;
const BASE_ENVS = ['base-0', 'base-1', 'base-2', 'base-3'];
/**
 * Answers slower than this count as hung. Generous on purpose: a request may legitimately wait
 * for a connection (10 s) and then for a connect (5 s) more than once while the database is
 * away; what must never happen is a request that is never answered.
 */
const ANSWER_BOUND_MS = 60_000;

const pgScenario = new Scenario('pg-faults', 'PostgreSQL restarted 5 times and its connections faulted under load');
const simScenario = new Scenario('sim-faults', 'gateway connections faulted through the proxy under load');

let pg: PrivatePostgres;
let pgProxy: FaultProxy;
let sim: GatewaySimulator;
let simProxy: ControllerProxy;
let daemon: ServeProcess;
let db: postgres.Sql;

/** The gateway-controller URL a daemon registers: the simulator's, through the proxy (health is found behind its admin proxy). */
function proxiedUrl(gateway: string): string {
  return sim.urlOf(gateway).replace(`:${sim.port}/`, `:${simProxy.port}/`);
}

function simGatewayOf(i: number): string {
  return `sim-${Math.floor(i / 5) % SIM_GATEWAYS}`;
}

/** The two environments registration i asks for. */
function envsOf(i: number): string[] {
  const k = Math.floor(i / 5);
  return [BASE_ENVS[k % 4]!, BASE_ENVS[(k + 1) % 4]!];
}

/**
 * One writer per row at a time, as a well-behaved client does: two unconditional PUTs of one
 * row racing each other may be answered 412 by design (the conflicts scenario counts those), and
 * these scenarios are about faults, not races.
 */
const rowLocks = new Map<string, Promise<unknown>>();
function serialised<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = rowLocks.get(key) ?? Promise.resolve();
  const next = previous.then(run, run);
  rowLocks.set(key, next.catch(() => {}));
  return next;
}

/** The version an answer's ETag ("v7") carries; NaN without one. */
function versionOf(answer: Answer): number {
  const match = /^"v(\d+)"$/.exec(answer.headers.etag ?? '');
  return match ? Number(match[1]) : Number.NaN;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(10);
}

async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await sleep(wait);
}

/** Polls until `probe` answers 200; returns how long that took, or -1. */
async function recovery(s: Scenario, probe: () => Promise<Answer>, boundMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    if ((await probe()).status === 200) return Date.now() - started;
    await sleep(100);
  }
  s.violation(`no recovery within ${boundMs} ms`);
  return -1;
}

const canRun = canRunPrivatePostgres();

beforeAll(async () => {
  if (!canRun) return;
  pg = await PrivatePostgres.start();
  pgProxy = await FaultProxy.start({ host: '127.0.0.1', port: pg.port });
  sim = await startGatewaySimulator({
    gateways: Array.from({ length: SIM_GATEWAYS }, (_, k) => ({ name: `sim-${k}`, auth: { username: CANARY.username, password: CANARY.password } })),
  });
  simProxy = await ControllerProxy.start(sim);
  daemon = await startServe(pgScenario, 'pg-faults', {
    config: daemonConfig(pg.urlOf(pgProxy.port, 'battery'), {
      // Long enough for a busy machine, short enough for the 2 s latency window to be a failure.
      healthCheck: { interval: '3s', timeout: '3s' },
    }),
  });
  // Checked directly, not through the proxy.
  db = postgres(pg.urlOf(), { max: 2, onnotice: () => {}, connection: { search_path: 'battery' } });
  for (const name of BASE_ENVS) {
    const created = await request(pgScenario, daemon.url, 'POST', '/api/v1/environments', { body: { name } });
    expect(created.status, show(created)).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  if (!canRun) return;
  const exitCode = await daemon?.stop();
  pgScenario.check(exitCode === 0, `the daemon did not stop cleanly on SIGTERM (exit ${exitCode})`);
  const trouble = logTrouble(daemon?.stdout() ?? '');
  pgScenario.note('daemonLog', { lines: trouble.lines, errors: trouble.errors, warnings: trouble.warnings, unhandledRejections: trouble.unhandledRejections });
  for (const line of trouble.fatal) pgScenario.violation(`daemon log: ${line}`);
  pgScenario.note('pgProxy', pgProxy?.stats);
  simScenario.note('simProxy', simProxy?.stats);
  pgScenario.finish();
  simScenario.finish();
  await db?.end({ timeout: 1 });
  await pgScenario.cleanup();
  await simProxy?.close();
  await sim?.close();
  await pgProxy?.close();
  await pg?.destroy();
}, 120_000);

interface Registration {
  name: string;
  uuid: string;
  envs: string[];
}

const acknowledged = {
  environments: new Map<string, string>(),
  gateways: new Map<string, Registration>(),
  /** Per base environment, every acknowledged update: its resulting version and description. */
  updates: new Map<string, Array<{ version: number; description: string }>>(),
};

describe.skipIf(!canRun)('reliability: faults under load', () => {
  it(`pg-faults: ${PG_REQUESTS} requests while PostgreSQL restarts 5 times and its connections are cut, black-holed, slowed and refused`, async () => {
    const s = pgScenario;
    let started = 0;
    const pidBefore = pg.postmasterPid();
    const inject = (kind: string, run: () => Promise<unknown> | unknown) => async () => {
      s.fault(kind);
      await run();
    };
    // The CLI, run while the database is away: it must exit 0 (done) or 3 (database unreachable).
    let cliDuringOutage: Promise<void> = Promise.resolve();
    const program: Array<{ at: number; run: () => Promise<void> }> = [
      { at: 150, run: inject('PostgreSQL restarts', () => pg.restart()) },
      { at: 300, run: inject('connection cuts', () => pgProxy.cut()) },
      { at: 450, run: inject('PostgreSQL restarts', () => pg.restart()) },
      { at: 600, run: inject('black holes', () => pgProxy.window({ kind: 'blackhole' }, 1500)) },
      {
        at: 800,
        run: inject('PostgreSQL restarts', () => {
          cliDuringOutage = cli(s, ['--server', daemon.url, 'env', 'list', '-o', 'json']).then((run) => {
            s.check(run.exitCode === 0 || run.exitCode === 3, `CLI during a restart: exit ${run.exitCode}: ${run.stderr}`);
          });
          return pg.restart();
        }),
      },
      { at: 1000, run: inject('connection cuts', () => pgProxy.cut()) },
      { at: 1150, run: inject('PostgreSQL restarts', () => pg.restart()) },
      { at: 1300, run: inject('latency windows', () => pgProxy.window({ kind: 'latency', ms: 150 } satisfies FaultMode, 2000)) },
      { at: 1500, run: inject('PostgreSQL restarts', () => pg.restart()) },
      { at: 1700, run: inject('refusal windows', () => pgProxy.window({ kind: 'reset' }, 1000)) },
    ];
    let faultsDone = 0;
    const chaos = (async () => {
      for (const step of program) {
        await until(() => started >= step.at);
        await step.run();
        faultsDone += 1;
      }
    })();

    const t0 = Date.now();
    const unavailable = { count: 0 };
    await pool(PG_REQUESTS, CONCURRENCY, async (i) => {
      await sleepUntil(t0 + i * PG_PACE_MS);
      started = Math.max(started, i + 1);
      const kind = i % 40;
      const k = Math.floor(i / 40);
      let answer: Answer;
      if (kind % 10 === 0) {
        const name = `w-${i}`;
        answer = await request(s, daemon.url, 'POST', '/api/v1/environments', { body: { name, description: `written by request ${i}` }, timeoutMs: ANSWER_BOUND_MS });
        if (answer.status === 201) acknowledged.environments.set(name, answer.body.uuid);
      } else if (kind === 5 || kind === 25) {
        const name = `g-${i}`;
        answer = await request(s, daemon.url, 'POST', '/api/v1/gateways', {
          body: { name, gatewayType: 'EGRESS', environmentIds: envsOf(i), adapterConfig: { controlPlaneUrl: proxiedUrl(simGatewayOf(i)), ...canaryCredentials() }, allowDuplicateUrl: true },
          timeoutMs: ANSWER_BOUND_MS,
        });
        s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
        if (answer.status === 201) acknowledged.gateways.set(name, { name, uuid: answer.body.uuid, envs: envsOf(i) });
      } else if (kind === 15 || kind === 35) {
        const env = BASE_ENVS[(k + kind) % 4]!;
        const description = `updated by request ${i}`;
        answer = await serialised(env, () => request(s, daemon.url, 'PUT', `/api/v1/environments/${env}`, { body: { description }, timeoutMs: ANSWER_BOUND_MS }));
        if (answer.status === 200) {
          const list = acknowledged.updates.get(env) ?? [];
          list.push({ version: versionOf(answer), description });
          acknowledged.updates.set(env, list);
        }
      } else if (kind % 4 === 0) {
        answer = await request(s, daemon.url, 'GET', `/api/v1/environments/${BASE_ENVS[i % 4]}`, { timeoutMs: ANSWER_BOUND_MS });
      } else if (kind % 4 === 1 && acknowledged.gateways.size > 0) {
        const names = [...acknowledged.gateways.keys()];
        answer = await request(s, daemon.url, 'GET', `/api/v1/gateways/${names[i % names.length]}`, { timeoutMs: ANSWER_BOUND_MS });
      } else if (kind % 4 === 2) {
        answer = await request(s, daemon.url, 'GET', '/api/v1/gateways?limit=10', { timeoutMs: ANSWER_BOUND_MS });
      } else {
        answer = await request(s, daemon.url, 'GET', '/api/v1/environments', { timeoutMs: ANSWER_BOUND_MS });
      }
      const expected = kind % 10 === 0 || kind === 5 || kind === 25 ? 201 : 200;
      if (answer.status === expected) return;
      if (answer.status === 503 && isProblem(answer) && answer.body.code === 'AGW_UNAVAILABLE') {
        unavailable.count += 1;
        return;
      }
      s.violation(`request ${i}: expected ${expected} or a 503 problem, got ${show(answer)}`);
    });
    const loadEndedWithFaultsDone = faultsDone;
    await chaos;
    await cliDuringOutage;
    s.check(loadEndedWithFaultsDone >= program.length - 1, `the load ended before the faults did (${loadEndedWithFaultsDone}/${program.length})`);
    s.check(pg.postmasterPid() !== pidBefore && pg.restarts === 5, `PostgreSQL was not restarted 5 times (${pg.restarts})`);
    s.note('unavailableAnswers', unavailable.count);
    s.note('loadSeconds', (Date.now() - t0) / 1000);
    s.check(unavailable.count > 0, 'no 503 at all: the faults did not reach the daemon');
    s.check(daemon.alive(), 'the daemon died');

    // Recovery: ready again by itself, then every acknowledged write is read back.
    const recoveredMs = await recovery(s, () => request(s, daemon.url, 'GET', '/readyz'), 30_000);
    s.note('recoveryMs', recoveredMs);

    for (const [name, uuid] of acknowledged.environments) {
      const read = await request(s, daemon.url, 'GET', `/api/v1/environments/${name}`);
      if (read.status !== 200 || read.body.uuid !== uuid) {
        s.figures.dataLost += 1;
        s.violation(`acknowledged environment ${name} lost: ${show(read)}`);
      }
    }
    for (const { name, uuid, envs } of acknowledged.gateways.values()) {
      const read = await request(s, daemon.url, 'GET', `/api/v1/gateways/${name}`);
      if (read.status !== 200 || read.body.uuid !== uuid) {
        s.figures.dataLost += 1;
        s.violation(`acknowledged gateway ${name} lost: ${show(read)}`);
        continue;
      }
      const mapped = (read.body.environments as Array<{ name: string }>).map((e) => e.name).sort();
      const secrets = read.body.adapterConfig;
      if (JSON.stringify(mapped) !== JSON.stringify([...envs].sort()) || secrets.password?.set !== true || secrets.clientSecret?.set !== true) {
        s.figures.halfWritten += 1;
        s.violation(`acknowledged gateway ${name} incomplete: environments ${mapped.join(',')}, adapterConfig ${JSON.stringify(secrets)}`);
      }
    }
    let updateCount = 0;
    for (const [env, updates] of acknowledged.updates) {
      updateCount += updates.length;
      const versions = updates.map((u) => u.version);
      s.check(versions.every(Number.isFinite), `${env}: an acknowledged update carried no version in its ETag`);
      s.check(new Set(versions).size === versions.length, `${env}: two acknowledged updates returned the same version (a lost update)`);
      const read = await request(s, daemon.url, 'GET', `/api/v1/environments/${env}`);
      const latest = updates.reduce((a, b) => (b.version > a.version ? b : a));
      const version = versionOf(read);
      if (read.status !== 200 || version < latest.version || (version === latest.version && read.body.description !== latest.description)) {
        s.figures.dataLost += 1;
        s.violation(`${env}: acknowledged update v${latest.version} "${latest.description}" lost: ${show(read)}`);
      }
    }
    s.figures.acknowledgedWrites = acknowledged.environments.size + acknowledged.gateways.size + updateCount;

    // Nothing unacknowledged is half-written: every stored gateway is whole, acknowledged or not.
    const gateways = await db<{ uuid: string; name: string; credentials: string | null }[]>`select uuid, name, credentials from gateways`;
    const mappings = await db<{ gateway: string; env: string }[]>`
      select g.name as gateway, e.name as env from gateway_environment_mappings m
      join gateways g on g.uuid = m.gateway_uuid join environments e on e.uuid = m.environment_uuid`;
    const events = await db<{ gateway_uuid: string }[]>`select distinct gateway_uuid from gateway_status_events`;
    const withEvents = new Set(events.map((e) => e.gateway_uuid));
    let unacknowledgedButStored = 0;
    for (const gateway of gateways) {
      if (!/^g-\d+$/.test(gateway.name)) continue;
      const i = Number(gateway.name.slice(2));
      if (!acknowledged.gateways.has(gateway.name)) unacknowledgedButStored += 1;
      const mapped = mappings.filter((m) => m.gateway === gateway.name).map((m) => m.env).sort();
      const whole = JSON.stringify(mapped) === JSON.stringify(envsOf(i).sort()) && gateway.credentials !== null && withEvents.has(gateway.uuid);
      if (!whole) {
        s.figures.halfWritten += 1;
        s.violation(`stored gateway ${gateway.name} is half-written: environments [${mapped.join(',')}], credentials ${gateway.credentials === null ? 'missing' : 'sealed'}, status event ${withEvents.has(gateway.uuid)}`);
      }
    }
    const environments = await db<{ name: string; description: string | null }[]>`select name, description from environments where name like 'w-%'`;
    let unacknowledgedEnvironments = 0;
    for (const env of environments) {
      if (!acknowledged.environments.has(env.name)) unacknowledgedEnvironments += 1;
      s.check(env.description === `written by request ${env.name.slice(2)}`, `stored environment ${env.name} has description ${env.description}`);
    }
    s.note('committedButUnacknowledged', { gateways: unacknowledgedButStored, environments: unacknowledgedEnvironments });
    s.check(
      gateways.length === acknowledged.gateways.size + unacknowledgedButStored,
      `gateway rows ${gateways.length} ≠ acknowledged ${acknowledged.gateways.size} + unacknowledged ${unacknowledgedButStored}`,
    );

    // The sealed credentials still open and still work: every acknowledged gateway is healthy live.
    for (const { name } of acknowledged.gateways.values()) {
      const health = await request(s, daemon.url, 'POST', `/api/v1/gateways/${name}/health-checks`);
      s.check(health.status === 201 && health.body.status === 'ACTIVE', `gateway ${name} not healthy after recovery: ${show(health)}`);
    }

    // What a user sees through the CLI after the outage.
    const first = [...acknowledged.gateways.keys()][0];
    if (first !== undefined) {
      const got = await cli(s, ['--server', daemon.url, 'gateway', 'get', first, '-o', 'json']);
      s.check(got.exitCode === 0 && JSON.parse(got.stdout).name === first, `CLI gateway get: exit ${got.exitCode}: ${got.stderr}`);
      const health = await cli(s, ['--server', daemon.url, 'gateway', 'health', first]);
      s.check(health.exitCode === 0, `CLI gateway health: exit ${health.exitCode}: ${health.stderr}`);
    }
    const registered = await cli(
      s,
      [
        '--server', daemon.url, 'gateway', 'register', 'cli-gw', '--control-plane-url', proxiedUrl('sim-0'), '--allow-duplicate-url', '--env', 'base-0',
        '--username', CANARY.username, '--password-stdin', '--set', `clientSecret=${CANARY.clientSecret}`, '-o', 'json',
      ],
      { input: CANARY.password },
    );
    s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
    s.check(registered.exitCode === 0, `CLI gateway register: exit ${registered.exitCode}: ${registered.stderr}`);
    if (registered.exitCode === 0) acknowledged.gateways.set('cli-gw', { name: 'cli-gw', uuid: JSON.parse(registered.stdout).uuid, envs: ['base-0'] });
    const listed = await cli(s, ['--server', daemon.url, 'gateway', 'list', '-o', 'yaml']);
    s.check(listed.exitCode === 0, `CLI gateway list: exit ${listed.exitCode}: ${listed.stderr}`);

    s.note('pgProxyFaults', pgProxy.faultsInjected);
    s.check(daemon.alive(), 'the daemon died');
    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
    expect(s.figures.unanswered).toBe(0);
  }, 240_000);

  it(`sim-faults: ${SIM_REQUESTS} requests to the gateways while their connections are slowed, cut, refused and black-holed`, async () => {
    const s = simScenario;
    const known = [...acknowledged.gateways.values()];
    expect(known.length).toBeGreaterThan(30);
    let started = 0;
    const inject = (kind: string, run: () => Promise<unknown> | unknown) => async () => {
      s.fault(kind);
      await run();
    };
    const flaky = Array.from({ length: 5 }, (_, k) => `sim-${k}`);
    const program: Array<{ at: number; run: () => Promise<void> }> = [
      { at: 60, run: inject('latency windows', () => simProxy.window({ kind: 'latency', ms: 300 }, 2000)) },
      { at: 200, run: inject('connection cuts', () => simProxy.cut()) },
      { at: 260, run: inject('refusal windows', () => simProxy.window({ kind: 'reset' }, 1500)) },
      { at: 400, run: inject('black holes', () => simProxy.window({ kind: 'blackhole' }, 2500)) },
      { at: 520, run: inject('connection cuts', () => simProxy.cut()) },
      { at: 600, run: inject('latency windows', () => simProxy.window({ kind: 'latency', ms: 2000 }, 2500)) },
      {
        at: 700,
        run: inject('gateways failing half their requests', async () => {
          for (const name of flaky) sim.setFaults(name, { errorRate: 0.5 });
          await sleep(1500);
          for (const name of flaky) sim.setFaults(name, { errorRate: undefined });
        }),
      },
    ];
    const chaos = (async () => {
      for (const step of program) {
        await until(() => started >= step.at);
        await step.run();
      }
    })();

    const registered = new Map<string, Registration>();
    const t0 = Date.now();
    let gatewayProblems = 0;
    await pool(SIM_REQUESTS, CONCURRENCY, async (i) => {
      await sleepUntil(t0 + i * SIM_PACE_MS);
      started = Math.max(started, i + 1);
      const target = known[i % known.length]!;
      const kind = i % 10;
      let answer: Answer;
      let expected = 200;
      if (kind <= 3) {
        expected = 201;
        answer = await request(s, daemon.url, 'POST', `/api/v1/gateways/${target.name}/health-checks`, { timeoutMs: ANSWER_BOUND_MS });
      } else if (kind === 4) {
        answer = await request(s, daemon.url, 'GET', `/api/v1/gateways/${target.name}/metrics`, { timeoutMs: ANSWER_BOUND_MS });
      } else if (kind === 5) {
        const name = `s-${i}`;
        expected = 201;
        answer = await request(s, daemon.url, 'POST', '/api/v1/gateways', {
          body: { name, gatewayType: 'INGRESS', environmentIds: envsOf(i), adapterConfig: { controlPlaneUrl: proxiedUrl(simGatewayOf(i)), ...canaryCredentials() }, allowDuplicateUrl: true },
          timeoutMs: ANSWER_BOUND_MS,
        });
        s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
        if (answer.status === 201) registered.set(name, { name, uuid: answer.body.uuid, envs: envsOf(i) });
      } else if (kind === 6) {
        answer = await serialised(target.name, () =>
          request(s, daemon.url, 'PUT', `/api/v1/gateways/${target.name}`, { body: { displayName: `renamed by ${i}` }, timeoutMs: ANSWER_BOUND_MS }),
        );
      } else if (kind === 7) {
        // A changed connection setting is checked against the gateway before it is stored.
        answer = await serialised(target.name, () =>
          request(s, daemon.url, 'PUT', `/api/v1/gateways/${target.name}`, {
            body: { adapterConfig: { controlPlaneUrl: proxiedUrl(`sim-${i % SIM_GATEWAYS}`) } },
            timeoutMs: ANSWER_BOUND_MS,
          }),
        );
      } else if (kind === 8) {
        answer = await request(s, daemon.url, 'GET', '/api/v1/gateways?limit=10', { timeoutMs: ANSWER_BOUND_MS });
      } else {
        answer = await request(s, daemon.url, 'GET', `/api/v1/gateways/${target.name}`, { timeoutMs: ANSWER_BOUND_MS });
      }
      if (answer.status === expected) return;
      if ((answer.status === 502 || answer.status === 503 || answer.status === 504) && isProblem(answer) && /^AGW_(GATEWAY_|UNAVAILABLE)/.test(answer.body.code)) {
        gatewayProblems += 1;
        return;
      }
      s.violation(`request ${i} (${kind}): expected ${expected} or a gateway problem, got ${show(answer)}`);
    });
    await chaos;
    s.note('gatewayProblemAnswers', gatewayProblems);
    s.note('loadSeconds', (Date.now() - t0) / 1000);
    s.check(gatewayProblems > 0, 'no gateway problem at all: the faults did not reach the gateways');
    s.check(daemon.alive(), 'the daemon died');

    // The monitor brings every gateway back to ACTIVE by itself once the network heals.
    const all = [...known, ...registered.values()];
    let lastSeen: string[] = [];
    const healedIn = await recovery(
      s,
      async () => {
        const page = await request(s, daemon.url, 'GET', '/api/v1/gateways?limit=1000');
        if (page.status !== 200) return page;
        const listed = page.body.gateways as Array<{ name: string; status: string }>;
        const names = new Set(listed.map((g) => g.name));
        lastSeen = listed.filter((g) => g.status !== 'ACTIVE').map((g) => `${g.name} ${g.status}`);
        return { ...page, status: lastSeen.length === 0 && all.every((g) => names.has(g.name)) ? 200 : 0 };
      },
      30_000,
    );
    s.note('monitorRecoveryMs', healedIn);
    s.check(healedIn >= 0, `not ACTIVE 30 s after the faults ended: ${lastSeen.slice(0, 10).join(', ')}`);
    for (const { name, uuid, envs } of registered.values()) {
      const read = await request(s, daemon.url, 'GET', `/api/v1/gateways/${name}`);
      if (read.status !== 200 || read.body.uuid !== uuid) {
        s.figures.dataLost += 1;
        s.violation(`acknowledged gateway ${name} lost: ${show(read)}`);
      } else if (JSON.stringify((read.body.environments as Array<{ name: string }>).map((e) => e.name).sort()) !== JSON.stringify([...envs].sort())) {
        s.figures.halfWritten += 1;
        s.violation(`acknowledged gateway ${name} has the wrong environments`);
      }
    }
    s.figures.acknowledgedWrites = registered.size;
    s.note('simProxyFaults', simProxy.faultsInjected);
    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
    expect(s.figures.unanswered).toBe(0);
  }, 240_000);
});
