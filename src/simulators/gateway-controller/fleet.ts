/**
 * The gateways one simulator process serves, by name. Every request does one Map lookup here,
 * which is what lets a single port carry ten thousand gateways.
 */
import { SimulatorError, parseFaultPatch, parseGatewayOptions, parseTraffic } from './options.js';
import { SimulatedGateway } from './simulated-gateway.js';
import type { Faults, GatewaySummary, SimulatorMode, TrafficProfile } from './types.js';

/** Path prefix of a gateway in fleet mode: `/gateways/NAME/...`. */
export const FLEET_PREFIX = '/gateways/';

/** The name of the gateway a single-mode simulator creates when it is given none. */
export const DEFAULT_SINGLE_NAME = 'gw-1';

export class Fleet {
  private readonly byName = new Map<string, SimulatedGateway>();
  /** Set once the listeners listen; URLs are only handed out after that. */
  baseUrl = '';
  adminBaseUrl = '';

  constructor(
    readonly mode: SimulatorMode,
    readonly clock: () => number,
  ) {}

  get size(): number {
    return this.byName.size;
  }

  /** `input` is checked at runtime: it may come straight from a JSON body. */
  add(input: unknown): SimulatedGateway {
    const options = parseGatewayOptions(input);
    if (this.byName.has(options.name)) throw new SimulatorError(409, `a simulated gateway named ${options.name} already exists`);
    if (this.mode === 'single' && this.byName.size > 0) {
      throw new SimulatorError(409, 'a single-mode simulator serves exactly one gateway; remove it first');
    }
    const gateway = new SimulatedGateway(options, this.clock());
    this.byName.set(gateway.name, gateway);
    return gateway;
  }

  remove(name: string): boolean {
    return this.byName.delete(name);
  }

  get(name: string): SimulatedGateway | undefined {
    return this.byName.get(name);
  }

  require(name: string): SimulatedGateway {
    const gateway = this.byName.get(name);
    if (gateway === undefined) throw new SimulatorError(404, `no simulated gateway named ${JSON.stringify(name)}`);
    return gateway;
  }

  /** The gateway served at `/` in single mode. */
  single(): SimulatedGateway | undefined {
    for (const gateway of this.byName.values()) return gateway;
    return undefined;
  }

  /** The gateway's management URL: what an operator registers it with. */
  urlOf(name: string): string {
    this.require(name);
    return this.mode === 'single' ? this.baseUrl : `${this.baseUrl}${FLEET_PREFIX}${name}`;
  }

  /** The gateway's admin URL: the same path as its management URL, on the admin listener. */
  adminUrlOf(name: string): string {
    this.require(name);
    return this.mode === 'single' ? this.adminBaseUrl : `${this.adminBaseUrl}${FLEET_PREFIX}${name}`;
  }

  /** `patch` is checked at runtime: it may come straight from a JSON body. */
  setFaults(name: string, patch: unknown): Faults {
    const gateway = this.require(name);
    return gateway.setFaults(parseFaultPatch(patch));
  }

  setTraffic(name: string, profile: unknown): TrafficProfile {
    const gateway = this.require(name);
    const parsed = parseTraffic(profile);
    gateway.setTraffic(parsed, this.clock());
    return parsed;
  }

  summaries(): GatewaySummary[] {
    return [...this.byName.values()].map((g) => g.summary(this.urlOf(g.name), this.adminUrlOf(g.name)));
  }
}
