/**
 * The egress-policy corpus through running daemons: gateways registered (and re-pointed) at
 * hostile URLs — every spelling of the cloud metadata address, link-local IPv6, the unspecified
 * address, hostnames that resolve to blocked addresses, and loopback under network.denyLoopback —
 * must be refused every time, store nothing, and never connect: a canary listener on the
 * loopback port the URLs name (IPv4 and IPv6) must see zero connections.
 *
 * Two `agentgw serve` processes: one with the default network settings, one with
 * `network.denyLoopback: true`. Both preload fake-dns.mjs, so `*.battery.test` names resolve to
 * blocked addresses the way a hostile DNS server would answer.
 */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { CANARY, canaryCredentials, cli, daemonConfig, isProblem, logTrouble, request, Scenario, show, startServe, type Answer, type ServeProcess } from './support.js';

const s = new Scenario('egress', 'the egress-policy corpus through running daemons, with a canary listener');
const PRELOAD = fileURLToPath(new URL('./fake-dns.mjs', import.meta.url));

/** The always-blocked ranges in every spelling (the corpus of test/unit/http/egress-policy.test.ts). */
const ALWAYS_HOSTILE = [
  'http://169.254.169.254/',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'https://169.254.169.254:443/',
  'http://169.254.169.254./',
  'http://2852039166/',
  'http://0xA9FEA9FE/',
  'http://0xa9fea9fe./',
  'http://0x00000000a9fea9fe/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://0251.0376.0251.0376/',
  'http://0251.254.169.254/',
  'http://0xa9.254.0251.0xfe/',
  'http://169.254.43518/',
  'http://169.16689662/',
  'http://%31%36%39.254.169.254/',
  'http://\uff11\uff16\uff19.\uff12\uff15\uff14.\uff11\uff16\uff19.\uff12\uff15\uff14/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
  'http://[::169.254.169.254]/',
  'http://[::ffff:0:a9fe:a9fe]/',
  'http://[64:ff9b::169.254.169.254]/',
  'http://[2002:a9fe:a9fe::1]/',
  'http://[2001:0:4136:e378:8000:63bf:5601:5601]/',
  'http://[fe80::1]/',
  'http://[FE80::a9fe:a9fe]/',
  'http://[fe80::1%25eth0]/',
  'http://100.100.100.200/latest/meta-data/',
  'http://[fd00:ec2::254]/',
  'http://0.0.0.0/',
  'http://0/',
  'http://[::]/',
  'http://[0:0:0:0:0:0:0:0]/',
  'http://[::ffff:0.0.0.0]/',
  'http://224.0.0.1/',
  'http://[ff02::1]/',
  'http://255.255.255.255/',
  'http://0xffffffff/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_INFO',
  'http://gateway.example@169.254.169.254/',
  'not a url',
];

/** Spellings that would land on the canary were they let through. */
const LOCAL_UNSPECIFIED = (port: number) => [`http://0.0.0.0:${port}/`, `http://0:${port}/`, `http://[::]:${port}/`, `http://zero.battery.test:${port}/`];

const HOSTILE_NAMES = ['http://metadata.battery.test/', 'http://mapped.battery.test/', 'http://linklocal6.battery.test/', 'http://alibaba.battery.test/latest/meta-data/'];

/** Loopback in every spelling, refused under network.denyLoopback. */
const LOOPBACK_HOSTILE = (port: number) => [
  `http://127.0.0.1:${port}/`,
  `http://127.1:${port}/`,
  `http://127.0.1:${port}/`,
  `http://2130706433:${port}/`,
  `http://0x7f000001:${port}/`,
  `http://0x7f.1:${port}/`,
  `http://0177.0.0.1:${port}/`,
  `http://0177.1:${port}/`,
  `http://127.000.000.001:${port}/`,
  `http://127.255.255.254:${port}/`,
  `http://[::1]:${port}/`,
  `http://[0:0:0:0:0:0:0:1]:${port}/`,
  `http://[::ffff:127.0.0.1]:${port}/`,
  `http://[::ffff:7f00:1]:${port}/`,
  `http://localhost:${port}/`,
  `http://LOCALHOST:${port}/`,
  `http://rebound.battery.test:${port}/`,
  `http://mixed.battery.test:${port}/`,
];

