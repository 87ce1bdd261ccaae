/** What `agentgw __complete` answers, walked over the real command tree. */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli.js';
import { complete, FILES } from '../../../src/commands/completion.js';

const NAMES = { gateway: ['prod-gw-1', 'prod-gw-2', 'edge-1'], environment: ['production', 'staging'], resource: ['LlmProvider/openai', 'Mcp/github'] };

async function candidates(...words: string[]) {
  const asked: string[] = [];
  const result = await complete(buildProgram(), words, async (kind) => {
    asked.push(kind);
    return NAMES[kind];
  });
  return { result, asked };
}

describe('completion', () => {
  it('completes commands and their aliases', async () => {
    expect((await candidates('g')).result).toEqual(['gateway', 'gw']);
    expect((await candidates('env', '')).result).toEqual(expect.arrayContaining(['create', 'list', 'ls', 'delete', 'rm', 'gateways']));
  });

  it('follows an alias to its subcommands', async () => {
    expect((await candidates('gw', 'h')).result).toEqual(['health']);
    expect((await candidates('environment', 'g')).result).toEqual(['get', 'gateways']);
    expect((await candidates('gw', 'env', 'r')).result).toEqual(['remove', 'rm']);
  });

  it('completes a command’s flags and the global ones', async () => {
    const { result } = await candidates('gateway', 'register', 'gw-9', '--');
    expect(result).toEqual(expect.arrayContaining(['--control-plane-url', '--password-stdin', '--allow-duplicate-url', '--server', '--output', '--help']));
    expect(result).not.toContain('--drain');
  });

  it('completes the values of flags with a fixed set, and leaves files to the shell', async () => {
    expect((await candidates('gateway', 'list', '--type', '')).result).toEqual(['EGRESS', 'INGRESS']);
    expect((await candidates('gateway', 'list', '-o', 'y')).result).toEqual(['yaml']);
    expect((await candidates('apply', '-f', '')).result).toEqual([FILES]);
  });

  it('looks names up only where a name goes', async () => {
    expect(await candidates('gateway', 'get', 'prod')).toEqual({ result: ['prod-gw-1', 'prod-gw-2'], asked: ['gateway'] });
    expect(await candidates('gateway', 'env', 'add', 'prod-gw-1', 's')).toEqual({ result: ['staging'], asked: ['environment'] });
    expect(await candidates('deploy', 'LlmProvider/openai', '--env', '')).toEqual({ result: ['production', 'staging'], asked: ['environment'] });
    expect(await candidates('deploy', 'L')).toEqual({ result: ['LlmProvider/openai'], asked: ['resource'] });
    expect(await candidates('--server', 'http://127.0.0.1:8080', 'gw', 'rm', '')).toEqual({ result: NAMES.gateway, asked: ['gateway'] });
    expect((await candidates('gateway', 'list', '--')).asked).toEqual([]);
  });
});
