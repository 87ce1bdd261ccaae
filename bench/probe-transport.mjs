// The health probe's CPU by transport, in this process (the simulator runs in its own): 10,000
// health GETs of simulated gateways (20 ms latency), 200 at a time, each way in turn, three
// times. Reported per request: user + system CPU of this process, and the run's time.
// - node:http: a bare keep-alive http.get, the floor of anything built on node:http;
// - client, node:http: the HTTP client's GET (egress policy, caps, failure kinds) on exchange.ts;
// - client, probe: the same GET with `probe: true`, on probe-exchange.ts;
// - adapter check: the on-premise adapter's checkHealth, what the monitor calls.
// Run: npm run build && node --expose-gc bench/probe-transport.mjs (docs/architecture.md, "The probe transport").
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importSources, pool, startSimulator } from './source.mjs';
import { round } from './support.mjs';

const REQUESTS = Number(process.env.AGENTGW_BENCH_PROBE_REQUESTS ?? 10_000);
const CONCURRENCY = 200;
const GATEWAYS = 10_000;
const silent = { warn: () => {}, info: () => {}, debug: () => {} };

export async function run() {
  const { client, factory, load } = await importSources({ client: 'src/adapters/http/client.ts', factory: 'src/adapters/factory.ts', load: 'src/config/load.ts' });
  const dir = mkdtempSync(join(tmpdir(), 'agentgw-bench-probe-'));
  const sim = await startSimulator(GATEWAYS, 20);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo' });
  let adapter;
  let httpClient;
  try {
    const { config } = await load.loadConfig({ cwd: dir, env: { AGENTGW_CONFIG_DIR: join(dir, 'none') }, flags: {} });
    adapter = await factory.createAdapter(config, silent, dir);
    // The adapter's own settings and egress policy, for a client of the bench's own.
    const context = factory.adapterContext(config, silent);
    httpClient = client.createHttpClient(context.http, context.network, silent);
    const urls = Array.from({ length: REQUESTS }, (_, i) => sim.healthUrlOf(`gw-${(i % GATEWAYS) + 1}`));
    const targets = urls.map((healthUrl, i) => ({
      uuid: `g${i}`, name: `gw-${i}`, type: 'EGRESS', adapterType: 'on-premise', controlPlaneUrl: sim.urlOf('x'), endpoint: null, region: null,
      adapterConfig: { controlPlaneUrl: sim.urlOf('x'), apiBasePath: '/api/management/v1', healthUrl }, credentials: {}, status: 'ACTIVE',
    }));
    const headers = { accept: 'application/json' };
    const ways = {
      'node:http': (i) =>
        new Promise((resolve, reject) => {
          http.get(urls[i], { agent, headers }, (res) => {
            res.on('data', () => {});
            res.on('end', resolve);
          }).on('error', reject);
        }),
      'client, node:http': (i) => httpClient.request({ method: 'GET', url: urls[i], headers, timeoutMs: 5000 }),
      'client, probe': (i) => httpClient.request({ method: 'GET', url: urls[i], headers, timeoutMs: 5000, probe: true }),
      'adapter check': (i) => adapter.checkHealth(targets[i], { timeoutMs: 5000 }),
    };
    const indexes = Array.from({ length: REQUESTS }, (_, i) => i);
    const figures = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
    for (let pass = 0; pass < 3; pass++) {
      for (const [name, way] of Object.entries(ways)) {
        await pool(indexes.slice(0, 400), CONCURRENCY, way); // warm: JIT, connections
        globalThis.gc?.();
        const started = performance.now();
        const before = process.cpuUsage();
        await pool(indexes, CONCURRENCY, way);
        const cpu = process.cpuUsage(before);
        figures[name].push({ cpuMicrosPerRequest: round((cpu.user + cpu.system) / REQUESTS, 1), ms: round(performance.now() - started, 0), load: round(loadavg()[0]) });
      }
    }
    return { requests: REQUESTS, concurrency: CONCURRENCY, latencyMs: 20, figures };
  } finally {
    httpClient?.close();
    await adapter?.close();
    agent.destroy();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${JSON.stringify(await run(), null, 1)}\n`);
