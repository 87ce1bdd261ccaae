/**
 * A WSO2 gateway-controller simulator over real HTTP: the management API (current and 2026-02
 * shapes), the health endpoints, the policy engine's Prometheus metrics, fault knobs, and a
 * `/__sim/` control API for other processes. One process, one port, up to tens of thousands of
 * gateways addressed by path (`/gateways/NAME`), or one gateway at `/` in single mode.
 *
 * @example
 * const sim = await startGatewaySimulator({ gateways: [{ name: 'edge-1', auth: { username: 'admin', password: 'admin' } }] });
 * const controlPlaneUrl = sim.urlOf('edge-1'); // http://127.0.0.1:PORT/gateways/edge-1
 * sim.setFaults('edge-1', { latencyMs: 200, errorRate: 0.1 });
 * await sim.close();
 */
export { startGatewaySimulator } from './simulator.js';
export { runGatewaySimulator, DEFAULT_SIM_PORT } from './cli.js';
export type { GatewaySimCliIo, GatewaySimCliOptions } from './cli.js';
export { SimulatorError } from './options.js';
export { DEFAULT_TRAFFIC } from './traffic-meter.js';
export type {
  BasicCredentials,
  Faults,
  GatewaySimulator,
  GatewaySimulatorOptions,
  GatewayStats,
  GatewaySummary,
  SimulatedGatewayOptions,
  SimulatedResource,
  SimulatorMode,
  TrafficProfile,
} from './types.js';
