/**
 * The battery's frame: one secret canary for the whole run (handed to every scenario through the
 * environment), a directory where each scenario leaves its figures and everything it captured,
 * and at the end the canary scan over all of it, test/reliability/results.json and one summary
 * line per scenario on stdout.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CANARY, canaryNeedles, type ScenarioFigures } from './support.js';

const RESULTS = resolve('test/reliability/results.json');

/** The scenarios in the order they are reported. */
const ORDER = ['fault-proxy', 'pg-faults', 'sim-faults', 'concurrent-start', 'conflicts', 'egress', 'provider-keys', 'credential-origin', 'secret-scrubber', 'slow-clients', 'hostile-requests', 'db-faults', 'private-files'];

function count(n: number): string {
  return n.toLocaleString('en-US');
}

export default function setup(): () => void {
  const started = Date.now();
  const out = mkdtempSync(join(tmpdir(), 'agentgw-reliability-'));
  const password = `pw-canary-${randomBytes(12).toString('hex')}`;
  const clientSecret = `cs-canary-${randomBytes(12).toString('hex')}`;
  const providerKey = `sk-canary-${randomBytes(12).toString('hex')}`;
  const secretValue = `sv-canary-${randomBytes(12).toString('hex')}`;
  process.env.AGENTGW_RELIABILITY_OUT = out;
  process.env.AGENTGW_RELIABILITY_PASSWORD = password;
  process.env.AGENTGW_RELIABILITY_CLIENT_SECRET = clientSecret;
  process.env.AGENTGW_RELIABILITY_PROVIDER_KEY = providerKey;
  process.env.AGENTGW_RELIABILITY_SECRET_VALUE = secretValue;

  return () => {
    const figuresDir = join(out, 'figures');
    const capturesDir = join(out, 'captures');
    const scenarios: ScenarioFigures[] = existsSync(figuresDir)
      ? readdirSync(figuresDir).map((file) => JSON.parse(readFileSync(join(figuresDir, file), 'utf8')) as ScenarioFigures)
      : [];
    scenarios.sort((a, b) => ORDER.indexOf(a.scenario) - ORDER.indexOf(b.scenario));

    // The canary over the whole battery: every HTTP body, CLI output and daemon log captured.
    const needles = canaryNeedles({ ...CANARY, password, clientSecret, providerKey, secretValue });
    let capturedBytes = 0;
    const leaks: string[] = [];
    for (const file of existsSync(capturesDir) ? readdirSync(capturesDir) : []) {
      const text = readFileSync(join(capturesDir, file), 'utf8');
      capturedBytes += Buffer.byteLength(text);
      for (const needle of needles) {
        let at = text.indexOf(needle);
        while (at !== -1) {
          const header = text.lastIndexOf('\n### ', at);
          leaks.push(`${file}: ${text.slice(header + 1, text.indexOf('\n', header + 1))}`);
          at = text.indexOf(needle, at + needle.length);
        }
      }
    }
    const canaryRegistrations = scenarios.reduce((sum, s) => sum + Number(s.notes.canaryRegistrations ?? 0), 0);
    const totals = {
      requests: scenarios.reduce((sum, s) => sum + s.requests, 0),
      cliRuns: scenarios.reduce((sum, s) => sum + s.cliRuns, 0),
      faults: scenarios.reduce((sum, s) => sum + s.faults, 0),
      violations: scenarios.reduce((sum, s) => sum + s.violations, 0) + leaks.length,
      acknowledgedWrites: scenarios.reduce((sum, s) => sum + s.acknowledgedWrites, 0),
      dataLost: scenarios.reduce((sum, s) => sum + s.dataLost + s.halfWritten, 0),
    };
    const canary = {
      registrationsCarryingIt: canaryRegistrations,
      captures: scenarios.reduce((sum, s) => sum + s.captures, 0),
      capturedBytes,
      leaks: leaks.length,
      leakSamples: leaks.slice(0, 20),
    };
    const durationMs = Date.now() - started;
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ startedAt: new Date(started).toISOString(), durationMs, node: process.version, totals, secretCanary: canary, scenarios }, null, 2)}\n`,
    );

    const lines = scenarios.map(
      (s) =>
        `reliability ${s.scenario}: ${count(s.requests)} requests served, ${count(s.cliRuns)} CLI runs, ${count(s.faults)} faults injected` +
        `${Object.keys(s.faultDetail).length > 0 ? ` (${Object.entries(s.faultDetail).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}` +
        `, ${s.violations} violations, ${s.dataLost + s.halfWritten} data lost (${count(s.acknowledgedWrites)} acknowledged writes checked) in ${(s.durationMs / 1000).toFixed(1)} s`,
    );
    lines.push(
      `reliability secret-canary: ${count(canary.captures)} captures (${count(capturedBytes)} bytes of HTTP bodies, CLI output and daemon logs) scanned, ` +
        `${count(canaryRegistrations)} registrations carried the canary, ${leaks.length} leaks`,
    );
    lines.push(
      `reliability total: ${count(totals.requests)} requests served, ${count(totals.faults)} faults injected, ${totals.violations} violations, ` +
        `${totals.dataLost} data lost, ${(durationMs / 1000).toFixed(1)} s → ${RESULTS}`,
    );
    process.stdout.write(`\n${lines.join('\n')}\n`);

    if (leaks.length > 0) {
      // Kept for whoever investigates.
      throw new Error(`secret canary leaked ${leaks.length} time(s); captures kept in ${capturesDir}:\n${leaks.slice(0, 20).join('\n')}`);
    }
    // What the daemons logged is the first thing to read when a scenario failed.
    if (totals.violations > 0) process.stdout.write(`reliability: captures (HTTP bodies, CLI output, daemon logs) kept in ${capturesDir}\n`);
    else rmSync(out, { recursive: true, force: true });
  };
}
