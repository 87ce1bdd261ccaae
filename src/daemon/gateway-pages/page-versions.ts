/**
 * A page's gateway versions with the environment filtered by resolved to its uuid, remembered
 * between pages: the store writes that uuid into the page's SQL (see
 * GatewayVersionRepository.readVersions), so it is looked up once, not on every page, and checked
 * against the environments read with each page.
 */
import { environmentNotFound } from '../../domain/not-found.js';
import type { GatewayFilter } from '../../domain/types.js';
import type { Store } from '../../store/database.js';
import { perOwner } from '../../store/per-owner.js';
import { EnvironmentRepository } from '../../store/repositories/environments.js';
import { GatewayVersionRepository, type VersionedPage } from '../../store/repositories/gateway-versions.js';
import type { PageOptions } from '../../store/repositories/gateway-list-query.js';
import { isUuid } from '../../store/repositories/refs.js';

/**
 * The versions of one page of the gateway list (PostgreSQL only). Null when the environment
 * filtered by was deleted and created again while the page was read twice; NotFoundError when
 * there is no such environment.
 */
export async function pageVersions(store: Store, organizationId: string, filter: GatewayFilter, options: PageOptions): Promise<VersionedPage | null> {
  const versions = new GatewayVersionRepository(store, organizationId);
  const { environment, ...rest } = filter;
  if (environment === undefined) return versions.readVersions(rest, undefined, options);
  const byUuid = isUuid(environment);
  const ref = byUuid ? environment.toLowerCase() : environment;
  const remembered = environmentUuidsOf(store);
  const key = `${organizationId} ${ref}`;
  let uuid = remembered.get(key) ?? (await new EnvironmentRepository(store, organizationId).find(ref))?.uuid ?? null;
  for (let attempt = 0; uuid !== null && attempt < 2; attempt++) {
    const page = await versions.readVersions(rest, uuid, options);
    const current = page.environments.find((e) => (byUuid ? e.uuid === ref : e.name === ref));
    if (current?.uuid === uuid) {
      if (remembered.get(key) !== uuid) {
        if (remembered.size >= REMEMBERED_ENVIRONMENTS) remembered.clear();
        remembered.set(key, uuid);
      }
      return page;
    }
    uuid = current?.uuid ?? null;
  }
  remembered.delete(key);
  if (uuid === null) throw environmentNotFound(environment);
  return null;
}

/**
 * The uuids of the environments pages were last asked for, by organization and ref (name or
 * uuid), for each store. Names are few; the bound only guards against a store used without end.
 */
const environmentUuidsOf = perOwner(() => new Map<string, string>());
const REMEMBERED_ENVIRONMENTS = 1_000;
