// In-process benchmarks need the TypeScript sources: this bundles the modules they name with
// esbuild (dependencies stay in node_modules) and imports them. Out-of-process helpers: the
// gateway simulator as its own process, so its work does not share the event loop it measures.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BIN } from './support.mjs';

/**
 * The HTTP client's transport on undici instead of node:http (bench/undici-transport.mjs): its
 * exchange and agents modules, swapped in under the client when `AGENTGW_BENCH_TRANSPORT=undici`.
 */
const undiciTransport = {
  name: 'undici-transport',
  setup(build) {
    const transport = resolve('bench/undici-transport.mjs');
    build.onResolve({ filter: /^\.\/(exchange|guarded-agents)\.js$/ }, (args) =>
      args.importer.endsWith(join('adapters', 'http', 'client.ts')) ? { path: transport } : undefined,
    );
  },
};

/** `{ name: 'src/…/module.ts' }` → `{ name: moduleNamespace }`. */
export async function importSources(entries) {
  const transport = process.env.AGENTGW_BENCH_TRANSPORT ?? 'node-http';
  // Under node_modules, so the bundle's bare imports resolve to the repository's dependencies.
  const outdir = resolve(`node_modules/.cache/agentgw-bench${transport === 'undici' ? '-undici' : ''}`);
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: entries,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: transport === 'undici' ? [undiciTransport] : [],
  });
  const loaded = {};
  for (const name of Object.keys(entries)) loaded[name] = await import(pathToFileURL(resolve(outdir, `${name}.js`)).href);
  return loaded;
}

/**
 * `agentgw dev gateway-sim` with `count` gateways (gw-1 … gw-N) and `latencyMs` on every answer:
 * the management API on one port, the admin API (health) and the Prometheus stand-in on another.
 */
export async function startSimulator(count, latencyMs) {
  const child = spawn(process.execPath, [BIN, 'dev', 'gateway-sim', '--port', '0', '--count', String(count), '--latency', String(latencyMs)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const [baseUrl, adminBaseUrl] = await new Promise((resolvePromise, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`gateway-sim did not start: ${stderr}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`gateway-sim exited ${code}: ${stderr}`)));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /listening on (\S+) \(management API\); admin API on (\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolvePromise([match[1], match[2]]);
      }
    });
  });
  return {
    baseUrl,
    urlOf: (name) => `${baseUrl}/gateways/${name}`,
    /** What registration stores as the gateway's healthUrl. */
    healthUrlOf: (name) => `${adminBaseUrl}/gateways/${name}/api/admin/v1/health`,
    metricsUrlOf: (name) => `${adminBaseUrl}/gateways/${name}/metrics`,
    async setFaults(name, faults) {
      const response = await globalThis.fetch(`${baseUrl}/__sim/gateways/${name}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
      if (!response.ok) throw new Error(`setFaults ${name}: HTTP ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs `task(item)` over `items`, at most `concurrency` at a time; resolves with the results in order. */
export async function pool(items, concurrency, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Samples the process RSS every 50 ms until stopped; returns the peak in bytes. */
export function rssSampler() {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}
