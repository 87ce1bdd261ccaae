/**
 * The state of one simulated gateway: the resources it holds, its faults, its synthetic traffic
 * and what it has been asked. It owns no timer and no socket, so ten thousand of them cost a few
 * megabytes and nothing per second.
 */
import { RESOURCE_KINDS } from '../../adapters/adapter.js';
import type { ResourceKind, ResourceManifest } from '../../adapters/adapter.js';
import { collectionForKind } from './collections.js';
import { SimulatorError, applyFaultPatch } from './options.js';
import type { FaultPatch } from './options.js';
import { DEFAULT_TRAFFIC, TrafficMeter } from './traffic-meter.js';
import { validateManifest } from './validation.js';
import type { Faults, GatewayStats, GatewaySummary, SimulatedGatewayOptions, SimulatedResource, TrafficProfile } from './types.js';

export interface StoredResource {
  manifest: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** Null while the resource's deploymentState is `undeployed`. */
  deployedAt: number | null;
}

const DEFAULT_VERSION = '1.0.0';
const DEFAULT_LEGACY_VERSION = '0.9.0';
const KEPT_HEALTH_STAMPS = 1000;
const EMPTY: ReadonlyMap<string, StoredResource> = new Map();

export class SimulatedGateway {
  readonly name: string;
  readonly legacy: boolean;
  readonly version: string;
  readonly meter: TrafficMeter;
  private readonly expectedAuthorization: string | null;
  private currentFaults: Faults;
  private readonly store = new Map<ResourceKind, Map<string, StoredResource>>();
  private readonly requestCounts = new Map<string, number>();
  private totalRequests = 0;
  private healthChecks = 0;
  private healthStamps: number[] = [];
  /** Accumulates errorRate per request; a request fails each time it reaches 1. */
  private errorDebt = 0;

  constructor(options: SimulatedGatewayOptions, nowMs: number) {
    this.name = options.name;
    this.legacy = options.legacy ?? false;
    this.version = options.version ?? (this.legacy ? DEFAULT_LEGACY_VERSION : DEFAULT_VERSION);
    this.expectedAuthorization =
      options.auth === undefined ? null : Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64');
    this.currentFaults = { ...options.faults };
    this.meter = new TrafficMeter(options.traffic ?? DEFAULT_TRAFFIC, nowMs);
    for (const manifest of options.resources ?? []) this.seed(manifest, nowMs);
  }

  get faults(): Faults {
    return this.currentFaults;
  }

  get requiresAuth(): boolean {
    return this.expectedAuthorization !== null;
  }

  setFaults(patch: FaultPatch): Faults {
    this.currentFaults = applyFaultPatch(this.currentFaults, patch);
    return { ...this.currentFaults };
  }

  setTraffic(profile: TrafficProfile, nowMs: number): void {
    this.meter.setProfile(profile, nowMs);
  }

  /** True when the Authorization header carries this gateway's Basic credentials. */
  authorizes(header: string | undefined): boolean {
    if (this.expectedAuthorization === null) return true;
    if (header === undefined) return false;
    const space = header.indexOf(' ');
    return space > 0 && header.slice(0, space).toLowerCase() === 'basic' && header.slice(space + 1).trim() === this.expectedAuthorization;
  }

  /** Decides, deterministically, whether this management or health request is failed by errorRate. */
  nextRequestFails(): boolean {
    const rate = this.currentFaults.errorRate ?? 0;
    if (rate <= 0) return false;
    this.errorDebt += rate;
    // The epsilon keeps rates like 0.1 (not exact in binary) from skipping a beat after ten requests.
    if (this.errorDebt >= 1 - 1e-9) {
      this.errorDebt -= 1;
      return true;
    }
    return false;
  }

  recordRequest(method: string, path: string): void {
    this.totalRequests += 1;
    const key = `${method} ${path}`;
    this.requestCounts.set(key, (this.requestCounts.get(key) ?? 0) + 1);
  }

  recordHealthCheck(nowMs: number): void {
    this.healthChecks += 1;
    this.healthStamps.push(nowMs);
    // Trimming in batches keeps the push O(1) amortised.
    if (this.healthStamps.length >= 2 * KEPT_HEALTH_STAMPS) this.healthStamps = this.healthStamps.slice(-KEPT_HEALTH_STAMPS);
  }

  /** The resources of one kind, for reading: does not allocate a map for a kind never written. */
  peek(kind: ResourceKind): ReadonlyMap<string, StoredResource> {
    return this.store.get(kind) ?? EMPTY;
  }

  /** The resources of one kind, for writing. */
  collection(kind: ResourceKind): Map<string, StoredResource> {
    let resources = this.store.get(kind);
    if (resources === undefined) {
      resources = new Map();
      this.store.set(kind, resources);
    }
    return resources;
  }

  resources(): SimulatedResource[] {
    const out: SimulatedResource[] = [];
    for (const kind of RESOURCE_KINDS) {
      for (const [name, stored] of this.store.get(kind) ?? []) {
        out.push({ kind, name, manifest: structuredClone(stored.manifest) as unknown as ResourceManifest });
      }
    }
    return out;
  }

  stats(): GatewayStats {
    return {
      totalRequests: this.totalRequests,
      requests: Object.fromEntries(this.requestCounts),
      healthChecks: this.healthChecks,
      healthCheckTimestamps: this.healthStamps.slice(-KEPT_HEALTH_STAMPS),
    };
  }

  summary(url: string, adminUrl: string): GatewaySummary {
    return {
      name: this.name,
      url,
      adminUrl,
      legacy: this.legacy,
      version: this.version,
      auth: this.requiresAuth,
      faults: { ...this.currentFaults },
      traffic: { ...this.meter.profile },
    };
  }

  private seed(manifest: unknown, nowMs: number): void {
    const kind = (manifest as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !(RESOURCE_KINDS as readonly string[]).includes(kind)) {
      throw new SimulatorError(400, `gateway ${this.name}: initial resource has no known kind (${JSON.stringify(kind)})`);
    }
    const resourceKind = kind as ResourceKind;
    const issues = validateManifest(manifest, resourceKind, this.legacy);
    if (issues.length > 0) {
      const detail = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      throw new SimulatorError(400, `gateway ${this.name}: invalid initial ${kind}: ${detail}`);
    }
    const copy = structuredClone(manifest) as Record<string, unknown>;
    delete copy.status;
    const name = (copy.metadata as { name: string }).name;
    const resources = this.collection(resourceKind);
    if (resources.has(name)) {
      throw new SimulatorError(409, `gateway ${this.name}: ${collectionForKind(resourceKind).label} '${name}' is given twice`);
    }
    resources.set(name, { manifest: copy, createdAt: nowMs, updatedAt: nowMs, deployedAt: isUndeployed(copy) ? null : nowMs });
  }
}

export function isUndeployed(manifest: Record<string, unknown>): boolean {
  const spec = manifest.spec as { deploymentState?: unknown } | undefined;
  return spec?.deploymentState === 'undeployed';
}
