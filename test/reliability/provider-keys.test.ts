/**
 * Provider API keys and Secrets, end to end with the canary: an OpenAI key (`upstream.auth.value`,
 * writeOnly in the controller's spec) and a Secret's value travel through `agentgw apply` (read
 * from the environment as ${VAR}, in both CLI modes) and the REST API, are read back in every
 * output format, deployed, and checked for drift. They must reach the gateway that was deployed
 * to — and appear nowhere else: not in an HTTP body, a CLI output, a daemon log line, the SQLite
 * database file and its -wal and -shm, nor `pg_dump` of the daemon's PostgreSQL schema.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/simulators/gateway-controller/index.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { CANARY, canaryCredentials, canaryNeedles, cli, daemonConfig, logTrouble, request, Scenario, show, startServe, type ServeProcess } from './support.js';

const s = new Scenario('provider-keys', 'provider API keys and Secrets through the REST API and both CLI modes; only the gateway gets them');
const ENV = { BATTERY_OPENAI_KEY: CANARY.providerKey, BATTERY_SECRET_VALUE: CANARY.secretValue };
const API_VERSION = 'gateway.api-platform.wso2.com/v1';

const template = { apiVersion: API_VERSION, kind: 'LlmProviderTemplate', metadata: { name: 'openai' }, spec: { displayName: 'OpenAI' } };
const provider = (name: string, value: unknown) => ({
  apiVersion: API_VERSION,
  kind: 'LlmProvider',
  metadata: { name },
  spec: {
    displayName: 'OpenAI',
    version: 'v1.0',
    template: 'openai',
    upstream: { url: 'https://api.openai.com/v1', auth: { type: 'api-key', header: 'Authorization', ...(value === undefined ? {} : { value }) } },
    accessControl: { mode: 'allow_all' },
  },
});
const secret = { apiVersion: API_VERSION, kind: 'Secret', metadata: { name: 'openai-key' }, spec: { displayName: 'OpenAI key', value: '${BATTERY_SECRET_VALUE}' } };

let schema: TestSchema;
let sim: GatewaySimulator;
let daemon: ServeProcess;
let dir: string;
let files: { manifests: string; unset: string };
let sqlite: string;

beforeAll(async () => {
  schema = createTestSchema('battery_keys');
  sim = await startGatewaySimulator({ gateways: ['remote-gw', 'local-gw'].map((name) => ({ name, auth: { username: CANARY.username, password: CANARY.password } })) });
  daemon = await startServe(s, 'keys', { config: daemonConfig(schema.url) });
  dir = mkdtempSync(join(tmpdir(), 'agentgw-battery-keys-'));
  sqlite = join(dir, 'agentgw.sqlite');
  // What sits in git: the key is a reference to the environment, never the value.
  files = { manifests: join(dir, 'resources.yaml'), unset: join(dir, 'unset.yaml') };
  writeFileSync(
    files.manifests,
    [template, provider('openai-provider', 'Bearer ${BATTERY_OPENAI_KEY}'), secret, provider('openai-by-secret', '{{ secret "openai-key" }}')].map((doc) => stringify(doc)).join('---\n'),
  );
  writeFileSync(files.unset, stringify(provider('unset-provider', '${BATTERY_NOT_SET}')));
}, 120_000);

afterAll(async () => {
  if (daemon?.alive()) await daemon.stop();
  s.finish();
  await s.cleanup();
  await sim?.close();
  await schema?.drop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Checks a CLI run ended as expected; the reason goes into the violation. */
function ran(run: { exitCode: number; stderr: string; stdout: string }, what: string, exitCode = 0): void {
  // stdout too: a deploy's JSON carries each gateway's own error, which stderr only counts.
  s.check(run.exitCode === exitCode, `${what}: exit ${run.exitCode} (wanted ${exitCode}): ${run.stderr.slice(0, 300)} ${run.stdout.slice(0, 1500)}`);
}

