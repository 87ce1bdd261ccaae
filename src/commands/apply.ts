/**
 * `agentgw apply -f FILE|-` and `agentgw resource list|get|delete`: gateway-controller manifests
 * (YAML or JSON, one or many documents per file) kept by the control plane. Files are parsed
 * here, so the daemon only ever receives JSON; errors name the file and document.
 *
 * `${NAME}` (and `${NAME:-fallback}`) in any string of a manifest is replaced here, from this
 * process's environment, before anything is sent: an API key can live in the environment (or a
 * secret manager feeding it) rather than in a YAML file in git. The REST API stores what it is
 * sent and expands nothing.
 */
import { readFile } from 'node:fs/promises';
import { interpolateEnv } from '../config/interpolate.js';
import { fieldPath } from '../domain/manifest-secrets.js';
import { AgentgwError, UsageError, ValidationError } from '../domain/errors.js';
import { hasDeployments } from '../domain/refusals.js';
import type { AppliedResource, Resource } from '../domain/resources.js';
import { age, when } from '../output/age.js';
import { printList, printResource, toYaml, type Column } from '../output/format.js';
import type { IO } from '../output/io.js';
import { confirm } from '../output/prompt.js';
import { withContext } from './run.js';
import { collect, columnsOf, defineCommand, type Invocation } from './define.js';

interface Document {
  value: unknown;
  /** `file` or `file#2` (the second document of the file), for error messages. */
  source: string;
}

/** Piped: RESOURCE REVISION ACTION, tab-separated; -o wide adds DIGEST. */
const APPLIED_COLUMNS: Column<AppliedResource>[] = [
  { header: 'RESOURCE', value: (r) => r.name, identifier: true },
  { header: 'REVISION', value: (r) => String(r.revision), priority: 8 },
  { header: 'ACTION', value: (r) => r.action, priority: 9 },
  { header: 'DIGEST', value: (r) => r.specDigest.slice(0, 12), wide: true },
];

/** Piped: RESOURCE REVISION DISPLAY NAME UPDATED, tab-separated; -o wide adds UUID. */
const RESOURCE_COLUMNS: Column<Resource>[] = [
  { header: 'RESOURCE', value: (r) => r.name, identifier: true },
  { header: 'REVISION', value: (r) => String(r.revision), priority: 9 },
  { header: 'DISPLAY NAME', value: (r) => String(r.spec.displayName ?? ''), text: true, priority: 7 },
  { header: 'UPDATED', value: (r) => age(r.updatedAt), priority: 8 },
  { header: 'UUID', value: (r) => r.uuid, wide: true },
];

export const apply = defineCommand<[], { filename?: string[] }>({
  flags: (command) => command.option('-f, --filename <file>', 'manifest file, or - for standard input (repeatable)', collect),
  notes: columnsOf(APPLIED_COLUMNS),
  examples: [
    'agentgw apply -f openai-template.yaml -f openai-provider.yaml',
    'agentgw apply -f openai-provider.yaml     # value: "Bearer ${OPENAI_API_KEY}" in the file, read from the environment',
    'cat resources.yaml | agentgw apply -f - -o json',
  ],
  run: (invocation, _args, flags) => applyCommand(invocation, flags),
});

async function applyCommand(invocation: Invocation, flags: { filename?: string[] }): Promise<void> {
  const files = flags.filename ?? [];
  if (files.length === 0) throw new UsageError('apply needs manifests: -f FILE (or -f - for standard input)', { hint: 'agentgw apply -f provider.yaml' });
  if (files.filter((file) => file === '-').length > 1) throw new UsageError('standard input (-f -) can be read only once');
  const documents: Document[] = [];
  for (const file of files) documents.push(...(await readDocuments(file, invocation.io)));
  if (documents.length === 0) throw new UsageError(`no manifests in ${files.join(', ')}`);
  await withContext(invocation, async (context) => {
    let applied: AppliedResource[];
    try {
      applied = await (await context.client()).resources.apply(documents.map((d) => d.value));
    } catch (error) {
      throw withSources(error, documents);
    }
    const rows = applied.map((r) => ({ ...r, name: `${r.kind}/${r.name}` }));
    await printList(context.output, rows, APPLIED_COLUMNS, { resources: applied });
    const count = (action: AppliedResource['action']) => applied.filter((r) => r.action === action).length;
    context.stderr(`${applied.length} resource(s): ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged`);
  });
}

export const list = defineCommand<[], { kind?: string }>({
  flags: (command) => command.option('--kind <kind>', 'only this kind: LlmProvider, LlmProxy, Mcp, RestApi, LlmProviderTemplate or Secret'),
  notes: columnsOf(RESOURCE_COLUMNS),
  examples: ['agentgw resource list', 'agentgw resource list --kind LlmProvider -o name'],
  run: (invocation, _args, flags) => listResources(invocation, flags),
});

async function listResources(invocation: Invocation, flags: { kind?: string }): Promise<void> {
  await withContext(invocation, async (context) => {
    const resources = await (await context.client()).resources.list(flags.kind === undefined ? {} : { kind: flags.kind });
    await printList(
      context.output,
      resources.map((r) => ({ ...r, name: `${r.kind}/${r.name}` })),
      RESOURCE_COLUMNS,
      { resources },
      { empty: flags.kind === undefined ? 'No resources. Add them with: agentgw apply -f FILE' : `No ${flags.kind} resources.` },
    );
  });
}

