/**
 * Hundreds of on-premise gateways stored at once (one insert per chunk, not one registration
 * each), pointing at simulated gateway-controllers, as if they had been registered `now`: with
 * the healthUrl registration would have found, when one is given.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../../src/store/database.js';
import { DEFAULT_ORGANIZATION_UUID } from '../../migrations/index.js';

export async function seedGateways(store: Store, gateways: Array<{ name: string; controlPlaneUrl: string; healthUrl?: string }>, now: Date): Promise<Map<string, string>> {
  const { codec, db } = store;
  const uuids = new Map<string, string>();
  for (let start = 0; start < gateways.length; start += 500) {
    const chunk = gateways.slice(start, start + 500).map((g) => ({ ...g, uuid: randomUUID() }));
    await db
      .insertInto('gateways')
      .values(
        chunk.map((g) => ({
          uuid: g.uuid,
          organization_uuid: DEFAULT_ORGANIZATION_UUID,
          name: g.name,
          display_name: g.name,
          gateway_type: 'EGRESS',
          status: 'ACTIVE',
          status_changed_at: codec.time(now),
          control_plane_url: g.controlPlaneUrl,
          endpoint: null,
          region: null,
          adapter_type: 'on-premise',
          adapter_config: codec.json({
            controlPlaneUrl: g.controlPlaneUrl,
            apiBasePath: '/api/management/v1',
            ...(g.healthUrl === undefined ? {} : { healthUrl: g.healthUrl }),
          }),
          metadata: codec.json({}),
          credentials: null,
          version: 1,
          consecutive_failures: 0,
          consecutive_successes: 1,
          next_check_at: codec.time(now),
          created_at: codec.time(now),
          updated_at: codec.time(now),
        })),
      )
      .execute();
    await db
      .insertInto('gateway_status_events')
      .values(chunk.map((g) => ({ gateway_uuid: g.uuid, from_status: null, to_status: 'ACTIVE', reason: 'registered', error_class: null, occurred_at: codec.time(now) })))
      .execute();
    for (const g of chunk) uuids.set(g.name, g.uuid);
  }
  return uuids;
}
