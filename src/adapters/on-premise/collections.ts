/**
 * Where each resource kind lives in the gateway-controller's management API, for the current
 * API (`/api/management/v1`) and the legacy one (no prefix, `/apis` for REST APIs), under
 * which key a listing returns its items, and under which key a legacy detail answer wraps one.
 * Secrets exist on current controllers only: the 2026-02 API has no `/secrets`.
 */
import { GatewayError } from '../../domain/errors.js';
import type { ResourceKind } from '../adapter.js';

export const CURRENT_API_BASE_PATH = '/api/management/v1';
export const LEGACY_API_BASE_PATH = '';

interface Collection {
  path: string;
  /** Null where the 2026-02 API has no such collection. */
  legacyPath: string | null;
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
  Secret: { path: '/secrets', legacyPath: null, listKey: 'secrets', legacyListKey: 'secrets', legacyDetailKey: 'secret' },
};

/** Whether a controller with this API layout has a collection for `kind`. */
export function hasCollection(kind: ResourceKind, apiBasePath: string): boolean {
  return apiBasePath !== LEGACY_API_BASE_PATH || COLLECTIONS[kind].legacyPath !== null;
}

export function listKey(kind: ResourceKind, apiBasePath: string): string {
  return apiBasePath === LEGACY_API_BASE_PATH ? COLLECTIONS[kind].legacyListKey : COLLECTIONS[kind].listKey;
}

export function collectionPath(kind: ResourceKind, apiBasePath: string): string {
  const collection = COLLECTIONS[kind];
  if (apiBasePath !== LEGACY_API_BASE_PATH) return `${apiBasePath}${collection.path}`;
  if (collection.legacyPath === null) {
    throw new GatewayError('AGW_GATEWAY_UNSUPPORTED', `this gateway-controller's API (2026-02) has no ${collection.path} collection, so it cannot hold a ${kind}`, {
      hint: 'upgrade the gateway-controller, or write the value into the resources that use it',
    });
  }
  return collection.legacyPath;
}
