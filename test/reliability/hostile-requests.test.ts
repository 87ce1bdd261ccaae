/**
 * hostile-requests: what a web page or a client with write access could send a daemon, through
 * three `agentgw serve` processes on one PostgreSQL schema each:
 *
 * - open: authentication off (the loopback default), its database reached through a fault proxy;
 * - proxied: authentication off and `server.allowedHosts: [agentgw.battery.test]` (started by
 *   the rebinding case);
 * - locked: authentication on, its database through the same proxy.
 *
 * DNS rebinding: requests naming another host, or sent from another site's page, are refused
 * (403, connection closed) on every route and change nothing; loopback names and the allowed
 * name pass. Bounded input: metadata and adapterConfig deeper or larger than the limits, JSON
 * nested deeper than the parser's cap, control and bidi characters and lone surrogates in names,
 * and bytes that are not UTF-8 are refused and store nothing; what is at the limits is stored
 * whole; the CLI's every output format works afterwards, and its tables replace control
 * characters a database holds anyway. Quiet endpoints: what anyone may ask (/healthz, /readyz,
 * refusals, unknown routes) names no database, schema or path, ready or not.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { POSTGRES_BASE_URL, createTestSchema, type TestSchema } from '../support/postgres.js';
import { FaultProxy } from './fault-proxy.js';
import { rawRequest, type RawAnswer } from './raw-http.js';
import { CANARY, canaryCredentials, cli, daemonConfig, isProblem, logTrouble, request, Scenario, show, startServe, type Answer, type ServeProcess } from './support.js';

const s = new Scenario('hostile-requests', 'DNS rebinding, unbounded and unprintable input, and what unauthenticated endpoints reveal');

let sim: GatewaySimulator;
let dbProxy: FaultProxy;
let schemas: TestSchema[] = [];
let open: ServeProcess;
let locked: ServeProcess;
let db: postgres.Sql;

/** The open daemon's schema reached through the proxy. */
function throughProxy(schema: TestSchema): string {
  const url = new URL(schema.url);
  url.port = String(dbProxy.port);
  return url.toString();
}

beforeAll(async () => {
  // One controller per gateway stored: a controller's URL is registered once.
  sim = await startGatewaySimulator({ gateways: ['good', 'depth', 'size', 'grows'].map((name) => ({ name, auth: { username: CANARY.username, password: CANARY.password } })) });
  const base = new URL(POSTGRES_BASE_URL);
  dbProxy = await FaultProxy.start({ host: base.hostname, port: Number(base.port || 5432) });
  schemas = [createTestSchema('battery_hostile'), createTestSchema('battery_hostile'), createTestSchema('battery_hostile')];
  [open, locked] = await Promise.all([
    startServe(s, 'open', { config: daemonConfig(throughProxy(schemas[0]!)), args: ['--no-monitor'] }),
    startServe(s, 'locked', { config: { ...daemonConfig(throughProxy(schemas[2]!)), server: { auth: { required: true } } }, args: ['--no-monitor'] }),
  ]);
  db = postgres(POSTGRES_BASE_URL, { max: 2, onnotice: () => {}, connection: { search_path: schemas[0]!.schema } });
}, 120_000);

afterAll(async () => {
  for (const daemon of [open, locked]) {
    if (daemon === undefined) continue;
    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `${daemon.label} exited ${exitCode} on SIGTERM`);
    for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`${daemon.label} log: ${line}`);
  }
  s.finish();
  await s.cleanup();
  await db?.end({ timeout: 1 });
  await sim?.close();
  await dbProxy?.close();
  for (const schema of schemas) await schema.drop();
}, 60_000);

function portOf(daemon: ServeProcess): string {
  return new URL(daemon.url).port;
}