interface Canary {
  port: number;
  connections(): number;
  close(): Promise<void>;
}

/** Counts who connects, on 127.0.0.1 and ::1 at one port. */
async function canaryListener(): Promise<Canary> {
  let connections = 0;
  const servers: net.Server[] = [];
  const listen = async (host: string, port: number) => {
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    server.listen(port, host);
    await once(server, 'listening');
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };
  const port = await listen('127.0.0.1', 0);
  await listen('::1', port).catch(() => undefined);
  return {
    port,
    connections: () => connections,
    async close() {
      for (const server of servers) server.close();
    },
  };
}

let schemaOpen: TestSchema;
let schemaStrict: TestSchema;
let sim: GatewaySimulator;
let canary: Canary;
let open: ServeProcess;
let strict: ServeProcess;

beforeAll(async () => {
  canary = await canaryListener();
  sim = await startGatewaySimulator({ gateways: [{ name: 'good', auth: { username: CANARY.username, password: CANARY.password } }] });
  schemaOpen = createTestSchema('battery_egress');
  schemaStrict = createTestSchema('battery_egress');
  [open, strict] = await Promise.all([
    startServe(s, 'default network', { config: daemonConfig(schemaOpen.url), nodeArgs: ['--import', PRELOAD], args: ['--no-monitor'] }),
    startServe(s, 'denyLoopback', { config: daemonConfig(schemaStrict.url, { network: { denyLoopback: true } }), nodeArgs: ['--import', PRELOAD], args: ['--no-monitor'] }),
  ]);
}, 120_000);

afterAll(async () => {
  for (const daemon of [open, strict]) {
    if (daemon === undefined) continue;
    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `${daemon.label} exited ${exitCode} on SIGTERM`);
    for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`${daemon.label} log: ${line}`);
  }
  s.finish();
  await s.cleanup();
  await sim?.close();
  await canary?.close();
  await schemaOpen?.drop();
  await schemaStrict?.drop();
}, 60_000);

/** Refused before any connection: a validation error, or the adapter's "blocked" class. */
function refusedWithoutConnecting(answer: Answer): boolean {
  if (!isProblem(answer)) return false;
  if (answer.status === 400 && answer.body.code === 'AGW_VALIDATION') return true;
  return answer.status === 502 && answer.body.details?.errorClass === 'blocked';
}

