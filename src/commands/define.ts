/**
 * One command in one place, as gh keeps `pkg/cmd/pr/list/list.go`: its flags, the help beyond
 * its one-line description, its examples and its handler, with the options typed as the flags
 * declare them. cli.ts names the command and says in one line what it does (what routing and a
 * group's help need); everything else is here, in the command's module, which is imported only
 * when the command runs or its help is shown (command-tree.ts).
 *
 * @example
 * export const create = defineCommand<[name: string], { displayName?: string }>({
 *   flags: (command) => command.option('--display-name <text>', 'human-readable name'),
 *   examples: ['agentgw env create staging --display-name "Staging"'],
 *   async run(invocation, [name], options) { … },
 * });
 */
import type { Command } from 'commander';
import type { IO } from '../output/io.js';
import type { GlobalOptions } from './context.js';

/** What a command runs with: the global flags, and the streams it reads and writes. */
export interface Invocation {
  globals: GlobalOptions;
  io: IO;
}

export interface CommandSpec<Args extends unknown[] = unknown[], Options = unknown> {
  /** Adds the command's flags to it; the options the handler gets are what they declare. */
  flags?(command: Command): unknown;
  /** Help after the flags and before the examples: the columns of a list, notes. */
  notes?: string;
  examples: readonly string[];
  /** Method syntax on purpose: the tree holds commands of every shape as CommandSpec<unknown[]>. */
  run(invocation: Invocation, args: Args, options: Options): Promise<void>;
}

export function defineCommand<Args extends unknown[] = [], Options = Record<string, never>>(spec: CommandSpec<Args, Options>): CommandSpec<Args, Options> {
  return spec;
}

/**
 * Documents a list's columns, in order: piped, they are what each tab-separated line holds (no
 * header). At a terminal, a narrow one leaves out the least important columns; -o wide shows them all.
 */
export function columns(table: string, wide?: string): string {
  return `\nColumns (piped: tab-separated, no header):\n  ${table}${wide === undefined ? '' : `\n  -o wide adds: ${wide}`}\n`;
}

/** The columns help of a list, from the very columns it prints. */
export function columnsOf(list: ReadonlyArray<{ header: string; wide?: boolean }>): string {
  const wide = list.filter((column) => column.wide === true).map((column) => column.header);
  return columns(
    list
      .filter((column) => column.wide !== true)
      .map((column) => column.header)
      .join('  '),
    wide.length === 0 ? undefined : wide.join('  '),
  );
}

/** A repeatable flag's values, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
