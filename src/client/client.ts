/**
 * What commands and the dashboard talk to. Two implementations: LocalClient runs the services
 * in this process against the database; RemoteClient calls a daemon over HTTP. Commands never
 * know which one they hold, so both modes print the same output and fail the same way.
 */
import type {
  Environment,
  Gateway,
  GatewayFilter,
  GatewayHealth,
  GatewayMetricsReport,
  Page,
} from '../domain/types.js';
import type { CreateEnvironmentInput, UpdateEnvironmentInput } from '../services/environments.js';
import type { RegisterGatewayInput, UpdateGatewayInput } from '../services/gateways.js';

export type { CreateEnvironmentInput, UpdateEnvironmentInput, RegisterGatewayInput, UpdateGatewayInput };

export interface ClientDescription {
  mode: 'local' | 'remote';
  /** The database (local) or the daemon URL (remote), without secrets. */
  target: string;
  /** The active adapter type, when known. */
  adapter: string | null;
}

export interface WriteOptions {
  ifVersion?: number;
}

export interface EnvironmentsApi {
  create(input: CreateEnvironmentInput): Promise<Environment>;
  list(): Promise<Environment[]>;
  get(ref: string): Promise<Environment>;
  update(ref: string, input: UpdateEnvironmentInput, options?: WriteOptions): Promise<Environment>;
  delete(ref: string, options?: WriteOptions & { force?: boolean }): Promise<void>;
  gateways(ref: string): Promise<Gateway[]>;
}

export interface GatewaysApi {
  register(input: RegisterGatewayInput): Promise<Gateway>;
  list(filter?: GatewayFilter): Promise<Gateway[]>;
  listPage(filter: GatewayFilter, page: { limit?: number; cursor?: string }): Promise<Page<Gateway>>;
  get(ref: string): Promise<Gateway>;
  update(ref: string, input: UpdateGatewayInput, options?: WriteOptions): Promise<Gateway>;
  delete(ref: string, options?: WriteOptions): Promise<void>;
  health(ref: string): Promise<GatewayHealth>;
  metrics(ref: string): Promise<GatewayMetricsReport>;
  environments(ref: string): Promise<Environment[]>;
  addEnvironment(ref: string, environmentRef: string): Promise<void>;
  removeEnvironment(ref: string, environmentRef: string): Promise<void>;
}

export interface Client {
  describe(): ClientDescription;
  environments: EnvironmentsApi;
  gateways: GatewaysApi;
  close(): Promise<void>;
}