/** Where the canary is found in a file, in any of its forms. */
function foundIn(file: string): string[] {
  if (!existsSync(file)) return [];
  const bytes = readFileSync(file).toString('latin1');
  return canaryNeedles().filter((needle) => bytes.includes(needle)).map((needle) => `${file}: ${needle.slice(0, 12)}…`);
}

/** What the gateway was sent for `name`: the one place the values belong. */
function received(gateway: string, kind: string, name: string): unknown {
  const manifest = sim.resources(gateway).find((r) => r.kind === kind && r.name === name)?.manifest;
  return kind === 'Secret' ? manifest?.spec.value : (manifest?.spec.upstream as { auth?: { value?: unknown } } | undefined)?.auth?.value;
}

describe('reliability: provider keys and Secrets', () => {
  it('appear only in what the gateway receives', async () => {
    const remote = ['--server', daemon.url];
    const local = ['--database', `sqlite:${sqlite}`];

    // The daemon (PostgreSQL): a gateway, the manifests through the CLI, one more through REST.
    s.check((await request(s, daemon.url, 'POST', '/api/v1/environments', { body: { name: 'keys' } })).status === 201, 'environment keys not created');
    const registered = await request(s, daemon.url, 'POST', '/api/v1/gateways', {
      body: { name: 'remote-gw', gatewayType: 'EGRESS', environmentIds: ['keys'], adapterConfig: { controlPlaneUrl: sim.urlOf('remote-gw'), ...canaryCredentials() } },
    });
    s.figures.notes.canaryRegistrations = 1;
    s.check(registered.status === 201, `register remote-gw: ${show(registered)}`);
    ran(await cli(s, [...remote, 'apply', '-f', files.manifests, '-o', 'json'], { env: ENV }), 'remote apply');
    const rest = await request(s, daemon.url, 'POST', '/api/v1/resources', { body: provider('rest-provider', CANARY.providerKey) });
    s.check(rest.status === 200 || rest.status === 201, `REST apply with a literal key: ${show(rest)}`);
    for (const value of [undefined, { set: true }]) {
      const again = await request(s, daemon.url, 'POST', '/api/v1/resources', { body: provider('rest-provider', value) });
      s.check(again.body?.resources?.[0]?.action === 'unchanged', `REST apply keeping the stored key (${JSON.stringify(value)}): ${show(again)}`);
    }

    // Every read: REST and the CLI's formats.
    for (const path of ['/api/v1/resources', '/api/v1/resources?kind=LlmProvider', '/api/v1/resources?kind=Secret', '/api/v1/resources/LlmProvider/openai-provider', '/api/v1/resources/LlmProvider/rest-provider', '/api/v1/resources/Secret/openai-key']) {
      const read = await request(s, daemon.url, 'GET', path);
      s.check(read.status === 200, `GET ${path}: ${show(read)}`);
    }
    const shown = await request(s, daemon.url, 'GET', '/api/v1/resources/LlmProvider/openai-provider');
    s.check(JSON.stringify(shown.body?.spec?.upstream?.auth?.value) === '{"set":true}', `the key reads back as ${JSON.stringify(shown.body?.spec?.upstream?.auth)}`);
    for (const mode of [remote, local]) {
      if (mode === local) {
        ran(await cli(s, [...local, 'env', 'create', 'keys']), 'local env create');
        ran(await cli(s, [...local, 'gateway', 'register', 'local-gw', '--control-plane-url', sim.urlOf('local-gw'), '--type', 'EGRESS', '--env', 'keys', '--username', CANARY.username, '--password-stdin'], { input: CANARY.password }), 'local register');
        s.figures.notes.canaryRegistrations = 2;
        ran(await cli(s, [...local, 'apply', '-f', files.manifests], { env: ENV }), 'local apply');
      }
      for (const output of ['table', 'wide', 'json', 'yaml', 'name']) {
        ran(await cli(s, [...mode, 'resource', 'list', '-o', output]), `resource list -o ${output}`);
        ran(await cli(s, [...mode, 'resource', 'get', 'LlmProvider/openai-provider', '-o', output]), `resource get -o ${output}`);
        ran(await cli(s, [...mode, 'resource', 'get', 'Secret/openai-key', '-o', output]), `resource get Secret -o ${output}`);
      }
      // Deployed: the Secret first, then what names it.
      for (const resource of ['Secret/openai-key', 'LlmProvider/openai-provider', 'LlmProvider/openai-by-secret']) {
        ran(await cli(s, [...mode, 'deploy', resource, '--env', 'keys', '-o', 'json']), `deploy ${resource}`);
      }
      ran(await cli(s, [...mode, 'diff', '--env', 'keys', '--exit-code']), 'diff after deploying');
      ran(await cli(s, [...mode, 'deployments', '--env', 'keys', '-o', 'yaml']), 'deployments');
      // An unset variable is named, and nothing is stored or sent.
      const unset = await cli(s, [...mode, 'apply', '-f', files.unset], { env: ENV });
      ran(unset, 'apply with an unset variable', 2);
      s.check(/environment variable BATTERY_NOT_SET is not set/.test(unset.stderr), `the unset variable is not named: ${unset.stderr}`);
    }
    const deployed = await request(s, daemon.url, 'POST', '/api/v1/deployments', { body: { resource: 'LlmProvider/rest-provider', environment: 'keys' } });
    s.check(deployed.status === 200 && deployed.body?.summary?.failed === 0, `REST deploy: ${show(deployed)}`);
    const drift = await request(s, daemon.url, 'GET', '/api/v1/drift?environment=keys');
    s.check(drift.body?.inSync === true, `drift reports the keys the gateway never returns: ${show(drift)}`);
    // What the gateway itself answers on reads (its spec leaves writeOnly fields out).
    for (const path of ['/api/management/v1/llm-providers', '/api/management/v1/llm-providers/openai-provider', '/api/management/v1/secrets']) {
      const answer = await fetch(`${sim.urlOf('remote-gw')}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${CANARY.username}:${CANARY.password}`).toString('base64')}` } });
      s.capture(`gateway GET ${path}`, await answer.text());
    }

    // The gateways got them: the one place they belong.
    for (const gateway of ['remote-gw', 'local-gw']) {
      s.check(received(gateway, 'LlmProvider', 'openai-provider') === `Bearer ${CANARY.providerKey}`, `${gateway} did not receive the provider key`);
      s.check(received(gateway, 'Secret', 'openai-key') === CANARY.secretValue, `${gateway} did not receive the Secret value`);
      s.check(received(gateway, 'LlmProvider', 'openai-by-secret') === '{{ secret "openai-key" }}', `${gateway} did not receive the reference`);
    }
    s.check(received('remote-gw', 'LlmProvider', 'rest-provider') === CANARY.providerKey, 'remote-gw did not receive the REST-applied key');

    // The databases, as files and as a dump.
    const exitCode = await daemon.stop();
    s.check(exitCode === 0, `the daemon exited ${exitCode} on SIGTERM`);
    for (const line of logTrouble(daemon.stdout()).fatal) s.violation(`daemon log: ${line}`);
    for (const file of [sqlite, `${sqlite}-wal`, `${sqlite}-shm`]) for (const found of foundIn(file)) s.violation(`the canary is in ${found}`);
    const dump = execFileSync('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', '-n', schema.schema, 'test'], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 });
    s.note('pgDumpBytes', dump.length);
    s.check(dump.includes('openai-provider'), 'pg_dump holds no resources: it is not the schema the daemon wrote');
    for (const needle of canaryNeedles()) s.check(!dump.includes(needle), `the canary is in pg_dump of ${schema.schema}: ${needle.slice(0, 12)}…`);

    expect(s.leaks()).toEqual([]);
    expect(s.figures.violations, s.summary()).toBe(0);
  }, 180_000);
});
