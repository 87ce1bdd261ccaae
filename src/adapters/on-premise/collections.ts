/**
 * Where each resource kind lives in the gateway-controller's management API, for the current
 * API (`/api/management/v1`) and the legacy one (no prefix, `/apis` for REST APIs), under
 * which key a listing returns its items, and under which key a legacy detail answer wraps one.
 */
import type { ResourceKind } from '../adapter.js';

export const CURRENT_API_BASE_PATH = '/api/management/v1';
export const LEGACY_API_BASE_PATH = '';

interface Collection {
  path: string;
  legacyPath: string;
  listKey: string;
  /** Legacy listings use snake_case keys and return summaries (`id`), not full resources. */
  legacyListKey: string;
  /** Legacy GET by id answers `{status, <key>: {id, configuration, metadata}}`. */
  legacyDetailKey: string;
}

export const COLLECTIONS: Record<ResourceKind, Collection> = {
  LlmProvider: { path: '/llm-providers', legacyPath: '/llm-providers', listKey: 'providers', legacyListKey: 'providers', legacyDetailKey: 'provider' },
  LlmProxy: { path: '/llm-proxies', legacyPath: '/llm-proxies', listKey: 'proxies', legacyListKey: 'proxies', legacyDetailKey: 'proxy' },
  Mcp: { path: '/mcp-proxies', legacyPath: '/mcp-proxies', listKey: 'mcpProxies', legacyListKey: 'mcp_proxies', legacyDetailKey: 'mcp' },
  RestApi: { path: '/rest-apis', legacyPath: '/apis', listKey: 'apis', legacyListKey: 'apis', legacyDetailKey: 'api' },
  LlmProviderTemplate: {
    path: '/llm-provider-templates',
    legacyPath: '/llm-provider-templates',
    listKey: 'templates',
    legacyListKey: 'templates',
    legacyDetailKey: 'template',
  },
};

export function listKey(kind: ResourceKind, apiBasePath: string): string {
  return apiBasePath === LEGACY_API_BASE_PATH ? COLLECTIONS[kind].legacyListKey : COLLECTIONS[kind].listKey;
}

export function collectionPath(kind: ResourceKind, apiBasePath: string): string {
  const collection = COLLECTIONS[kind];
  return apiBasePath === LEGACY_API_BASE_PATH ? collection.legacyPath : `${apiBasePath}${collection.path}`;
}
