/**
 * Questions and interruptions at a terminal, 160 and 60 columns wide: the person's own choices
 * (n, Ctrl-C, Ctrl-D at a prompt; Ctrl-C of --watch or of a spinner) end quietly with their
 * documented codes, refusals come before the question, a password is typed unseen, a second
 * registration of one controller is warned about and asked, and shell completion knows the
 * command tree and the names there are.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, startSimulatorProcess, type CliEnvironment, type SimulatorProcess } from '../support/cli.js';
import { agentgwOnPath, closeTerminals, hasTmux, openTerminal, PTY_TEST_TIMEOUT_MS, type Terminal } from '../support/terminal.js';

const DECLINED = 8;
const INTERRUPTED = 130;
const PASSWORD = 'typed-not-seen-4711';

describe.skipIf(!hasTmux)('prompts and interruptions at a terminal', { timeout: PTY_TEST_TIMEOUT_MS }, () => {
  let sim: SimulatorProcess;
  let secured: SimulatorProcess;
  let cli: CliEnvironment;
  let env: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulatorProcess(['--count', '4']);
    secured = await startSimulatorProcess(['--name', 'locked', '--username', 'admin', '--password', PASSWORD]);
    cli = cliEnvironment();
    const { CI: _ci, NO_COLOR: _noColor, ...rest } = cli.env;
    env = rest;
    expect((await cli.run(['env', 'create', 'busy'])).exitCode).toBe(0);
    expect((await cli.run(['gateway', 'register', 'gw-1', '--control-plane-url', sim.urls.get('gw-1')!, '--env', 'busy'])).exitCode).toBe(0);
    expect((await cli.run(['apply', '-f', 'examples/resources/openai-template.yaml'], { cwd: process.cwd() })).exitCode).toBe(0);
    expect((await cli.run(['deploy', 'LlmProviderTemplate/openai', '--gateway', 'gw-1'])).exitCode).toBe(0);
  });

  afterAll(async () => {
    await closeTerminals();
    await sim?.stop();
    await secured?.stop();
  });

  const open = (args: string[], columns: number, program?: string) =>
    openTerminal({ args, env, cwd: env.HOME!, columns, ...(program === undefined ? {} : { program }) });
  const environments = async () => (JSON.parse((await cli.run(['env', 'list', '-o', 'json'])).stdout) as { environments: Array<{ name: string }> }).environments.map((e) => e.name);
  const gateways = async () => (await cli.run(['gateway', 'list', '-o', 'name'])).stdout.split('\n').filter(Boolean);

  /** Answers the prompt `question` with `keys`; the command's exit and everything it printed. */
  async function answer(terminal: Terminal, question: RegExp, ...keys: string[]) {
    await terminal.waitFor(question);
    for (const key of keys) {
      if (key === 'Enter' || key.startsWith('C-')) await terminal.press(key);
      else await terminal.type(key);
    }
    return terminal.exit();
  }

  describe.each([160, 60])('%i columns', (columns) => {
    it('n, Ctrl-D and Ctrl-C at a prompt end quietly: exit 8, 8 and 130, and nothing is deleted', async () => {
      const name = `doomed-${columns}`;
      expect((await cli.run(['env', 'create', name])).exitCode).toBe(0);
      const ask = () => open(['env', 'delete', name], columns);
      const question = new RegExp(`delete environment "${name}"\\? \\[y/N\\]`);
      for (const [keys, code] of [
        [['n', 'Enter'], DECLINED],
        [['C-d'], DECLINED],
        [['C-c'], INTERRUPTED],
      ] as Array<[string[], number]>) {
        const { exitCode, output } = await answer(await ask(), question, ...keys);
        expect(exitCode, keys.join(' ')).toBe(code);
        expect(output).not.toMatch(/error|cancelled|Aborted/i);
        expect(await environments()).toContain(name);
      }
      const yes = await answer(await ask(), question, 'y', 'Enter');
      expect(yes.exitCode).toBe(0);
      expect(yes.output).toContain(`environment "${name}" deleted`);
      expect(await environments()).not.toContain(name);
    });

    it('checks before asking: a delete that would be refused is refused without a question', async () => {
      const environment = await (await open(['env', 'delete', 'busy'], columns)).exit();
      expect(environment.exitCode).toBe(5);
      expect(environment.output).toMatch(/^error: environment "busy" has 1 active deployment\(s\): LlmProviderTemplate\/openai@gw-1/);
      expect(environment.output).not.toContain('[y/N]');
      const gateway = await (await open(['gateway', 'delete', 'gw-1'], columns)).exit();
      expect(gateway.exitCode).toBe(5);
      expect(gateway.output).toMatch(/^error: gateway "gw-1" has 1 active deployment\(s\)/);
      expect(gateway.output).not.toContain('[y/N]');
      const resource = await (await open(['resource', 'delete', 'LlmProviderTemplate/openai'], columns)).exit();
      expect(resource.exitCode, resource.output).toBe(5);
      expect(resource.output).not.toContain('[y/N]');
      const token = await (await open(['token', 'revoke', 'no-such-token'], columns)).exit();
      expect(token.exitCode).toBe(1);
      expect(token.output).toMatch(/^error: token "no-such-token" not found/);
    });

    it('--password-stdin at a terminal asks for the password and never shows it', async () => {
      const name = `locked-${columns}`;
      const args = ['gateway', 'register', name, '--control-plane-url', secured.urls.get('locked')!, '--username', 'admin', '--password-stdin', '--allow-duplicate-url'];
      const interrupted = await answer(await open(args, columns), /Password: $/m, 'sec', 'C-c');
      expect(interrupted.exitCode).toBe(INTERRUPTED);
      expect(await gateways()).not.toContain(name);
      const terminal = await open(args, columns);
      await terminal.waitFor(/Password: $/m);
      await terminal.type(PASSWORD);
      expect(await terminal.screen()).not.toContain(PASSWORD);
      await terminal.press('Enter');
      const { exitCode, output } = await terminal.exit();
      expect(output).not.toContain(PASSWORD);
      expect(exitCode).toBe(0);
      expect(output).toMatch(new RegExp(`^Name: +${name}$`, 'm'));
    });

    it('warns and asks before registering a second name for one controller; a script needs --allow-duplicate-url', async () => {
      const name = `again-${columns}`;
      const url = sim.urls.get('gw-1')!;
      const args = ['gateway', 'register', name, '--control-plane-url', url];
      const declined = await answer(await open(args, columns), /register ".*" as another name for the same controller\? \[y\/N\]/, 'n', 'Enter');
      expect(declined.exitCode).toBe(DECLINED);
      expect(declined.output).toMatch(/^warning: .* is already registered as gateway .*"gw-1"/);
      expect(await gateways()).not.toContain(name);
      const piped = await cli.run(args);
      expect(piped.exitCode).toBe(5);
      expect(piped.stderr).toContain('hint: two registrations of one controller report each other’s resources as unexpected drift; to register it anyway, pass --allow-duplicate-url');
      const accepted = await answer(await open(args, columns), /\[y\/N\]/, 'y', 'Enter');
      expect(accepted.exitCode).toBe(0);
      expect(await gateways()).toContain(name);
    });

    it('Ctrl-C ends --watch and a spinner quietly, with 130', async () => {
      const watch = await open(['gateway', 'list', '--watch'], columns);
      await watch.waitFor(/Ctrl-C to stop/);
      await watch.waitFor(/^gw-1 /m);
      await watch.press('C-c');
      const watched = await watch.exit();
      expect(watched.exitCode).toBe(INTERRUPTED);
      expect(watched.output).not.toMatch(/error/);

      const response = await fetch(`${sim.baseUrl}/__sim/gateways/gw-4/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 5000 }) });
      expect(response.ok).toBe(true);
      try {
        const register = await open(['gateway', 'register', `slow-${columns}`, '--control-plane-url', sim.urls.get('gw-4')!, '--allow-duplicate-url'], columns);
        await register.waitFor(/checking the gateway/);
        await register.press('C-c');
        const registered = await register.exit();
        expect(registered.exitCode).toBe(INTERRUPTED);
        expect(registered.output).not.toMatch(/error/);
      } finally {
        await fetch(`${sim.baseUrl}/__sim/gateways/gw-4/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 0 }) });
      }
    });

    it('health --watch logs each check with its time and status until Ctrl-C; apply -f - will not read a terminal', async () => {
      const watch = await open(['gateway', 'health', 'gw-1', '--watch'], columns);
      await watch.waitFor(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC {2}ACTIVE +\d+ms$/m);
      await watch.press('C-c');
      const watched = await watch.exit();
      expect(watched.exitCode).toBe(INTERRUPTED);
      expect(watched.output).not.toMatch(/error/);

      const apply = await (await open(['apply', '-f', '-'], columns)).exit();
      expect(apply.exitCode).toBe(2);
      expect(apply.output).toContain('error: -f - reads manifests from standard input, but it is a terminal');
      expect(apply.output).toContain('hint: cat provider.yaml | agentgw apply -f -');
    });

    it('completes commands, aliases, flags and the names of gateways in bash', async () => {
      const bin = agentgwOnPath(mkdtempSync(join(tmpdir(), 'agentgw-bin-')));
      const shell = await openTerminal({
        program: 'bash',
        args: ['--norc', '--noprofile', '-i'],
        env: { ...env, PATH: `${bin}:${env.PATH}`, PS1: '$ ' },
        cwd: env.HOME!,
        columns,
      });
      try {
        await shell.type('eval "$(agentgw completion bash)"');
        await shell.press('Enter');
        await shell.type('agentgw gw he');
        await shell.press('Tab');
        await shell.waitFor(/agentgw gw health $/m);
        await shell.press('Tab', 'Tab');
        await shell.waitFor((screen) => /gw-1/.test(screen) && /locked-/.test(screen));
        await shell.press('C-u');
        await shell.type('agentgw environment delete --fo');
        await shell.press('Tab');
        await shell.waitFor(/agentgw environment delete --force $/m);
      } finally {
        await shell.close();
      }
    });
  });
});
