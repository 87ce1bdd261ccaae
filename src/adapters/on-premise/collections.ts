/**
 * Where each resource kind lives in the gateway-controller's management API, for the current
 * API (`/api/management/v1`) and the legacy one (no prefix, `/apis` for REST APIs), and under
 * which key a listing returns its items.
 */
import type { ResourceKind } from '../adapter.js';

export const CURRENT_API_BASE_PATH = '/api/management/v1';
export const LEGACY_API_BASE_PATH = '';

interface Collection {
  path: string;
  legacyPath: string;
  listKey: string;
}

export const COLLECTIONS: Record<ResourceKind, Collection> = {
  LlmProvider: { path: '/llm-providers', legacyPath: '/llm-providers', listKey: 'providers' },
  LlmProxy: { path: '/llm-proxies', legacyPath: '/llm-proxies', listKey: 'proxies' },
  Mcp: { path: '/mcp-proxies', legacyPath: '/mcp-proxies', listKey: 'mcpProxies' },
  RestApi: { path: '/rest-apis', legacyPath: '/apis', listKey: 'apis' },
  LlmProviderTemplate: { path: '/llm-provider-templates', legacyPath: '/llm-provider-templates', listKey: 'templates' },
};

export function collectionPath(kind: ResourceKind, apiBasePath: string): string {
  const collection = COLLECTIONS[kind];
  return apiBasePath === LEGACY_API_BASE_PATH ? collection.legacyPath : `${apiBasePath}${collection.path}`;
}
