/**
 * Shell completion, as gh and kubectl do it: the script `agentgw completion bash|zsh|fish` prints
 * is small and asks `agentgw __complete WORDS…` for the candidates, so completion knows what the
 * command tree knows — commands and their aliases (`gw`, `environment`, `ls`), subcommands, flags,
 * the values of flags with a fixed set — and, from the database or daemon the words name, the
 * gateways, environments and resources there are.
 *
 * `__complete` prints one candidate per line; `:files` alone on a line asks the shell for file names.
 */
import type { Command, Option } from 'commander';
import { UsageError } from '../domain/errors.js';
import { GATEWAY_STATUSES, GATEWAY_TYPES } from '../domain/types.js';
import { OUTPUT_FORMATS } from '../output/format.js';
import type { Client } from '../client/client.js';
import type { IO } from '../output/io.js';
import { loadCommand } from './command-tree.js';
import type { GlobalOptions } from './context.js';
import { defineCommand } from './define.js';

export const FILES = ':files';

/** Candidates for a flag's value; `names` ones are looked up, FILES ones left to the shell. */
const FLAG_VALUES: Record<string, readonly string[] | 'gateway' | 'environment' | 'resource' | typeof FILES> = {
  '--output': OUTPUT_FORMATS,
  '--type': GATEWAY_TYPES,
  '--status': GATEWAY_STATUSES,
  '--kind': ['LlmProvider', 'LlmProxy', 'Mcp', 'RestApi', 'LlmProviderTemplate'],
  '--scope': ['read', 'write', 'admin'],
  '--log-format': ['text', 'json'],
  '--env': 'environment',
  '--gateway': 'gateway',
  '--resource': 'resource',
  '--filename': FILES,
  '--config': FILES,
  '--ca-cert': FILES,
  '--client-cert': FILES,
  '--client-key': FILES,
};

/** Candidates for a command's argument, by the name it has in the command tree. */
const ARGUMENT_VALUES: Record<string, readonly string[] | 'gateway' | 'environment' | 'resource'> = {
  gateway: 'gateway',
  env: 'environment',
  resource: 'resource',
  shell: ['bash', 'zsh', 'fish'],
};

/** How many gateway names completion reads at most: a lookup per keystroke must stay quick. */
const NAME_LIMIT = 1000;

type Lookup = (kind: 'gateway' | 'environment' | 'resource') => Promise<string[]>;

/**
 * The candidates for the last of `words` (the words after `agentgw`, the last one being typed,
 * possibly empty). `lookup` reads names; it is only called when names are wanted.
 */
