/**
 * Reading and writing bodies on node:http, kept to what the simulator needs: JSON and YAML in,
 * JSON, YAML and Prometheus text out, with a cap on what a client may send.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { ParsedBody, SimResponse } from './management-api.js';

/** Larger than any real manifest, small enough that a runaway client cannot fill memory. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Resolves with the body, or null when it exceeded `limit` (the rest is drained, not stored). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The spec accepts `application/yaml` and `application/json`; anything not YAML is read as JSON. */
export function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  const text = raw.toString('utf8');
  if (text.trim() === '') return { ok: false, message: 'request body is empty' };
  try {
    const value: unknown = contentType?.includes('yaml') === true ? parseYaml(text) : JSON.parse(text);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message.split('\n')[0] ?? 'invalid body' : 'invalid body' };
  }
}

export function send(res: ServerResponse, response: SimResponse, asYaml = false): void {
  if (res.destroyed || res.headersSent) return;
  const payload = asYaml ? stringifyYaml(response.body) : JSON.stringify(response.body);
  res.writeHead(response.status, {
    'content-type': asYaml ? 'application/yaml' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...response.headers,
  });
  res.end(payload);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Whether the client asked for YAML (the spec offers it on GET by id). */
export function wantsYaml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept !== undefined && accept.includes('yaml') && !accept.includes('json');
}
