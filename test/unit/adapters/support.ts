/**
 * What the on-premise adapter tests share: an adapter wired to a recording logger and a clock
 * the tests move, gateway targets, and the gateway-controller's example manifests.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { AdapterContext, AdapterLogger, GatewayCredentials, GatewayTarget, ResourceManifest, TrafficKind } from '../../../src/adapters/adapter.js';
import { OnPremiseAdapter } from '../../../src/adapters/on-premise/on-premise-adapter.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Copies of ../shared/gateway-controller/examples, kept beside the simulator's tests. */
export const EXAMPLES_DIR = join(HERE, '..', 'simulators', 'fixtures', 'gateway-controller-examples');
/** Copies of ../shared/gateway-controller/*-openapi.yaml, so the suite runs without the shared folder. */
export const SPECS_DIR = join(HERE, 'fixtures', 'gateway-controller-specs');

export interface LogLine {
  level: 'warn' | 'info' | 'debug';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export function recordingLogger(): AdapterLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
  };
}

/** A clock shared by the simulator and the adapter; `sleep` moves it instead of waiting. */
export function testClock(start = Date.UTC(2026, 3, 1)): { now: () => number; sleep: (ms: number) => Promise<void>; advance: (ms: number) => void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export function testContext(logger: AdapterLogger, overrides: Partial<AdapterContext['http']> = {}): AdapterContext {
  return {
    logger,
    http: {
      defaultTimeoutMs: 3_000,
      healthCheckTimeoutMs: 1_000,
      // Small waits: retried failures must not slow the suite down.
      retryPolicy: { maxAttempts: 2, backoffMultiplier: 2, maxBackoffMs: 20 },
      maxResponseBytes: 1024 * 1024,
      ...overrides,
    },
    network: { allow: [], deny: [], denyLoopback: false, denyPrivate: false },
  };
}

export function createAdapter(
  logger: AdapterLogger,
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> },
  http: Partial<AdapterContext['http']> = {},
): OnPremiseAdapter {
  return new OnPremiseAdapter(testContext(logger, http), clock === undefined ? {} : { clock: clock.now, sleep: clock.sleep });
}

export function target(name: string, controlPlaneUrl: string, adapterConfig: Record<string, unknown> = {}, credentials: GatewayCredentials = {}): GatewayTarget {
  return {
    uuid: `uuid-${name}`,
    name,
    type: 'INGRESS',
    adapterType: 'on-premise',
    controlPlaneUrl,
    endpoint: null,
    region: null,
    adapterConfig,
    credentials,
    status: 'ACTIVE',
  };
}

/** Every example manifest, by file name. */
export function loadExamples(): Array<{ file: string; manifest: ResourceManifest }> {
  return readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, manifest: parseYaml(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as ResourceManifest }));
}

/** One example per kind, in an order a real controller would accept (templates before providers before proxies). */
export const EXAMPLE_PER_KIND: Record<TrafficKind, string> = {
  LlmProviderTemplate: 'openai-template.yaml',
  LlmProvider: 'openai-provider.yaml',
  LlmProxy: 'ai-gw-llm-proxy-proxy.yaml',
  Mcp: 'mcp-proxy.yaml',
  RestApi: 'sample-echo-api.yaml',
};

export function example(file: string): ResourceManifest {
  const found = loadExamples().find((e) => e.file === file);
  if (found === undefined) throw new Error(`no example ${file}`);
  return structuredClone(found.manifest);
}
