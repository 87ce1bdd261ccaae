// The README's first command: a simulated gateway-controller shaped like a real one (the
// management API on one port, the admin API with health on that port + 2), registered from its
// management URL alone as an EGRESS gateway in the production environment and listed ACTIVE, all
// in an embedded SQLite file under ./.agentgw-data (started afresh on every run). It runs the real
// CLI, and prints each command.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const bin = resolve('bin/agentgw.js');
const dataDir = resolve('.agentgw-data');
rmSync(dataDir, { recursive: true, force: true });
const env = { ...process.env, AGENTGW_DATA_DIR: dataDir };
delete env.DATABASE_URL;
delete env.AGENTGW_DATABASE_URL;
delete env.AGENTGW_SERVER;

const sim = spawn(process.execPath, [bin, 'dev', 'gateway-sim', '--single', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolveUrl, reject) => {
  let buffer = '';
  sim.stdout.on('data', (chunk) => {
    buffer += chunk;
    const line = buffer.split('\n').find((l) => l.includes('\t'));
    if (line) resolveUrl(line.split('\t')[1]);
  });
  sim.on('exit', (code) => reject(new Error(`the simulator exited with ${code}`)));
});

function agentgw(...args) {
  process.stdout.write(`\n$ agentgw ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [bin, ...args], { env, stdio: 'inherit' });
  if (result.status !== 0) {
    sim.kill();
    process.exit(result.status ?? 1);
  }
}

try {
  agentgw('gateway', 'register', 'prod-gw-1', '--control-plane-url', url, '--type', 'EGRESS', '--env', 'production');
  agentgw('gateway', 'list', '--env', 'production', '--type', 'EGRESS', '--status', 'ACTIVE', '-o', 'wide');
  agentgw('gateway', 'health', 'prod-gw-1');
  agentgw('gateway', 'get', 'prod-gw-1');
  process.stdout.write(`\nstate kept in ${dataDir}/agentgw.sqlite\n`);
} finally {
  sim.kill('SIGTERM');
}
