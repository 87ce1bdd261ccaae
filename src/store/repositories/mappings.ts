/** The many-to-many mapping of gateways and environments. */
import { ConflictError } from '../../domain/errors.js';
import type { EnvironmentSummary } from '../../domain/types.js';
import type { Store } from '../database.js';

export class MappingRepository {
  constructor(private readonly store: Store) {}

  /** Adds a mapping; false when it already existed (adding is idempotent). */
  async add(gatewayUuid: string, environmentUuid: string, now: Date): Promise<boolean> {
    try {
      await this.store.db
        .insertInto('gateway_environment_mappings')
        .values({ gateway_uuid: gatewayUuid, environment_uuid: environmentUuid, created_at: this.store.codec.time(now) })
        .execute();
      return true;
    } catch (error) {
      if (this.store.codec.isUniqueViolation(error)) return false;
      if (this.store.codec.isForeignKeyViolation(error)) {
        throw new ConflictError('AGW_MAPPING_TARGET_GONE', 'the gateway or the environment was deleted meanwhile');
      }
      throw error;
    }
  }

  async remove(gatewayUuid: string, environmentUuid: string): Promise<boolean> {
    const result = await this.store.db
      .deleteFrom('gateway_environment_mappings')
      .where('gateway_uuid', '=', gatewayUuid)
      .where('environment_uuid', '=', environmentUuid)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async removeAllOfEnvironment(environmentUuid: string): Promise<number> {
    const result = await this.store.db
      .deleteFrom('gateway_environment_mappings')
      .where('environment_uuid', '=', environmentUuid)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The environments of each gateway, in one query, each list sorted by name. */
  async environmentsOf(gatewayUuids: readonly string[]): Promise<Map<string, EnvironmentSummary[]>> {
    const result = new Map<string, EnvironmentSummary[]>(gatewayUuids.map((uuid) => [uuid, []]));
    if (gatewayUuids.length === 0) return result;
    const rows = await this.store.db
      .selectFrom('gateway_environment_mappings as m')
      .innerJoin('environments as e', 'e.uuid', 'm.environment_uuid')
      .select(['m.gateway_uuid', 'e.uuid', 'e.name', 'e.display_name'])
      .where('m.gateway_uuid', 'in', [...gatewayUuids])
      .orderBy('e.name')
      .execute();
    for (const row of rows) result.get(row.gateway_uuid)?.push({ uuid: row.uuid, name: row.name, displayName: row.display_name });
    return result;
  }

  /** Names of the gateways mapped to an environment. */
  async gatewayNamesOf(environmentUuid: string): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom('gateway_environment_mappings as m')
      .innerJoin('gateways as g', 'g.uuid', 'm.gateway_uuid')
      .select('g.name')
      .where('m.environment_uuid', '=', environmentUuid)
      .orderBy('g.name')
      .execute();
    return rows.map((row) => row.name);
  }
}
