/** The status transitions of a gateway, written with every status change (registration included). */
import type { GatewayStatus, HealthErrorClass } from '../../domain/types.js';
import type { Store } from '../database.js';

export interface StatusEventRecord {
  from: GatewayStatus | null;
  to: GatewayStatus;
  reason: string | null;
  errorClass: HealthErrorClass | null;
  occurredAt: Date;
}

export class StatusEventRepository {
  constructor(private readonly store: Store) {}

  /** Newest first; events of the same instant in reverse order of writing. */
  async history(gatewayUuid: string, limit: number): Promise<StatusEventRecord[]> {
    const rows = await this.store.db
      .selectFrom('gateway_status_events')
      .select(['from_status', 'to_status', 'reason', 'error_class', 'occurred_at'])
      .where('gateway_uuid', '=', gatewayUuid)
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      from: row.from_status as GatewayStatus | null,
      to: row.to_status as GatewayStatus,
      reason: row.reason,
      errorClass: row.error_class as HealthErrorClass | null,
      occurredAt: this.store.codec.readTime(row.occurred_at),
    }));
  }
}