async function names(daemon: ServeProcess, what: 'environments' | 'gateways'): Promise<string[]> {
  const listed = await request(s, daemon.url, 'GET', `/api/v1/${what}${what === 'gateways' ? '?limit=1000' : ''}`);
  s.check(listed.status === 200, `listing ${what}: ${show(listed)}`);
  return (listed.body?.[what] ?? []).map((item: { name: string }) => item.name).sort();
}

function refusedAsForeign(answer: RawAnswer): boolean {
  return answer.status === 403 && isProblem(answer) && answer.body.code === 'AGW_HOST_NOT_ALLOWED' && answer.closedByServer;
}

describe('reliability: hostile requests', () => {
  it('DNS rebinding: a foreign Host or a cross-site Origin is refused on every route and changes nothing', async () => {
    const port = portOf(open);
    const seeded = await request(s, open.url, 'POST', '/api/v1/environments', { body: { name: 'keep-me', description: 'as it was' } });
    expect(seeded.status, show(seeded)).toBe(201);
    const before = { environments: await names(open, 'environments'), gateways: await names(open, 'gateways') };

    const foreignHosts = [
      'attacker.example',
      `attacker.example:${port}`,
      'attacker.example.',
      `ATTACKER.EXAMPLE:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `localhost.attacker.example:${port}`,
      `0.0.0.0:${port}`,
      `10.0.0.1:${port}`,
      `[fe80::1]:${port}`,
      `127.0.0.1@attacker.example:${port}`,
      `attacker.example/127.0.0.1:${port}`,
      '',
    ];
    const attempts: Array<{ method: string; path: string; body?: unknown }> = [
      { method: 'POST', path: '/api/v1/environments', body: { name: 'rebound' } },
      { method: 'POST', path: '/api/v1/gateways', body: { name: 'rebound-gw', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('good'), ...canaryCredentials() } } },
      { method: 'PUT', path: '/api/v1/environments/keep-me', body: { description: 'changed by a web page' } },
      { method: 'DELETE', path: '/api/v1/environments/keep-me' },
      { method: 'GET', path: '/api/v1/gateways' },
      { method: 'GET', path: '/openapi.json' },
      { method: 'GET', path: '/readyz' },
    ];
    let refused = 0;
    let tried = 0;
    for (const host of foreignHosts) {
      for (const attempt of attempts) {
        tried += 1;
        s.fault('foreign Host headers');
        if (attempt.path === '/api/v1/gateways' && attempt.method === 'POST') s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
        const answer = await rawRequest(s, open.url, attempt.method, attempt.path, { host, ...(attempt.body === undefined ? {} : { body: attempt.body }) });
        if (s.check(refusedAsForeign(answer), `Host ${JSON.stringify(host)}: ${attempt.method} ${attempt.path}: ${show(answer)}, closed ${answer.closedByServer}`)) refused += 1;
      }
    }
    const crossSite = ['http://attacker.example', 'https://attacker.example', 'null', `http://127.0.0.1.attacker.example:${port}`, `http://localhost:${port}`, 'file://'];
    for (const origin of crossSite) {
      for (const attempt of attempts.slice(0, 3)) {
        tried += 1;
        s.fault('cross-site Origin headers');
        if (attempt.path === '/api/v1/gateways') s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
        const answer = await rawRequest(s, open.url, attempt.method, attempt.path, { headers: { origin }, body: attempt.body });
        if (s.check(refusedAsForeign(answer), `Origin ${origin}: ${attempt.method} ${attempt.path}: ${show(answer)}`)) refused += 1;
      }
    }
    s.check(JSON.stringify(await names(open, 'environments')) === JSON.stringify(before.environments), 'a refused request changed the environments');
    s.check(JSON.stringify(await names(open, 'gateways')) === JSON.stringify(before.gateways), 'a refused request changed the gateways');
    const kept = await request(s, open.url, 'GET', '/api/v1/environments/keep-me');
    s.check(kept.body?.description === 'as it was', `keep-me changed: ${show(kept)}`);

    // What a user reaches the daemon as still works.
    const loopbackNames = [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `localhost.:${port}`, `[::1]:${port}`, `[::ffff:127.0.0.1]:${port}`, `127.0.0.2:${port}`, '127.0.0.1'];
    for (const [k, host] of loopbackNames.entries()) {
      const answer = await rawRequest(s, open.url, 'POST', '/api/v1/environments', { host, body: { name: `loopback-${k}` } });
      s.check(answer.status === 201, `Host ${host} must be served: ${show(answer)}`);
    }
    const sameSite = await rawRequest(s, open.url, 'POST', '/api/v1/environments', { headers: { origin: `http://127.0.0.1:${port}` }, body: { name: 'same-site' } });
    s.check(sameSite.status === 201, `a same-site Origin must be served: ${show(sameSite)}`);
    const viaLocalhost = await cli(s, ['--server', `http://localhost:${port}`, 'env', 'list', '-o', 'name']);
    s.check(viaLocalhost.exitCode === 0 && viaLocalhost.stdout.includes('keep-me'), `CLI through localhost: exit ${viaLocalhost.exitCode}: ${viaLocalhost.stderr}`);

    // Behind a proxy: the allowed name passes, others do not.
    const proxied = await startServe(s, 'proxied', { config: { ...daemonConfig(schemas[1]!.url), server: { allowedHosts: ['agentgw.battery.test'] } }, args: ['--no-monitor'] });
    const allowed = await rawRequest(s, proxied.url, 'POST', '/api/v1/environments', { host: 'agentgw.battery.test', body: { name: 'via-proxy' } });
    s.check(allowed.status === 201, `server.allowedHosts: ${show(allowed)}`);
    const stillForeign = await rawRequest(s, proxied.url, 'POST', '/api/v1/environments', { host: 'attacker.example', body: { name: 'not-via-proxy' } });
    s.check(refusedAsForeign(stillForeign), `server.allowedHosts let another name in: ${show(stillForeign)}`);
    const proxiedEnvironments = await names(proxied, 'environments');
    s.check(!proxiedEnvironments.includes('not-via-proxy') && proxiedEnvironments.includes('via-proxy'), `the proxied daemon holds ${proxiedEnvironments.join(', ')}`);
    const proxiedExit = await proxied.stop();
    s.check(proxiedExit === 0, `the proxied daemon exited ${proxiedExit} on SIGTERM`);

    s.note('rebinding', { tried, refused });
    s.check(refused === tried, `${tried - refused} of ${tried} rebinding attempts were not refused`);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 120_000);

  it('bounded input: deep, large, unprintable and malformed input is refused, stores nothing, and every output format still works', async () => {
    const nested = (levels: number, leaf: unknown = 1, array = false): unknown => {
      let value = leaf;
      for (let i = 0; i < levels; i++) value = array ? [value] : { a: value };
      return value;
    };
    /** JSON text nested `levels` deep, built as text: JSON.stringify itself overflows on deep values. */
    const nestedText = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const registration = (name: string, extra: Record<string, unknown>, controller: string) => ({
      name,
      gatewayType: 'EGRESS',
      adapterConfig: { controlPlaneUrl: sim.urlOf(controller), ...canaryCredentials() },
      ...extra,
    });
    let refusedCount = 0;
    let attempts = 0;
    const refused = async (label: string, answer: Answer | RawAnswer, path?: string) => {
      attempts += 1;
      s.fault('hostile input');
      const ok = answer.status === 400 && isProblem(answer) && answer.body.code === 'AGW_VALIDATION' && (path === undefined || JSON.stringify(answer.body.errors ?? []).includes(`"path":"${path}`));
      if (s.check(ok, `${label}: expected a 400 naming ${path ?? 'the body'}, got ${show(answer)}`)) refusedCount += 1;
    };
    const register = async (name: string, extra: Record<string, unknown>, controller = 'good') => {
      s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
      return request(s, open.url, 'POST', '/api/v1/gateways', { body: registration(name, extra, controller) });
    };

    // At the limits: stored, and read back whole.
    const deepest = { tags: nested(7, 'leaf') };
    const atDepth = await register('at-depth', { metadata: deepest }, 'depth');
    s.check(atDepth.status === 201 && JSON.stringify(atDepth.body.metadata) === JSON.stringify(deepest), `8 levels of metadata must be stored: ${show(atDepth)}`);
    const filler = (bytes: number) => ({ note: 'x'.repeat(bytes - JSON.stringify({ note: '' }).length) });
    const atSize = await register('at-size', { metadata: filler(16 * 1024) }, 'size');
    s.check(atSize.status === 201 && Buffer.byteLength(JSON.stringify(atSize.body.metadata)) === 16 * 1024, `16 KiB of metadata must be stored: ${show(atSize)}`);

    // Beyond them: refused, whatever the shape.
    for (const levels of [8, 20, 64]) {
      // 65 levels of metadata are more than the parser's cap for the whole body: no field to name.
      const path = levels < 64 ? 'metadata' : undefined;
      await refused(`metadata ${levels + 1} levels deep`, await register(`deep-${levels}`, { metadata: { x: nested(levels) } }), path);
      await refused(`metadata ${levels + 1} levels of arrays`, await register(`deep-array-${levels}`, { metadata: { x: nested(levels, 1, true) } }), path);
    }
    await refused('adapterConfig 9 levels deep', await register('deep-config', { adapterConfig: { controlPlaneUrl: sim.urlOf('good'), tls: nested(8) } }), 'adapterConfig');
    await refused('metadata of 16 KiB and a byte', await register('too-big', { metadata: filler(16 * 1024 + 1) }), 'metadata');
    await refused('metadata of 900 KiB', await register('far-too-big', { metadata: filler(900 * 1024) }), 'metadata');
    await refused('a lone surrogate in metadata', await register('surrogate-meta', { metadata: { label: 'a\ud800b' } }), 'metadata.label');
    await refused('a lone surrogate in a metadata key', await register('surrogate-key', { metadata: { ['k\udc00']: 1 } }), 'metadata');
    for (const levels of [3_000, 4_500, 100_000]) {
      const body = `{"name":"deep-text-${levels}","gatewayType":"EGRESS","adapterConfig":{"controlPlaneUrl":"${sim.urlOf('good')}"},"metadata":${nestedText(levels)}}`;
      await refused(`metadata ${levels} levels deep`, await rawRequest(s, open.url, 'POST', '/api/v1/gateways', { body }));
      await refused(`a body nested ${levels} levels`, await rawRequest(s, open.url, 'POST', '/api/v1/resources', { body: `${'['.repeat(levels)}${']'.repeat(levels)}` }));
      await refused(`an environment nested ${levels} levels`, await rawRequest(s, open.url, 'PUT', '/api/v1/environments/production', { body: nestedText(levels) }));
    }

    // Updates: the patch, and what would be stored after it, are both held to the limits.
    const base = await register('grows', { adapterConfig: { controlPlaneUrl: sim.urlOf('grows'), ...canaryCredentials(), caCert: 'c'.repeat(10 * 1024) } });
    s.check(base.status === 201, `grows: ${show(base)}`);
    await refused('an update 9 levels deep', await request(s, open.url, 'PUT', '/api/v1/gateways/grows', { body: { adapterConfig: { extra: nested(8) } } }), 'adapterConfig');
    await refused('an update that would store 20 KiB', await request(s, open.url, 'PUT', '/api/v1/gateways/grows', { body: { adapterConfig: { clientCert: 'z'.repeat(10 * 1024) } } }), 'adapterConfig');
    const fits = await request(s, open.url, 'PUT', '/api/v1/gateways/grows', { body: { adapterConfig: { clientCert: 'z'.repeat(4 * 1024) } } });
    s.check(fits.status === 200 && fits.body.version === base.body.version + 1, `an update that fits: ${show(fits)}`);

    // Names a terminal would print as something else.
    const unprintable = ['\u001b[31mred', 'bell\u0007', 'two\nlines', 'tab\tbed', 'del\u007f', 'next\u0085line', 'csi\u009b2J', 'nul-free\u0001'];
    for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) unprintable.push(`gw-${String.fromCharCode(code)}ved`);
    for (const [k, text] of unprintable.entries()) {
      await refused(`displayName ${JSON.stringify(text)}`, await request(s, open.url, 'POST', '/api/v1/environments', { body: { name: `ctl-${k}`, displayName: text } }), 'displayName');
      await refused(`description ${JSON.stringify(text)}`, await request(s, open.url, 'PUT', '/api/v1/environments/keep-me', { body: { description: text } }), 'description');
      await refused(`gateway displayName ${JSON.stringify(text)}`, await request(s, open.url, 'PUT', '/api/v1/gateways/grows', { body: { displayName: text } }), 'displayName');
    }
    for (const escape of ['\\ud800', '\\udfff', 'a\\udc00b', '\\ud83d']) {
      await refused(`displayName ${escape}`, await rawRequest(s, open.url, 'POST', '/api/v1/environments', { body: `{"name":"sur","displayName":"${escape}"}` }), 'displayName');
      await refused(`description ${escape}`, await rawRequest(s, open.url, 'PUT', '/api/v1/environments/keep-me', { body: `{"description":"${escape}"}` }), 'description');
    }
    const invalidUtf8 = [Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xe2, 0x82])];
    for (const bytes of invalidUtf8) {
      const body = Buffer.concat([Buffer.from('{"name":"bytes","description":"a'), bytes, Buffer.from('"}')]);
      await refused(`description bytes ${bytes.toString('hex')}`, await rawRequest(s, open.url, 'POST', '/api/v1/environments', { body }));
    }
    // Unicode that is text stays as sent.
    const text = 'Prod 🚀 東京 e\u0301 \u200emixed';
    const unicode = await request(s, open.url, 'POST', '/api/v1/environments', { body: { name: 'unicode', displayName: text, description: text } });
    s.check(unicode.status === 201 && unicode.body.displayName === text && unicode.body.description === text, `Unicode text must be stored as sent: ${show(unicode)}`);

    const gateways = await names(open, 'gateways');
    s.check(JSON.stringify(gateways) === JSON.stringify(['at-depth', 'at-size', 'grows']), `stored gateways: ${gateways.join(', ')}`);
    const environments = await names(open, 'environments');
    s.check(!environments.some((name) => /^(ctl-|sur|bytes)/.test(name)), `a refused environment was stored: ${environments.join(', ')}`);
    const keepMe = await request(s, open.url, 'GET', '/api/v1/environments/keep-me');
    s.check(keepMe.body?.description === 'as it was', `keep-me changed: ${show(keepMe)}`);

    // Rows an older version may have stored: the CLI's tables replace them.
    await db`update environments set display_name = ${'\u001b[2J\u001b[31mred\u0007'}, description = ${'gw-\u202eved\tand\nmore'} where name = 'keep-me'`;
    for (const format of ['yaml', 'json', 'table', 'wide', 'name']) {
      const run = await cli(s, ['--server', open.url, 'gateway', 'list', '-o', format]);
      s.check(run.exitCode === 0 && run.stdout.length > 0, `gateway list -o ${format}: exit ${run.exitCode}: ${run.stderr.slice(0, 300)}`);
    }
    const listed = await cli(s, ['--server', open.url, 'env', 'list']);
    const rows = listed.stdout.split('\n').filter((line) => line !== '');
    s.check(listed.exitCode === 0 && !/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(listed.stdout.replace(/[\t\n]/g, '')), `env list printed control characters: ${JSON.stringify(listed.stdout)}`);
    const fields = new Set(rows.map((row) => row.split('\t').length));
    s.check(fields.size === 1, `env list rows have ${[...fields].join(' and ')} fields: a value split a row`);
    const got = await cli(s, ['--server', open.url, 'env', 'get', 'keep-me']);
    s.check(got.exitCode === 0 && !/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(got.stdout.replace(/\n/g, '')) && got.stdout.includes('\ufffd[2J'), `env get printed: ${JSON.stringify(got.stdout)}`);

    s.note('boundedInput', { attempts, refused: refusedCount });
    s.check(refusedCount === attempts, `${attempts - refusedCount} of ${attempts} hostile inputs were not refused`);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 120_000);

  it('quiet endpoints: what anyone may ask names no database, schema or path', async () => {
    const secretsOf = (daemon: ServeProcess, schema: TestSchema) => [
      schema.schema,
      'postgres://',
      `:${new URL(POSTGRES_BASE_URL).port || 5432}`,
      `:${dbProxy.port}`,
      daemon.home,
    ];
    const quiet = (daemon: ServeProcess, schema: TestSchema, label: string, answer: Answer | RawAnswer) => {
      const leaked = secretsOf(daemon, schema).filter((needle) => answer.text.includes(needle));
      s.check(leaked.length === 0, `${label} revealed ${leaked.join(', ')}: ${show(answer)}`);
    };
    const ready = await request(s, open.url, 'GET', '/readyz');
    s.check(ready.status === 200 && JSON.stringify(ready.body) === '{"status":"ready"}', `/readyz: ${show(ready)}`);
    quiet(open, schemas[0]!, '/readyz', ready);

    // Without a database: still nothing of where it is, to anyone — a caller with a made-up
    // token reaches the database too, when the daemon looks the token up.
    s.fault('database unreachable');
    dbProxy.set({ kind: 'reset' });
    try {
      const down = await request(s, open.url, 'GET', '/readyz');
      s.check(down.status === 503 && isProblem(down) && down.headers['retry-after'] !== undefined, `/readyz without a database: ${show(down)}`);
      quiet(open, schemas[0]!, '/readyz without a database', down);
      const api = await request(s, open.url, 'GET', '/api/v1/gateways');
      s.check(api.status === 503 && isProblem(api), `the API without a database: ${show(api)}`);
      quiet(open, schemas[0]!, 'the API without a database', api);
      const madeUp = await rawRequest(s, locked.url, 'GET', '/api/v1/gateways', { headers: { authorization: `Bearer agw_${'x'.repeat(43)}` } });
      s.check(madeUp.status === 503 && isProblem(madeUp), `a made-up token without a database: ${show(madeUp)}`);
      quiet(locked, schemas[2]!, 'a made-up token without a database', madeUp);
    } finally {
      dbProxy.set({ kind: 'pass' });
    }
    const logged = open.stdout();
    s.note('readyzDownLogged', logged.includes('not ready'));

    // With authentication on, everything a caller without a token can reach.
    for (const [method, path] of [
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/api/v1/gateways'],
      ['POST', '/api/v1/environments'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
      ['GET', '/no/such/route'],
      ['GET', '/api/v1/gateways/%00'],
    ] as const) {
      const answer = await rawRequest(s, locked.url, method, path, method === 'POST' ? { body: { name: 'x' } } : {});
      quiet(locked, schemas[2]!, `${method} ${path} without a token`, answer);
      if (path.startsWith('/api/') || path === '/metrics' || path === '/openapi.json') {
        s.check(answer.status === 401 || answer.status === 400 || answer.status === 404, `${method} ${path} without a token: ${show(answer)}`);
      }
    }
    const healthz = await request(s, locked.url, 'GET', '/healthz');
    s.check(JSON.stringify(Object.keys(healthz.body ?? {}).sort()) === '["adapter","status","version"]', `/healthz shows ${healthz.text}`);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 60_000);
});
