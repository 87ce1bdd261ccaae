// The HTTP client's transport, node:http (what agentgw ships) against undici's Agent
// (bench/undici-transport.mjs), on the health-checks and health-monitor benchmarks: each run in
// its own process, the two transports alternating, `rounds` times; medians reported. CPU is this
// process's user + system time over the concurrent checks (the simulator runs apart), so it is
// the figure that load on a shared machine disturbs least.
//
//   npm install --no-save undici && npm run build && node --expose-gc bench/http-clients.mjs [rounds] [bench name…]
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import process from 'node:process';
import { median, round } from './support.mjs';

const rounds = Number(process.argv[2] ?? 3);
const TRANSPORTS = ['node-http', 'undici'];
const BENCHES = {
  'health-checks': { args: '{}', pick: (r) => ({ totalMs: r.totalMs, cpuMs: r.cpuMs, failed: r.failedChecks }) },
  // The same 1,000 gateways with no latency: how many exchanges a second the client itself allows.
  'health-checks (0 ms latency)': {
    module: 'health-checks',
    args: '{"latencyMs":0,"gateways":2000}',
    pick: (r) => ({ totalMs: r.totalMs, cpuMs: r.cpuMs, failed: r.failedChecks }),
  },
  'health-monitor': { args: '{}', pick: (r) => ({ totalMs: r.round.durationMs, cpuMs: r.round.cpuMs, failed: r.round.falseFailures }) },
};

function runOnce(module, args, transport) {
  const script = `const { run } = await import('./bench/${module}.mjs'); process.stdout.write(JSON.stringify(await run(${args})));`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    env: { ...process.env, AGENTGW_BENCH_TRANSPORT: transport },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

const only = process.argv.slice(3);
const results = {};
for (const [name, bench] of Object.entries(BENCHES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const samples = Object.fromEntries(TRANSPORTS.map((t) => [t, []]));
  for (let i = 0; i < rounds; i++) {
    for (const transport of i % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse()) {
      const picked = bench.pick(runOnce(bench.module ?? name, bench.args, transport));
      samples[transport].push(picked);
      process.stderr.write(`${name} ${transport}: ${JSON.stringify(picked)} (load ${round(loadavg()[0])})\n`);
    }
  }
  const summary = Object.fromEntries(
    TRANSPORTS.map((t) => [t, { totalMs: round(median(samples[t].map((s) => s.totalMs))), cpuMs: round(median(samples[t].map((s) => s.cpuMs))), failed: Math.max(...samples[t].map((s) => s.failed)) }]),
  );
  summary.undiciToNodeHttp = {
    totalMs: round(summary.undici.totalMs / summary['node-http'].totalMs),
    cpuMs: round(summary.undici.cpuMs / summary['node-http'].cpuMs),
  };
  results[name] = summary;
  process.stdout.write(`${name}: ${JSON.stringify(summary)}\n`);
}
process.stdout.write(`${JSON.stringify({ rounds, loadAverage: round(loadavg()[0]) })}\n`);
