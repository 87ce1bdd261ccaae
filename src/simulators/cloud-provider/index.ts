/**
 * A cloud provider's provisioning API (docs/cloud-provisioning-openapi.yaml) over real HTTP, for
 * the cloud adapter's tests, the benchmarks and `agentgw dev cloud-sim`: OAuth2
 * client-credentials tokens, gateways that provision after a delay (or fail in chosen regions),
 * health and metrics, and knobs to expire tokens or remove gateways behind agentgw's back.
 *
 * @example
 * const gateways = await startGatewaySimulator();
 * const cloud = await startCloudSimulator({
 *   clientId: 'agentgw',
 *   clientSecret: 'a-long-secret',
 *   provisioningDelayMs: 50,
 *   managementUrlFor: (_name, id) => gateways.addGateway({ name: id }),
 * });
 * // gateway.adapter.cloud: { apiEndpoint: cloud.url, authentication: { clientId: 'agentgw', clientSecret: 'a-long-secret' } }
 * await cloud.close();
 */
export { startCloudSimulator } from './simulator.js';
export { runCloudSimulator, DEFAULT_CLOUD_SIM_PORT } from './cli.js';
export type { CloudSimCliIo, CloudSimCliOptions } from './cli.js';
export { CLOUD_SIM_STATUSES } from './types.js';
export type {
  CloudSimAutoScaling,
  CloudSimGateway,
  CloudSimMetrics,
  CloudSimStats,
  CloudSimStatus,
  CloudSimulator,
  CloudSimulatorOptions,
} from './types.js';