export const get = defineCommand<[ref: string]>({
  examples: ['agentgw resource get LlmProvider/openai-provider > provider.yaml', 'agentgw resource get LlmProvider/openai-provider -o json'],
  run: (invocation, [ref]) => getResource(invocation, ref),
});

/**
 * The manifest as YAML, as `apply -f` takes it back (after a comment saying which revision it is);
 * `-o json|yaml` print the REST resource instead.
 */
async function getResource(invocation: Invocation, ref: string): Promise<void> {
  await withContext(invocation, async (context) => {
    const resource = await (await context.client()).resources.get(ref);
    const { output } = context;
    if (output.format !== 'table' && output.format !== 'wide') {
      await printResource(output, resource, []);
      return;
    }
    const manifest = { apiVersion: resource.apiVersion, kind: resource.kind, metadata: resource.metadata, spec: resource.spec };
    output.write(
      `# ${resource.kind}/${resource.name}, revision ${resource.revision}, updated ${when(resource.updatedAt)}\n` +
        (output.format === 'wide' ? `# uuid ${resource.uuid}, digest ${resource.specDigest}, created ${when(resource.createdAt)}\n` : '') +
        (await toYaml(manifest)),
    );
  });
}

export const remove = defineCommand<[ref: string], { yes?: boolean }>({
  flags: (command) => command.option('-y, --yes', 'do not ask for confirmation'),
  examples: ['agentgw resource delete LlmProvider/old-provider --yes'],
  run: (invocation, [ref], flags) => deleteResource(invocation, ref, flags),
});

async function deleteResource(invocation: Invocation, ref: string, flags: { yes?: boolean }): Promise<void> {
  await withContext(invocation, async (context) => {
    const client = await context.client();
    const resource = await client.resources.get(ref);
    const label = `${resource.kind}/${resource.name}`;
    // FAILED deployments are left to the delete, which asks their gateways whether they hold it.
    const blocking = (await client.deployments.list({ resource: resource.uuid })).filter((d) => d.status !== 'UNDEPLOYED' && d.status !== 'FAILED');
    if (blocking.length > 0) throw hasDeployments('resource', label, blocking);
    await confirm(context.io, `delete resource ${label} and all its revisions?`, { yes: flags.yes });
    await client.resources.delete(label);
    context.stderr(`resource ${label} deleted`);
  });
}

/** Every document of a file (or of standard input): YAML streams, JSON, lists of manifests. */
async function readDocuments(file: string, io: IO): Promise<Document[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdinText(io.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof AgentgwError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`-f ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`);
  }
  const name = file === '-' ? 'stdin' : file;
  const { parseAllDocuments } = await import('yaml');
  const values: unknown[] = [];
  for (const document of parseAllDocuments(text)) {
    const problem = document.errors[0];
    if (problem !== undefined) throw new UsageError(`${name}: not valid YAML or JSON: ${problem.message.split('\n')[0]}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    // A JSON array, or a Kubernetes-style List, holds several manifests.
    if (Array.isArray(value)) values.push(...value);
    else if (isList(value)) values.push(...value.items);
    else values.push(value);
  }
  return values.map((value, i) => {
    const source = values.length > 1 ? `${name}#${i + 1}` : name;
    return { value: expandVariables(value, source, io.env), source };
  });
}

/** The document with `${NAME}` references replaced from the environment; an unset one is a usage error naming it. */
function expandVariables(value: unknown, source: string, env: NodeJS.ProcessEnv): unknown {
  return interpolateEnv(value, env, (name, path) =>
    new UsageError(`${source}: ${fieldPath(path) || '(document)'}: environment variable ${name} is not set`, {
      hint: `export ${name}=… before running apply, or write \${${name}:-default}; nothing was stored`,
    }),
  );
}

function isList(value: unknown): value is { items: unknown[] } {
  return value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'List' && Array.isArray((value as { items?: unknown }).items);
}

async function readStdinText(stdin: IO['stdin']): Promise<string> {
  if (stdin.isTTY) throw new UsageError('-f - reads manifests from standard input, but it is a terminal', { hint: 'cat provider.yaml | agentgw apply -f -' });
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Rewrites `[i].spec.x` paths of a validation error into `file#n: spec.x`. */
function withSources(error: unknown, documents: Document[]): unknown {
  if (!(error instanceof AgentgwError) || error.code !== 'AGW_VALIDATION' || error.errors === undefined) return error;
  const errors = error.errors.map((e) => {
    const match = /^\[(\d+)\]\.?(.*)$/.exec(e.path);
    const document = documents[match ? Number(match[1]) : 0];
    const path = match ? match[2]! : e.path;
    return { path: `${document?.source ?? '?'}: ${path === '' ? '(document)' : path}`, message: e.message };
  });
  // The CLI prints each field error on its own line under this message.
  return new ValidationError(`invalid manifest${errors.length === 1 ? '' : 's'}`, errors, error.hint === undefined ? {} : { hint: error.hint });
}
