/** The command tree of src/cli.ts: a group's commands are created when the group is first used. */
import { describe, expect, it } from 'vitest';
import { buildProgram, main } from '../../../src/cli.js';
import { loadCommand } from '../../../src/commands/command-tree.js';
import { fakeIO } from '../../support/fake-io.js';

describe('command groups', () => {
  it('have no commands until they are used, then all of them, once', async () => {
    const program = buildProgram(fakeIO().io);
    const gateway = program.commands.find((command) => command.name() === 'gateway')!;
    expect(gateway.commands).toEqual([]);
    await loadCommand(gateway);
    const names = gateway.commands.map((command) => command.name());
    expect(names).toEqual(['register', 'list', 'get', 'update', 'delete', 'health', 'metrics', 'env']);
    await loadCommand(gateway);
    expect(gateway.commands).toHaveLength(names.length);
  });

  it('are listed by their own help, and a command of one by `help GROUP COMMAND`', async () => {
    const groupHelp = fakeIO();
    expect(await main(['node', 'agentgw', 'gw', '--help'], groupHelp.io)).toBe(0);
    expect(groupHelp.stdout()).toMatch(/^ {2}list\|ls +list gateways/m);
    expect(groupHelp.stdout()).toMatch(/^ {2}env +a gateway’s environments/m);
    const commandHelp = fakeIO();
    expect(await main(['node', 'agentgw', 'help', 'gateway', 'env', 'add'], commandHelp.io)).toBe(0);
    expect(commandHelp.stdout()).toMatch(/^Usage: agentgw gateway env add \[options\] <gateway> <env>/m);
  });

  it('still suggest a command of theirs for a misspelled one', async () => {
    const run = fakeIO();
    expect(await main(['node', 'agentgw', 'env', 'lst'], run.io)).not.toBe(0);
    expect(run.stderr()).toMatch(/unknown command 'lst'\n\(Did you mean one of list, ls\?\)/);
  });
});
