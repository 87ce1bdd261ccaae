/**
 * The management API's collections in both API generations: where each kind lives and what the
 * spec calls it in list and detail answers. Everything route- or shape-specific is read from here,
 * so the two generations differ in data, not in code paths.
 */
import type { ResourceKind } from '../../adapters/adapter.js';

export interface CollectionDef {
  kind: ResourceKind;
  /** Path segment of the current API (under `/api/management/v1`). */
  path: string;
  /** Path segment of the 2026-02 API (at the root); null where that API has no such collection. */
  legacyPath: string | null;
  /** Array property of the current list answer. */
  listKey: string;
  /** Array property of the legacy list answer. */
  legacyListKey: string;
  /** Object property wrapping a legacy detail answer. */
  legacyDetailKey: string;
  /** How the current spec names the kind in messages ("RestAPI deleted successfully"). */
  label: string;
  /** How the legacy spec names it ("API configuration created successfully"). */
  legacyLabel: string;
}

export const COLLECTIONS: readonly CollectionDef[] = [
  {
    kind: 'RestApi',
    path: 'rest-apis',
    legacyPath: 'apis',
    listKey: 'apis',
    legacyListKey: 'apis',
    legacyDetailKey: 'api',
    label: 'RestAPI',
    legacyLabel: 'API configuration',
  },
  {
    kind: 'LlmProvider',
    path: 'llm-providers',
    legacyPath: 'llm-providers',
    listKey: 'providers',
    legacyListKey: 'providers',
    legacyDetailKey: 'provider',
    label: 'LLM provider',
    legacyLabel: 'LLM provider',
  },
  {
    kind: 'LlmProxy',
    path: 'llm-proxies',
    legacyPath: 'llm-proxies',
    listKey: 'proxies',
    legacyListKey: 'proxies',
    legacyDetailKey: 'proxy',
    label: 'LLM proxy',
    legacyLabel: 'LLM proxy',
  },
  {
    kind: 'Mcp',
    path: 'mcp-proxies',
    legacyPath: 'mcp-proxies',
    listKey: 'mcpProxies',
    legacyListKey: 'mcp_proxies',
    legacyDetailKey: 'mcp',
    label: 'MCPProxy',
    legacyLabel: 'MCP Proxy configuration',
  },
  {
    kind: 'LlmProviderTemplate',
    path: 'llm-provider-templates',
    legacyPath: 'llm-provider-templates',
    listKey: 'templates',
    legacyListKey: 'templates',
    legacyDetailKey: 'template',
    label: 'LLM provider template',
    legacyLabel: 'LLM provider template',
  },
  {
    kind: 'Secret',
    path: 'secrets',
    legacyPath: null,
    listKey: 'secrets',
    legacyListKey: 'secrets',
    legacyDetailKey: 'secret',
    label: 'secret configuration',
    legacyLabel: 'secret configuration',
  },
];

const CURRENT_BY_PATH = new Map(COLLECTIONS.map((c) => [c.path, c]));
const LEGACY_BY_PATH = new Map(COLLECTIONS.flatMap((c) => (c.legacyPath === null ? [] : [[c.legacyPath, c] as const])));
const BY_KIND = new Map(COLLECTIONS.map((c) => [c.kind, c]));

export function collectionForPath(segment: string, legacy: boolean): CollectionDef | undefined {
  return (legacy ? LEGACY_BY_PATH : CURRENT_BY_PATH).get(segment);
}

export function collectionForKind(kind: ResourceKind): CollectionDef {
  const def = BY_KIND.get(kind);
  if (def === undefined) throw new Error(`unknown resource kind ${kind}`);
  return def;
}

/** Base path of the current management API; the legacy one has none. */
export const MANAGEMENT_PREFIX = '/api/management/v1';
export const ADMIN_HEALTH_PATH = '/api/admin/v1/health';
export const HEALTH_ALIAS_PATH = '/health';
export const METRICS_PATH = '/metrics';
