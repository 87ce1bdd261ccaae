// Issue 7's entry: `agentgw dashboard`'s time to first frame, as a ratio to `node -e 0` measured in
// the same run (interleaved, so machine noise hits all alike). The dashboard runs with
// AGENTGW_DASHBOARD_FIRST_FRAME_EXIT=1: it renders until the first poll's data is on screen, then
// exits 0, with or without a terminal. The first frame is the moment the polled data ("20
// gateways" in the header, with the table) reaches stdout; the run's full duration, unmount and
// exit included, is reported beside it.
// Measured over a daemon (`--server`, the usual way to watch a fleet) and in-process over the
// embedded SQLite store, each with 20 gateways on a simulator.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { BIN, median, round, timeCommand } from './support.mjs';

const GATEWAYS = 20;

/** Starts `agentgw <args>` and resolves with the process and the first stderr match of `pattern`. */
function startProcess(args, env, pattern) {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${stderr}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`)));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = pattern.exec(stderr);
      if (match) {
        clearTimeout(timer);
        // The simulator prints its gateways before the line that says where it listens.
        setImmediate(() => resolve({ child, match, stdout: () => stdout }));
      }
    });
  });
}

/** Spawn to the moment stdout contains `marker`, and spawn to exit (which must be 0). */
export function timeFirstFrame(args, env, marker = `${GATEWAYS} gateways`) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let frameMs = null;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (frameMs === null && stdout.includes(marker)) frameMs = elapsed();
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => {
      if (code !== 0 || frameMs === null) reject(new Error(`${args.join(' ')} exited ${code} ${frameMs === null ? 'without a frame' : ''}: ${stderr}`));
      else resolve({ frameMs, exitMs: elapsed() });
    });
  });
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export async function run({ runs = 15 } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'agentgw-bench-dashboard-'));
  const env = { PATH: process.env.PATH, HOME: home, AGENTGW_DATA_DIR: join(home, 'data'), AGENTGW_CONFIG_DIR: join(home, 'config'), NO_COLOR: '1' };
  let simulator;
  let daemon;
  try {
    simulator = await startProcess(['dev', 'gateway-sim', '--port', '0', '--count', String(GATEWAYS)], env, /listening on (\S+) \(management API\); admin API on (\S+)/);
    const [, base, adminBase] = simulator.match;
    for (let i = 1; i <= GATEWAYS; i++) {
      const url = `${base}/gateways/gw-${i}`;
      timeCommand([BIN, 'gateway', 'register', `gw-${i}`, '--control-plane-url', url, '--metrics-url', `${adminBase}/gateways/gw-${i}/metrics`, '--env', 'production'], env, 1);
    }
    daemon = await startProcess(['serve', '--port', '0', '--no-monitor'], { ...env, AGENTGW_LOG_LEVEL: 'warn' }, /listening on (http:\/\/\S+)/);
    const server = daemon.match[1];

    const firstFrame = { ...env, AGENTGW_DASHBOARD_FIRST_FRAME_EXIT: '1' };
    const samples = { node: [], list: [], remote: [], remoteExit: [], local: [], localExit: [] };
    for (let i = 0; i < runs; i++) {
      samples.node.push(...timeCommand(['-e', '0'], env, 1));
      // For scale: what any remote command costs until its output, without Ink and React.
      samples.list.push((await timeFirstFrame([BIN, 'gateway', 'list', '-o', 'name', '--server', server], env, `gw-${GATEWAYS}`)).frameMs);
      const remote = await timeFirstFrame([BIN, 'dashboard', '--server', server], firstFrame);
      samples.remote.push(remote.frameMs);
      samples.remoteExit.push(remote.exitMs);
      const local = await timeFirstFrame([BIN, 'dashboard'], firstFrame);
      samples.local.push(local.frameMs);
      samples.localExit.push(local.exitMs);
    }
    const baseline = median(samples.node);
    return {
      baselineMs: round(baseline),
      remoteFirstFrameMs: round(median(samples.remote)),
      remoteExitMs: round(median(samples.remoteExit)),
      localFirstFrameMs: round(median(samples.local)),
      localExitMs: round(median(samples.localExit)),
      remoteListFirstOutputMs: round(median(samples.list)),
      remoteListRatio: round(median(samples.list) / baseline),
      remoteRatio: round(median(samples.remote) / baseline),
      localRatio: round(median(samples.local) / baseline),
      targets: { remoteRatio: 6 },
      gateways: GATEWAYS,
      runs,
    };
  } finally {
    if (daemon) await stop(daemon.child);
    if (simulator) await stop(simulator.child);
    rmSync(home, { recursive: true, force: true });
  }
}
