/**
 * What every service needs, built once per process (or per request, for the organization):
 * the store, the one active adapter, the secret box, a clock, the health thresholds and the input limits.
 */
import type { AdapterLogger, GatewayAdapter } from '../adapters/adapter.js';
import type { ObjectLimits } from '../domain/validation.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Store } from '../store/database.js';
import type { HealthThresholds } from './health-state.js';

export interface ServiceDependencies {
  store: Store;
  adapter: GatewayAdapter;
  /** Resolves the encryption key on first use: most calls never need it. */
  secrets: () => SecretBox;
  clock: () => Date;
  health: HealthThresholds & { timeoutMs: number };
  /** How large and deep the free-form objects a client stores (metadata, adapterConfig) may be. */
  limits: ObjectLimits;
  logger: AdapterLogger;
  /**
   * Why the egress policy refuses a URL agentgw would call on its own (a webhook's), or null. Asked
   * when the URL is given, so a refused one is a clear 400 rather than a delivery that never goes;
   * the sender checks every address again when it connects. Absent: checked at delivery only.
   */
  refusedDestination?: (url: string) => Promise<string | null>;
}

export interface ServiceContext extends ServiceDependencies {
  organizationId: string;
  /** Who makes the changes, as the event log, revisions and rollouts record it: a token's name, or `local:<os user>`. */
  actor: string;
}
