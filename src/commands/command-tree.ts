/**
 * How cli.ts builds the commander tree. A command is created with what routing and its group's
 * help need (name, arguments, aliases, one-line description) and a loader; the rest of it — its
 * flags, help, examples and handler (define.ts) — is added from its module when the command is
 * about to run, or when its help or completion needs it; a group's commands are created when the
 * group is routed to. So a run loads its own command's code only, and `agentgw --version` none.
 */
import type { Command } from 'commander';
import type { IO } from '../output/io.js';
import type { GlobalOptions } from './context.js';
import type { CommandSpec } from './define.js';

export type SpecLoader = () => Promise<CommandSpec>;

interface Pending {
  load: SpecLoader;
  io: IO;
}

const pending = new WeakMap<Command, Pending>();

/** The commands of `parent`, each loaded just before it is dispatched to. */
export function routed(parent: Command): Command {
  return parent.hook('preSubcommand', async (_parent, command) => loadCommand(command));
}

/** The groups whose commands are not added yet, with what adds them. */
const pendingGroups = new WeakMap<Command, (group: Command) => void>();

/**
 * A group of commands (`gateway`, `gateway env`), whose commands `define` adds when the group is
 * about to be used: routed to, or its help or completion asked for. A run of `gateway list`
 * creates the commands of its own group only (commander's Command: ~30 µs each, 60 of them).
 */
export function group(parent: Command, name: string, description: string, aliases: string[], define: (group: Command) => void): Command;
export function group(parent: Command, name: string, description: string, define: (group: Command) => void): Command;
export function group(parent: Command, name: string, description: string, ...rest: [string[], (group: Command) => void] | [(group: Command) => void]): Command {
  const [aliases, define] = rest.length === 2 ? rest : [[], rest[0]];
  const command = parent.command(name).description(description);
  for (const alias of aliases) command.alias(alias);
  pendingGroups.set(command, define);
  return routed(command);
}

/** A command whose definition `load` imports (`usage`: its name and arguments, e.g. `get <env>`). */
export function command(parent: Command, io: IO, usage: string, description: string, load: SpecLoader, aliases: string[] = []): Command {
  const created = parent.command(usage).description(description);
  for (const alias of aliases) created.alias(alias);
  pending.set(created, { load, io });
  return created;
}

/** Adds the commands of a group, or the flags, help, examples and handler of a command from its module; once. */
export async function loadCommand(target: Command): Promise<void> {
  const define = pendingGroups.get(target);
  if (define !== undefined) {
    pendingGroups.delete(target);
    define(target);
  }
  const entry = pending.get(target);
  if (entry === undefined) return;
  pending.delete(target);
  const spec = await entry.load();
  spec.flags?.(target);
  if (spec.notes !== undefined) target.addHelpText('after', spec.notes);
  target.addHelpText('after', `\nExamples:\n${spec.examples.map((line) => `  $ ${line}`).join('\n')}\n`);
  // commander calls an action with the arguments, then the command's options, then the command.
  target.action(async (...values: unknown[]) => {
    const self = values.at(-1) as Command;
    await spec.run({ globals: self.optsWithGlobals<GlobalOptions>(), io: entry.io }, values.slice(0, -2), self.opts());
  });
}

/** Loads every command under `root`: for help that lists them, and for completion. */
export async function loadTree(root: Command): Promise<void> {
  await loadCommand(root);
  for (const child of root.commands) await loadTree(child);
}
