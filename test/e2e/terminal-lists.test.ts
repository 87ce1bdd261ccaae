/**
 * What a person reads at a terminal, 160 and 60 columns wide, held to gh and kubectl: empty
 * results said on stderr, ages instead of timestamps, status in colour (and never with NO_COLOR,
 * --no-color or TERM=dumb), narrow terminals that keep names whole, -o wide that cuts nothing,
 * manifests as YAML, and the documented column order of every list. The built CLI runs in a real
 * pseudo-terminal (tmux); piped runs beside them show that a pipe gets none of it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { closeTerminals, hasTmux, openTerminal, PTY_TEST_TIMEOUT_MS } from '../support/terminal.js';

const LONG = 'prod-eu-west-ai-gateway-01';
const PROVIDER = 'LlmProvider/openai-provider';
const TEMPLATE = 'LlmProviderTemplate/openai';
const ESC = '\u001b[';

const widest = (text: string) => Math.max(...text.split('\n').map((line) => line.length));

describe.skipIf(!hasTmux)('lists and details at a terminal', { timeout: PTY_TEST_TIMEOUT_MS }, () => {
  let sim: SimulatorProcess;
  let cli: CliEnvironment;
  /** A person's environment: no CI, no NO_COLOR. */
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--count', '3']);
    cli = cliEnvironment();
    const { CI: _ci, NO_COLOR: _noColor, ...rest } = cli.env;
    env = rest;
    const ok = async (args: string[]) => expect((await cli.run(args, { cwd: process.cwd() })).exitCode).toBe(0);
    await ok(['env', 'create', 'staging', '--display-name', 'Staging']);
    await ok(['env', 'create', 'empty']);
    await ok(['gateway', 'register', LONG, '--control-plane-url', sim.urls.get('gw-1')!, '--env', 'production', '--env', 'staging']);
    await ok(['gateway', 'register', 'edge-2', '--control-plane-url', sim.urls.get('gw-2')!, '--env', 'production']);
    await ok(['gateway', 'register', 'api-1', '--control-plane-url', sim.urls.get('gw-3')!, '--type', 'INGRESS', '--env', 'production']);
    await ok(['apply', '-f', 'examples/resources/openai-template.yaml', '-f', 'examples/resources/openai-provider.yaml']);
    await ok(['deploy', TEMPLATE, '--env', 'production']);
    await ok(['deploy', PROVIDER, '--env', 'production']);
    await ok(['token', 'create', 'ci-token', '--scope', 'write', '--expires', '30d']);
  });

  afterAll(async () => {
    await closeTerminals();
    await sim?.stop();
  });

  const run = async (args: string[], columns: number, extra: Record<string, string> = {}) => {
    const terminal = await openTerminal({ args, env: { ...env, ...extra }, cwd: env.HOME!, columns });
    const result = await terminal.exit();
    return { ...result, colored: await terminal.history({ colors: true }) };
  };

  describe.each([160, 60])('%i columns', (columns) => {
    it('says so on stderr when a list is empty, exits 0, and a pipe stays empty', async () => {
      const cases: Array<[string[], string]> = [
        [['gateway', 'list', '--env', 'empty'], 'No gateways found in environment empty.'],
        [['gateway', 'list', '--env', 'production', '--status', 'INACTIVE'], 'No INACTIVE gateways found in environment production.'],
        [['env', 'gateways', 'empty'], 'No gateways in environment empty. Add one with: agentgw gateway env add GATEWAY empty'],
        [['deployments', '--env', 'empty'], 'No deployments found in environment empty.'],
        [['resource', 'list', '--kind', 'Mcp'], 'No Mcp resources.'],
        [['deployments', '--matrix', '--env', 'empty'], 'No gateways in environment empty.'],
      ];
      for (const [args, message] of cases) {
        const shown = await run(args, columns);
        expect(shown.exitCode).toBe(0);
        expect(shown.output.replace(/\n/g, ' ')).toContain(message.slice(0, 50));
        const piped = await cli.run(args);
        expect(piped).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      }
    });

    it('gateway list: STATUS and a CHECKED age, names whole, the rest fitted to the width', async () => {
      const { exitCode, output } = await run(['gateway', 'list'], columns);
      expect(exitCode).toBe(0);
      const [header, ...rows] = output.split('\n');
      expect(header).toMatch(/^NAME {3,}TYPE {3,}STATUS {3,}CHECKED/);
      expect(rows.find((row) => row.startsWith(`${LONG} `))).toMatch(new RegExp(`^${LONG} +EGRESS +ACTIVE +\\d+s`));
      expect(output).not.toMatch(/ACTIVE \d+s|since/);
      expect(widest(output)).toBeLessThanOrEqual(columns);
      if (columns === 160) {
        expect(header).toMatch(/ENVIRONMENTS +URL +AGE$/);
        expect(output).not.toContain('left out');
      } else {
        expect(header).not.toContain('URL');
        // The person is told the columns exist, and how to see them.
        expect(output).toMatch(/ENVIRONMENTS, URL, AGE left out to fit; -o wide shows all\./);
      }
    });

    it('-o wide cuts nothing: every column, free text wrapped in its column', async () => {
      const { exitCode, output } = await run(['gateway', 'list', '-o', 'wide'], columns);
      expect(exitCode).toBe(0);
      expect(output).not.toContain('…');
      expect(output).toMatch(/^NAME .*UUID/);
      expect(output).toContain(LONG);
    });

    it('colours the status, and not with NO_COLOR, --no-color or TERM=dumb', async () => {
      const colored = await run(['gateway', 'list'], columns);
      expect(colored.colored).toContain(`${ESC}32mACTIVE`);
      for (const [args, extra] of [
        [['gateway', 'list'], { NO_COLOR: '1' }],
        [['gateway', 'list', '--no-color'], {}],
        [['gateway', 'list'], { TERM: 'dumb' }],
      ] as Array<[string[], Record<string, string>]>) {
        const plain = await run(args, columns, extra);
        expect(plain.exitCode).toBe(0);
        expect(plain.output).toContain('ACTIVE');
        expect(plain.colored).not.toContain(ESC);
      }
    });

    it('deployments --matrix keeps gateway names and Kind/name whole', async () => {
      const { exitCode, output } = await run(['deployments', '--matrix', '--env', 'production'], columns);
      expect(exitCode).toBe(0);
      expect(widest(output)).toBeLessThanOrEqual(columns);
      for (const name of [LONG, 'edge-2', 'api-1']) expect(output).toMatch(new RegExp(`^${name} `, 'm'));
      // A header too wide for its column wraps at its word breaks: read down each column, it is whole.
      const lines = output.split('\n');
      const row = lines.find((line) => line.startsWith(`${LONG} `))!;
      const starts = [...row.matchAll(/\S+/g)].map((match) => match.index);
      const headerLines = lines.slice(0, lines.findIndex((line) => line.startsWith('api-1')));
      const column = (k: number) => headerLines.map((line) => line.slice(starts[k], starts[k + 1]).trim()).join('');
      expect([column(0), column(1), column(2)]).toEqual(['GATEWAY', PROVIDER, TEMPLATE]);
      expect(output).toMatch(new RegExp(`^${LONG} +r1 +r1$`, 'm'));
    });

    it('gateway get: times with their age, the status in colour', async () => {
      const { exitCode, output, colored } = await run(['gateway', 'get', LONG], columns);
      expect(exitCode).toBe(0);
      expect(output).toMatch(/^Status: +ACTIVE$/m);
      expect(output).toMatch(/^Created: +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+[smhd] ago\)$/m);
      expect(output).toMatch(/^Last checked: +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+[smhd] ago\)$/m);
      expect(output).not.toMatch(/\d\d:\d\d:\d\d\.\d{3}Z/);
      expect(colored).toContain(`${ESC}32mACTIVE`);
    });

    it('resource get prints the manifest as YAML that apply takes back', async () => {
      const { exitCode, output } = await run(['resource', 'get', PROVIDER], columns);
      expect(exitCode).toBe(0);
      expect(output).toMatch(new RegExp(`^# ${PROVIDER}, revision 1, updated \\d{4}-`));
      expect(output).toMatch(/^apiVersion: gateway\.api-platform\.wso2\.com\/v1$/m);
      expect(output).toMatch(/^kind: LlmProvider$/m);
      const piped = await cli.run(['resource', 'get', PROVIDER]);
      expect(parse(piped.stdout)).toMatchObject({ kind: 'LlmProvider', metadata: { name: 'openai-provider' } });
      const reapplied = await cli.run(['apply', '-f', '-'], { input: piped.stdout });
      expect(reapplied.stderr).toContain('1 unchanged');
    });

    it('says no internal words: the default environment, metrics without a URL', async () => {
      const environments = await run(['env', 'list'], columns);
      expect(environments.output).toContain('Default environment');
      expect(environments.output).not.toContain('004_backfill');
      const metrics = await run(['gateway', 'metrics', 'edge-2'], columns);
      expect(metrics.exitCode).toBe(0);
      expect(metrics.output.replace(/\n/g, '')).toContain('no metrics URL: set one with `agentgw gateway update edge-2 --metrics-url URL`');
      const badFlag = await run(['--server', 'ftp://nowhere', 'gateway', 'list'], columns);
      expect(badFlag.exitCode).toBe(2);
      expect(badFlag.output).toMatch(/^error: --server: expected an http:\/\/ or https:\/\/ URL/);
    });

    it('a config file that does not parse: file, line, column and the lines around the mistake', async () => {
      const file = join(env.HOME!, `broken-${columns}.yaml`);
      writeFileSync(file, 'gateway:\n  adapter:\n    cloud:\n      authentication: { type: oauth2, clientId: ${CLOUD_CLIENT_ID} }\n');
      const { exitCode, output } = await run(['--config', file, 'gateway', 'list'], columns);
      expect(exitCode).toBe(2);
      expect(output).toContain(`error: ${file}:4:50: cannot parse: Unexpected flow-map-start at node end`);
      expect(output).toContain('  4 |       authentication: { type: oauth2, clientId: ${CLOUD_CLIENT_ID} }');
      expect(output).toMatch(/^ {4}\| {50}\^$/m);
    });

    it('migrate status: aligned columns under a header', async () => {
      const { exitCode, output } = await run(['migrate', 'status'], columns);
      expect(exitCode).toBe(0);
      expect(output).toMatch(/^Database: sqlite:/);
      expect(output).toMatch(/^MIGRATION {3,}STATUS {3,}APPLIED$/m);
      const rows = output.split('\n').filter((line) => /^\d{3}_/.test(line));
      expect(rows.length).toBeGreaterThanOrEqual(11);
      const statusAt = new Set(rows.map((row) => row.indexOf('applied')));
      expect(statusAt.size).toBe(1);
    });

    it('config show: durations as written, and which values the environment set', async () => {
      const home = env.HOME!;
      writeFileSync(join(home, 'agentgw.config.yaml'), 'gateway:\n  adapter:\n    onPremise:\n      healthCheck:\n        interval: 45s\n');
      try {
        const { exitCode, output } = await run(['config', 'show'], columns, { AGENTGW_PORT: '9001' });
        expect(exitCode).toBe(0);
        expect(output).toMatch(/^Config files: .*agentgw\.config\.yaml$/m);
        // 60 columns leave room for the key and its value; SOURCE is the column that gives way.
        const source = (text: string) => (columns === 160 ? ` +${text}$` : '$');
        expect(output).toMatch(new RegExp(`^gateway\\.adapter\\.onPremise\\.healthCheck\\.interval +45s${source('\\S*agentgw\\.config\\.yaml')}`, 'm'));
        expect(output).toMatch(new RegExp(`^gateway\\.adapter\\.onPremise\\.healthCheck\\.timeout +5s${source('default')}`, 'm'));
        expect(output).toMatch(new RegExp(`^server\\.port +9001${source('environment AGENTGW_PORT')}`, 'm'));
      } finally {
        rmSync(join(home, 'agentgw.config.yaml'));
      }
    });
  });

  it('every list’s --help names its columns in the order a pipe gets them', async () => {
    const lists: string[][] = [
      ['gateway', 'list'],
      ['env', 'list'],
      ['env', 'gateways', 'production'],
      ['gateway', 'env', 'list', LONG],
      ['token', 'list'],
      ['resource', 'list'],
      ['deployments'],
      ['migrate', 'status'],
      ['config', 'show'],
    ];
    for (const command of lists) {
      const help = await cli.run([...command.filter((word) => !/^(production|prod-)/.test(word)), '--help']);
      const documented = /Columns \(piped: tab-separated, no header\):\n {2}(.+)\n(?: {2}-o wide adds: (.+)\n)?/.exec(help.stdout);
      expect(documented, command.join(' ')).not.toBeNull();
      const expected = [...documented![1]!.split(/ {2,}/), ...(documented![2]?.split(/ {2,}/) ?? [])];
      const wide = await run([...command, '-o', 'wide'], 250);
      const header = wide.output.split('\n').find((line) => line.startsWith(expected[0]!))!;
      expect(header.split(/ {3,}/), command.join(' ')).toEqual(expected);
      const piped = await cli.run([...command, '-o', 'wide']);
      expect(piped.stdout.split('\n')[0]!.split('\t'), command.join(' ')).toHaveLength(expected.length);
    }
  });
});
