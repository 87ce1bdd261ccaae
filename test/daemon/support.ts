/**
 * A real daemon on a random loopback port over a fresh PostgreSQL schema, and a small HTTP
 * helper that returns status, headers and the parsed body. Nothing is mocked.
 */
import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import type { AgentgwConfig } from '../../src/config/schema.js';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { testConfig } from '../support/harness.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  runtime: Runtime;
  config: AgentgwConfig;
  schema: TestSchema;
  close(): Promise<void>;
}

export async function startTestDaemon(options: { prefix?: string; overrides?: Record<string, unknown>; databaseUrl?: string } = {}): Promise<TestDaemon> {
  const schema = createTestSchema(options.prefix ?? 'daemon');
  const config = await testConfig(options.databaseUrl ?? schema.url, options.overrides ?? {});
  const daemon = await startDaemon({ config, port: 0, logger: false });
  return {
    daemon,
    url: daemon.url,
    runtime: daemon.runtime,
    config,
    schema,
    async close() {
      await daemon.close();
      await schema.drop();
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

export interface HttpOptions {
  body?: unknown;
  /** Sent as is (for malformed JSON); `body` is ignored when set. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  token?: string;
}

/** One request with fetch (undici): JSON in, JSON or text out. */
export async function http(base: string, method: string, path: string, options: HttpOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | Buffer | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), text, body };
}

/**
 * A request with node:http, for what fetch refuses to send: any path bytes, any method, any
 * header, a body on GET.
 */
export function rawHttp(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<HttpResult> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = undefined;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, text, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** An error answer: problem+json with the RFC 9457 members and a stable code. */
export function expectProblem(result: HttpResult, status: number, code?: string): void {
  expect(result.status, result.text).toBe(status);
  expect(result.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(result.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String), code: expect.any(String) });
  expect(result.text).not.toMatch(/\n\s+at /);
  if (code !== undefined) expect(result.body.code).toBe(code);
}
