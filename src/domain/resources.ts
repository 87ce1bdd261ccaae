/**
 * The REST resources of resources and deployments (DESIGN §5). The CLI's `-o json` prints
 * exactly these, and both clients return them.
 */
import type { ResourceKind } from './resource-kinds.js';
import type { GatewayStatus, GatewayType } from './types.js';

export const DEPLOYMENT_STATUSES = ['PENDING', 'DEPLOYED', 'FAILED', 'UNDEPLOYING', 'UNDEPLOYED'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** The last operation asked of a deployment: put the resource on the gateway, or take it off. */
export type DeploymentOperation = 'deploy' | 'undeploy';

/** AI resources go to EGRESS gateways, REST APIs to INGRESS ones, Secrets to either (null). */
export function gatewayTypeFor(kind: ResourceKind): GatewayType | null {
  if (kind === 'Secret') return null;
  return kind === 'RestApi' ? 'INGRESS' : 'EGRESS';
}

export interface Resource {
  uuid: string;
  kind: ResourceKind;
  name: string;
  apiVersion: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  /** 1 on the first apply; each apply with a changed manifest adds one. */
  revision: number;
  specDigest: string;
  createdAt: string;
  updatedAt: string;
}

/** What `apply` did with one manifest. */
export interface AppliedResource extends Resource {
  action: 'created' | 'updated' | 'unchanged';
}

export interface ResourceRef {
  uuid: string;
  kind: ResourceKind;
  name: string;
}

export interface GatewayRef {
  uuid: string;
  name: string;
}

export interface Deployment {
  uuid: string;
  /** `Kind/name@gateway`, for `-o name` and for people. */
  name: string;
  resource: ResourceRef & { revision: number };
  gateway: GatewayRef;
  status: DeploymentStatus;
  operation: DeploymentOperation;
  /** The revision the last operation was about. */
  revision: number;
  /** The revision last confirmed on the gateway; null when it holds none (or it is not known). */
  deployedRevision: number | null;
  errorMessage: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentFilter {
  /** An environment's name or uuid: deployments on its gateways. */
  environment?: string;
  gateway?: string;
  /** `Kind/name`, a unique name, or a uuid. */
  resource?: string;
}

export interface DeployRequest {
  /** `Kind/name`, a unique name, or a uuid. */
  resource: string;
  environment?: string;
  gateway?: string;
  dryRun?: boolean;
  /** How many gateways are called at once. */
  concurrency?: number;
}

export type UndeployRequest = DeployRequest;

/**
 * What happened (or, in a dry run, would happen) on one gateway: `create`/`update` call the
 * gateway, `no-op` found it already holding this revision, `skip` left it alone (wrong gateway
 * type), `remove` is an undeploy.
 */
export type TargetAction = 'create' | 'update' | 'no-op' | 'skip' | 'remove';

export interface TargetResult {
  gateway: string;
  gatewayId: string;
  action: TargetAction;
  /** The deployment's status afterwards (in a dry run, now); null when there is no row. */
  status: DeploymentStatus | null;
  revision: number;
  /** Dry run: whether the gateway answered. */
  reachable?: boolean;
  ok: boolean;
  error: string | null;
  /** Why nothing was done, or what was found (e.g. "already at revision 3"). */
  detail: string | null;
  /** The gateway was not called: the command was interrupted first (its row is as it was). */
  interrupted?: true;
}

export interface DeployReport {
  resource: ResourceRef & { revision: number };
  target: { environment?: string; gateway?: string };
  operation: DeploymentOperation;
  dryRun: boolean;
  concurrency: number;
  results: TargetResult[];
  summary: { total: number; changed: number; unchanged: number; skipped: number; failed: number };
  /** Set when the command was interrupted before it called every gateway. */
  interrupted?: true;
}

export interface MatrixCell {
  status: DeploymentStatus;
  revision: number;
  deployedRevision: number | null;
  /** The gateway holds the resource's latest revision. */
  current: boolean;
}

export interface DeploymentMatrix {
  environment: { uuid: string; name: string };
  gateways: Array<GatewayRef & { type: GatewayType; status: GatewayStatus }>;
  /** One row per resource with a deployment on any of the gateways; cells by gateway name. */
  resources: Array<ResourceRef & { revision: number; cells: Record<string, MatrixCell | null> }>;
}

/**
 * `missing`: the control plane wants it there, the gateway does not hold it. `unexpected`: the
 * gateway holds it, the control plane does not want it there. `outdated`: it holds an older
 * revision. `modified`: it holds a spec matching no revision. `unreachable`: the gateway could
 * not be listed, so nothing is known.
 */
export type DriftKind = 'missing' | 'unexpected' | 'outdated' | 'modified' | 'unreachable';

export interface DriftItem {
  gateway: string;
  gatewayId: string;
  drift: DriftKind;
  kind: ResourceKind | null;
  name: string | null;
  /** The latest revision (what the control plane wants), when the resource is known. */
  expectedRevision: number | null;
  /** The revision the gateway holds, when it matches one. */
  actualRevision: number | null;
  detail: string;
}

export interface DriftReport {
  environment: { uuid: string; name: string };
  inSync: boolean;
  gatewaysChecked: number;
  items: DriftItem[];
  summary: Record<DriftKind, number>;
}