describe('reliability: the egress corpus through the daemon', () => {
  it('refuses every hostile registration and update, stores nothing, and the canary sees no connection', async () => {
    const port = canary.port;
    let attempts = 0;
    let refused = 0;
    const byField: Record<string, number> = {};
    const attempt = async (daemon: ServeProcess, field: string, method: 'POST' | 'PUT', path: string, body: Record<string, unknown>, url: string) => {
      attempts += 1;
      byField[field] = (byField[field] ?? 0) + 1;
      s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
      const answer = await request(s, daemon.url, method, path, { body });
      if (s.check(refusedWithoutConnecting(answer), `${daemon.label} ${method} ${field}=${url}: ${show(answer)}`)) refused += 1;
    };
    const register = (daemon: ServeProcess, field: string, url: string, k: number) => {
      const adapterConfig: Record<string, unknown> = { ...canaryCredentials() };
      if (field === 'controlPlaneUrl') adapterConfig.controlPlaneUrl = url;
      else {
        adapterConfig.controlPlaneUrl = sim.urlOf('good');
        adapterConfig[field] = url;
      }
      // Beside "good" on its controller on purpose: the egress policy is what must refuse them.
      return attempt(daemon, field, 'POST', '/api/v1/gateways', { name: `hostile-${k}`, gatewayType: 'EGRESS', adapterConfig, allowDuplicateUrl: true }, url);
    };

    // The one good gateway each update below tries to re-point.
    const good = await request(s, open.url, 'POST', '/api/v1/gateways', {
      body: { name: 'good', gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('good'), ...canaryCredentials() } },
    });
    s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
    expect(good.status, show(good)).toBe(201);

    const openCorpus = [...ALWAYS_HOSTILE, ...LOCAL_UNSPECIFIED(port), ...HOSTILE_NAMES];
    const strictCorpus = [...ALWAYS_HOSTILE, ...LOCAL_UNSPECIFIED(port), ...HOSTILE_NAMES, ...LOOPBACK_HOSTILE(port)];
    let k = 0;
    for (const url of openCorpus) {
      await register(open, 'controlPlaneUrl', url, k++);
      await register(open, 'adminUrl', url, k++);
      await attempt(open, 'update controlPlaneUrl', 'PUT', '/api/v1/gateways/good', { adapterConfig: { controlPlaneUrl: url } }, url);
      await attempt(open, 'update adminUrl', 'PUT', '/api/v1/gateways/good', { adapterConfig: { adminUrl: url } }, url);
    }
    for (const url of strictCorpus) await register(strict, 'controlPlaneUrl', url, k++);

    // A metrics URL is not dialled at registration; wherever it points, it must never be dialled.
    let metricsAccepted = 0;
    for (const url of [...ALWAYS_HOSTILE.filter((u) => /^https?:\/\/[^/]*[\d\]]\/?/.test(u)).slice(0, 8), ...LOCAL_UNSPECIFIED(port)]) {
      const name = `metrics-${k++}`;
      const answer = await request(s, open.url, 'POST', '/api/v1/gateways', {
        body: { name, gatewayType: 'EGRESS', adapterConfig: { controlPlaneUrl: sim.urlOf('good'), metricsUrl: url, ...canaryCredentials() }, allowDuplicateUrl: true },
      });
      s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
      if (answer.status === 201) {
        metricsAccepted += 1;
        const metrics = await request(s, open.url, 'GET', `/api/v1/gateways/${name}/metrics`);
        s.check(metrics.status === 200 || isProblem(metrics), `metrics of a gateway with metricsUrl ${url}: ${show(metrics)}`);
        await request(s, open.url, 'DELETE', `/api/v1/gateways/${name}`);
      } else s.check(refusedWithoutConnecting(answer), `metricsUrl=${url}: ${show(answer)}`);
    }

    // The CLI refuses the same way (exit 1, the reason on stderr, nothing on stdout).
    for (const url of ['http://169.254.169.254/', `http://[::]:${port}/`, 'http://metadata.battery.test/']) {
      const run = await cli(s, ['--server', open.url, 'gateway', 'register', `cli-hostile-${k++}`, '--control-plane-url', url, '--username', CANARY.username, '--password-stdin'], {
        input: CANARY.password,
      });
      s.figures.notes.canaryRegistrations = Number(s.figures.notes.canaryRegistrations ?? 0) + 1;
      attempts += 1;
      byField['CLI controlPlaneUrl'] = (byField['CLI controlPlaneUrl'] ?? 0) + 1;
      if (s.check(run.exitCode === 1 && run.stdout === '' && /egress policy/.test(run.stderr), `CLI register ${url}: exit ${run.exitCode}: ${run.stderr}`)) refused += 1;
    }

    // Nothing stored, and the good gateway still points where it did.
    for (const daemon of [open, strict]) {
      const listed = await request(s, daemon.url, 'GET', '/api/v1/gateways?limit=1000');
      const names = (listed.body?.gateways ?? []).map((g: { name: string }) => g.name);
      s.check(JSON.stringify(names) === JSON.stringify(daemon === open ? ['good'] : []), `${daemon.label} stored [${names.join(', ')}]`);
    }
    const after = await request(s, open.url, 'GET', '/api/v1/gateways/good');
    s.check(
      after.body?.controlPlaneUrl === good.body.controlPlaneUrl && after.body?.version === good.body.version && after.body?.adapterConfig?.adminUrl === undefined,
      `the good gateway changed: ${show(after)}`,
    );

    s.note('attempts', attempts);
    s.note('refused', refused);
    s.note('attemptsByField', byField);
    s.note('hostileMetricsUrlsAcceptedButNeverDialled', metricsAccepted);
    s.note('canaryConnections', canary.connections());
    s.check(canary.connections() === 0, `the canary listener saw ${canary.connections()} connection(s)`);
    s.check(refused === attempts, `${attempts - refused} of ${attempts} hostile attempts were not refused`);
    s.check(open.alive() && strict.alive(), 'a daemon died');
    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 180_000);
});
