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
import type { AppliedResource, Resource } from '../domain/resources.js';
import { printList, printResource, type Column } from '../output/format.js';
import type { GlobalOptions } from './context.js';
import { confirm, withContext } from './run.js';

interface Document {
  value: unknown;
  /** `file` or `file#2` (the second document of the file), for error messages. */
  source: string;
}

export async function applyCommand(globals: GlobalOptions, flags: { filename?: string[] }): Promise<void> {
  const files = flags.filename ?? [];
  if (files.length === 0) throw new UsageError('apply needs manifests: -f FILE (or -f - for standard input)', { hint: 'agentgw apply -f provider.yaml' });
  if (files.filter((file) => file === '-').length > 1) throw new UsageError('standard input (-f -) can be read only once');
  const documents: Document[] = [];
  for (const file of files) documents.push(...(await readDocuments(file)));
  if (documents.length === 0) throw new UsageError(`no manifests in ${files.join(', ')}`);
  await withContext(globals, async (context) => {
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

export async function listResources(globals: GlobalOptions, flags: { kind?: string }): Promise<void> {
  await withContext(globals, async (context) => {
    const resources = await (await context.client()).resources.list(flags.kind === undefined ? {} : { kind: flags.kind });
    await printList(
      context.output,
      resources.map((r) => ({ ...r, name: `${r.kind}/${r.name}` })),
      RESOURCE_COLUMNS,
      { resources },
    );
  });
}

export async function getResource(globals: GlobalOptions, ref: string): Promise<void> {
  await withContext(globals, async (context) => {
    await printResource(context.output, await (await context.client()).resources.get(ref), RESOURCE_FIELDS);
  });
}

export async function deleteResource(globals: GlobalOptions, ref: string, flags: { yes?: boolean }): Promise<void> {
  await withContext(globals, async (context) => {
    const client = await context.client();
    const resource = await client.resources.get(ref);
    const label = `${resource.kind}/${resource.name}`;
    await confirm(`delete resource ${label} and all its revisions?`, flags.yes);
    await client.resources.delete(label);
    context.stderr(`resource ${label} deleted`);
  });
}

/** Every document of a file (or of standard input): YAML streams, JSON, lists of manifests. */
async function readDocuments(file: string): Promise<Document[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdinText() : await readFile(file, 'utf8');
  } catch (error) {
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
    return { value: expandVariables(value, source), source };
  });
}

/** The document with `${NAME}` references replaced from the environment; an unset one is a usage error naming it. */
function expandVariables(value: unknown, source: string): unknown {
  return interpolateEnv(value, process.env, (name, path) =>
    new UsageError(`${source}: ${fieldPath(path) || '(document)'}: environment variable ${name} is not set`, {
      hint: `export ${name}=… before running apply, or write \${${name}:-default}; nothing was stored`,
    }),
  );
}

function isList(value: unknown): value is { items: unknown[] } {
  return value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'List' && Array.isArray((value as { items?: unknown }).items);
}

async function readStdinText(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('-f - reads manifests from standard input, but it is a terminal', { hint: 'cat provider.yaml | agentgw apply -f -' });
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
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

const APPLIED_COLUMNS: Column<AppliedResource>[] = [
  { header: 'RESOURCE', value: (r) => r.name },
  { header: 'REVISION', value: (r) => String(r.revision) },
  { header: 'ACTION', value: (r) => r.action },
  { header: 'DIGEST', value: (r) => r.specDigest.slice(0, 12), wide: true },
];

const RESOURCE_COLUMNS: Column<Resource>[] = [
  { header: 'RESOURCE', value: (r) => r.name },
  { header: 'REVISION', value: (r) => String(r.revision) },
  { header: 'DISPLAY NAME', value: (r) => String(r.spec.displayName ?? '') },
  { header: 'UPDATED', value: (r) => r.updatedAt },
  { header: 'UUID', value: (r) => r.uuid, wide: true },
];

const RESOURCE_FIELDS: Column<Resource>[] = [
  { header: 'Kind', value: (r) => r.kind },
  { header: 'Name', value: (r) => r.name },
  { header: 'Revision', value: (r) => String(r.revision) },
  { header: 'API version', value: (r) => r.apiVersion },
  { header: 'Digest', value: (r) => r.specDigest },
  { header: 'UUID', value: (r) => r.uuid },
  { header: 'Created', value: (r) => r.createdAt },
  { header: 'Updated', value: (r) => r.updatedAt },
  { header: 'Spec', value: (r) => JSON.stringify(r.spec) },
];
