/**
 * A gateway's status history: every transition the health monitor, an on-demand check or
 * registration stored, newest first (`GET /api/v1/gateways/{id}/health/history`).
 */
import { ValidationError } from '../domain/errors.js';
import type { GatewayStatus, HealthErrorClass } from '../domain/types.js';
import { StatusEventRepository } from '../store/repositories/status-events.js';
import type { ServiceContext } from './context.js';
import { GatewayService } from './gateways.js';

export interface GatewayStatusEvent {
  /** null for the first status, given at registration. */
  from: GatewayStatus | null;
  to: GatewayStatus;
  reason: string | null;
  errorClass: HealthErrorClass | null;
  occurredAt: string;
}

export interface GatewayHealthHistory {
  events: GatewayStatusEvent[];
}

export interface HealthHistoryOptions {
  /** Most events returned, 1 to 1000; default 100. */
  limit?: number;
}

export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 1000;

export class HealthHistoryService {
  private readonly events: StatusEventRepository;

  constructor(private readonly context: ServiceContext) {
    this.events = new StatusEventRepository(context.store);
  }

  async history(ref: string, options: HealthHistoryOptions = {}): Promise<GatewayHealthHistory> {
    const limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw ValidationError.field('limit', `must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
    }
    // Resolves the name in the caller's organization, with the usual not-found error.
    const gateway = await new GatewayService(this.context).require(ref);
    const events = await this.events.history(gateway.uuid, limit);
    return {
      events: events.map((event) => ({
        from: event.from,
        to: event.to,
        reason: event.reason,
        errorClass: event.errorClass,
        occurredAt: event.occurredAt.toISOString(),
      })),
    };
  }
}