export async function complete(program: Command, words: string[], lookup: Lookup): Promise<string[]> {
  const current = words.at(-1) ?? '';
  let command = program;
  let positional = 0;
  let pendingFlag: Option | undefined;
  for (const word of words.slice(0, -1)) {
    if (pendingFlag !== undefined) {
      pendingFlag = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      const option = findOption(command, word);
      if (option !== undefined && (option.required || option.optional) && !word.includes('=')) pendingFlag = option;
      continue;
    }
    const child = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (child !== undefined && positional === 0) {
      command = child;
      // A command's flags are added when its module loads.
      await loadCommand(command);
    } else positional++;
  }

  const matching = (candidates: readonly string[]) => candidates.filter((c) => c.startsWith(current));
  const valuesOf = async (source: readonly string[] | 'gateway' | 'environment' | 'resource' | typeof FILES | undefined): Promise<string[]> => {
    if (source === undefined) return [];
    if (source === FILES) return [FILES];
    if (typeof source === 'string') return matching(await lookup(source as 'gateway' | 'environment' | 'resource'));
    return matching(source);
  };

  if (pendingFlag !== undefined) return valuesOf(FLAG_VALUES[pendingFlag.long ?? '']);
  if (current.startsWith('-')) return matching(flagsOf(command));
  if (command.commands.length > 0 && positional === 0) return matching(command.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  const argument = command.registeredArguments[positional] ?? (command.registeredArguments.at(-1)?.variadic ? command.registeredArguments.at(-1) : undefined);
  return valuesOf(argument === undefined ? undefined : ARGUMENT_VALUES[argument.name()]);
}

/** The flags a command takes: its own and every ancestor's (global ones). */
function flagsOf(command: Command): string[] {
  const flags: string[] = ['--help'];
  for (let at: Command | null = command; at !== null; at = at.parent) {
    for (const option of at.options) if (!option.hidden && option.long !== undefined) flags.push(option.long);
  }
  return flags;
}

function findOption(command: Command, word: string): Option | undefined {
  const flag = word.split('=')[0]!;
  for (let at: Command | null = command; at !== null; at = at.parent) {
    const option = at.options.find((o) => o.long === flag || o.short === flag);
    if (option !== undefined) return option;
  }
  return undefined;
}

/** `agentgw __complete WORDS…`: what the shell scripts call. Never fails: no candidates instead. */
export async function completeCommand(words: string[], io: IO): Promise<void> {
  const { buildProgram } = await import('../cli.js');
  let client: Client | undefined;
  let close = async () => {};
  const lookup: Lookup = async (kind) => {
    if (client === undefined) {
      const { createCommandContext } = await import('./context.js');
      const context = await createCommandContext(globalsIn(words), io);
      close = () => context.close();
      client = await context.client();
    }
    if (kind === 'environment') return (await client.environments.list()).map((e) => e.name);
    if (kind === 'resource') return (await client.resources.list()).map((r) => `${r.kind}/${r.name}`);
    return (await client.gateways.listPage({}, { limit: NAME_LIMIT })).items.map((g) => g.name);
  };
  let candidates: string[];
  try {
    candidates = await complete(buildProgram(io), words, lookup);
  } catch {
    candidates = [];
  } finally {
    await close().catch(() => {});
  }
  io.stdout.write(candidates.map((c) => `${c}\n`).join(''));
}

/** The global flags among the words, so names come from the database or daemon they name. */
function globalsIn(words: string[]): GlobalOptions {
  const globals: GlobalOptions = {};
  const keys: Record<string, keyof GlobalOptions> = { '--database': 'database', '--server': 'server', '--token': 'token', '--config': 'config' };
  words.forEach((word, index) => {
    const [flag, inline] = word.split(/=(.*)/s);
    const key = keys[flag!];
    const value = inline ?? words[index + 1];
    if (key !== undefined && value !== undefined && index < words.length - 1) (globals as Record<string, string>)[key] = value;
  });
  return globals;
}

function bash(): string {
  return `# agentgw bash completion: eval "$(agentgw completion bash)"
_agentgw() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" line files=0
  local -a candidates=()
  while IFS= read -r line; do
    if [ "$line" = "${FILES}" ]; then files=1; else candidates+=("$line"); fi
  done < <(agentgw __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  if [ "$files" = 1 ]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=("\${candidates[@]}")
  fi
}
complete -F _agentgw agentgw
`;
}

function zsh(): string {
  return `#compdef agentgw
# agentgw zsh completion: agentgw completion zsh > "\${fpath[1]}/_agentgw" (or: source <(agentgw completion zsh))
_agentgw() {
  local line files=0
  local -a candidates
  for line in "\${(@f)$(agentgw __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
    if [[ $line == "${FILES}" ]]; then files=1; elif [[ -n $line ]]; then candidates+=("$line"); fi
  done
  if (( files )); then _files; else compadd -- "\${candidates[@]}"; fi
}
if [[ $funcstack[1] == _agentgw ]]; then _agentgw "$@"; else compdef _agentgw agentgw; fi
`;
}

function fish(): string {
  return `# agentgw fish completion: agentgw completion fish > ~/.config/fish/completions/agentgw.fish
function __agentgw_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l candidates (agentgw __complete $words 2>/dev/null)
    if contains -- ${FILES} $candidates
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $candidates
    end
end
complete -c agentgw -f -a '(__agentgw_complete)'
`;
}

export function completionScript(shell: string): string {
  switch (shell) {
    case 'bash':
      return bash();
    case 'zsh':
      return zsh();
    case 'fish':
      return fish();
    default:
      throw new UsageError(`no completion for shell "${shell}"`, { hint: 'use bash, zsh or fish' });
  }
}

export const completion = defineCommand<[shell: string]>({
  examples: ['eval "$(agentgw completion bash)"', 'agentgw completion zsh > "${fpath[1]}/_agentgw"', 'agentgw completion fish > ~/.config/fish/completions/agentgw.fish'],
  async run({ io }, [shell]) {
    io.stdout.write(completionScript(shell));
  },
});
