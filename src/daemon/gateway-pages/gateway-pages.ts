/**
 * The daemon's GET /gateways pages as the JSON bytes they are sent in. On PostgreSQL a gateway's
 * JSON is kept per row version (xmin) and rendered again only after its row changed; a page then
 * costs one statement (the versions of its gateways) and the bytes of its gateways put together.
 * Elsewhere (SQLite, or a page that changed while it was read) the page is the service's,
 * serialized. On either database, requests for the same page that arrive together share one
 * reading of it (SQLite's one connection reads and serializes a page for each request otherwise:
 * under 10 connections its first page's p99 was 54 ms).
 *
 * @example
 * const page = await gatewayPageJson({ store, organizationId, gateways }, { environment: 'production' }, { limit: 50 });
 * sendJsonPage(reply, 'gateways', page);
 */
import type { Gateway, GatewayFilter, Page } from '../../domain/types.js';
import { decodeCursor, encodeCursor, parseLimit } from '../../services/pagination.js';
import type { ListGatewaysOptions } from '../../services/gateways.js';
import type { Store } from '../../store/database.js';
import { perOwner } from '../../store/per-owner.js';
import { readBatcherOf } from '../../store/read-batcher.js';
import { GatewayVersionRepository, type GatewayVersion } from '../../store/repositories/gateway-versions.js';
import { environmentSummariesJson } from './environment-summaries-json.js';
import { pageVersions } from './page-versions.js';
import { RenderedGateways, renderGateway, type RenderedGateway } from './rendered-gateways.js';

/** Where a page is read from: the organization's store, and its gateway service for the fallback. */
export interface GatewayPageSource {
  store: Store;
  organizationId: string;
  gateways: { listPage(filter: GatewayFilter, options: ListGatewaysOptions): Promise<Page<Gateway>> };
}

/**
 * A page of the gateway list with each gateway as its JSON: exactly JSON.stringify of the
 * Gateway, in UTF-8, in the pieces it is to be sent in. The page is shared by the requests that
 * asked for it together: not to be changed.
 */
export async function gatewayPageJson(source: GatewayPageSource, filter: GatewayFilter, options: ListGatewaysOptions): Promise<Page<Buffer[]>> {
  const { store, organizationId } = source;
  const group = `page:${organizationId}:${JSON.stringify([filter.type, filter.status, filter.environment, options.limit, options.cursor])}`;
  return readBatcherOf(store).read(group, null, async (requests) => {
    const page = (store.dialect === 'postgres' ? await renderedPage(source, filter, options) : null) ?? (await presentedPage(source, filter, options));
    return requests.map(() => page);
  });
}

async function presentedPage(source: GatewayPageSource, filter: GatewayFilter, options: ListGatewaysOptions): Promise<Page<Buffer[]>> {
  const page = await source.gateways.listPage(filter, options);
  return { items: page.items.map((gateway) => [Buffer.from(JSON.stringify(gateway))]), nextCursor: page.nextCursor };
}

/**
 * A page from the gateways' row versions and the renderings kept for them. Null when a gateway
 * or an environment changed between the page's reads (or the environment filtered by was
 * replaced while it was read): the caller then reads the page in one statement.
 */
async function renderedPage(source: GatewayPageSource, filter: GatewayFilter, options: ListGatewaysOptions): Promise<Page<Buffer[]> | null> {
  const limit = parseLimit(options.limit);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const read = await pageVersions(source.store, source.organizationId, filter, { limit: limit + 1, ...(after === undefined ? {} : { after }) });
  if (read === null) return null;
  const { gateways: versions, environments } = read;
  const page = versions.slice(0, limit);
  const rendered = await renderings(source, page);
  const summaries = environmentSummariesJson(environments);
  const items: Buffer[][] = [];
  for (let i = 0; i < page.length; i++) {
    const gateway = rendered[i];
    const environmentsJson = summaries.json(page[i]!.environmentUuids);
    if (gateway === undefined || environmentsJson === undefined) return null;
    items.push([gateway.head, environmentsJson, gateway.tail]);
  }
  const last = rendered.at(-1);
  return { items, nextCursor: versions.length > limit && last ? encodeCursor(last.name) : null };
}

/** The renderings of these gateway versions: kept ones, and the others rendered now (undefined when a row moved on meanwhile). */
async function renderings({ store, organizationId }: GatewayPageSource, versions: readonly GatewayVersion[]): Promise<Array<RenderedGateway | undefined>> {
  const cache = renderedGatewaysOf(store);
  const now = Date.now();
  const kept = versions.map((gateway) => cache.get(gateway.uuid, gateway.rowVersion, now));
  const missing = versions.filter((_, i) => kept[i] === undefined);
  if (missing.length === 0) return kept;
  await cache.renderOnce(
    missing.map((gateway) => gateway.uuid),
    async (uuids) => {
      const read = await new GatewayVersionRepository(store, organizationId).findVersioned(uuids);
      for (const { record, rowVersion } of read) cache.set(record.uuid, rowVersion, renderGateway(record), now);
    },
  );
  return versions.map((gateway, i) => kept[i] ?? cache.get(gateway.uuid, gateway.rowVersion, now));
}

/** Renderings of gateways, one cache per database. */
const renderedGatewaysOf = perOwner(() => new RenderedGateways());
