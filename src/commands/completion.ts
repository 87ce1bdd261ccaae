/**
 * `agentgw completion bash|zsh|fish`: shell completion generated from the command tree itself,
 * so it never falls behind the commands. Completes commands, subcommands and flags.
 */
import type { Command } from 'commander';
import { UsageError } from '../domain/errors.js';

interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
}

function walk(command: Command, path: string[] = []): Node[] {
  const flags = command.options.flatMap((option) => [option.long, option.short].filter((f): f is string => typeof f === 'string'));
  const children = command.commands.filter((child) => child.name() !== 'help');
  const node: Node = { path, subcommands: children.flatMap((child) => [child.name(), ...child.aliases()]), flags };
  return [node, ...children.flatMap((child) => walk(child, [...path, child.name()]))];
}

function bash(nodes: Node[], globalFlags: string[]): string {
  const cases = nodes
    .map((node) => `      "${node.path.join(' ')}") words="${[...node.subcommands, ...node.flags, ...globalFlags].join(' ')}"; break ;;`)
    .join('\n');
  return `# agentgw bash completion: eval "$(agentgw completion bash)"
_agentgw() {
  local cur path="" i words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) path="\${path:+$path }\${COMP_WORDS[i]}" ;; esac
  done
  # Positional arguments (names) are not commands: drop words from the end until a command matches.
  while :; do
    case "$path" in
${cases}
    esac
    [ -z "$path" ] && { words=""; break; }
    case "$path" in *" "*) path="\${path% *}" ;; *) path="" ;; esac
  done
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _agentgw agentgw
`;
}

function zsh(nodes: Node[], globalFlags: string[]): string {
  const cases = nodes.map((node) => `    "${node.path.join(' ')}") words=(${[...node.subcommands, ...node.flags, ...globalFlags].join(' ')}) ;;`).join('\n');
  return `#compdef agentgw
# agentgw zsh completion: agentgw completion zsh > "\${fpath[1]}/_agentgw"
_agentgw() {
  local path="" word
  local -a words
  for word in \${words[2,CURRENT-1]}; do
    [[ $word == -* ]] || path="\${path:+$path }$word"
  done
  case "$path" in
${cases}
    *) words=() ;;
  esac
  compadd -- $words
}
_agentgw "$@"
`;
}

function fish(nodes: Node[], globalFlags: string[]): string {
  const lines = ['# agentgw fish completion: agentgw completion fish > ~/.config/fish/completions/agentgw.fish', 'complete -c agentgw -f'];
  for (const node of nodes) {
    const condition = node.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${node.path.at(-1)}`;
    if (node.subcommands.length > 0) lines.push(`complete -c agentgw -n '${condition}' -a '${node.subcommands.join(' ')}'`);
    for (const flag of node.flags.filter((f) => f.startsWith('--'))) lines.push(`complete -c agentgw -n '${condition}' -l ${flag.slice(2)}`);
  }
  for (const flag of globalFlags.filter((f) => f.startsWith('--'))) lines.push(`complete -c agentgw -l ${flag.slice(2)}`);
  return `${lines.join('\n')}\n`;
}

export function completionScript(program: Command, shell: string): string {
  const [root, ...nodes] = walk(program);
  const globalFlags = root!.flags;
  const all = [{ ...root!, flags: [] }, ...nodes];
  switch (shell) {
    case 'bash':
      return bash(all, globalFlags);
    case 'zsh':
      return zsh(all, globalFlags);
    case 'fish':
      return fish(all, globalFlags);
    default:
      throw new UsageError(`no completion for shell "${shell}"`, { hint: 'use bash, zsh or fish' });
  }
}

export async function completionCommand(_globals: unknown, shell: string): Promise<void> {
  const { buildProgram } = await import('../cli.js');
  process.stdout.write(completionScript(buildProgram(), shell));
}
