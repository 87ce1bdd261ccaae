/** Revision history, rollbacks and progressive rollouts, as clients see them. */
import type { ResourceKind } from './resource-kinds.js';

export interface ResourceRevision {
  revision: number;
  createdAt: string;
  /** Who applied it (`token:NAME`, `local:USER`), when known. */
  actor: string | null;
  specDigest: string;
  /** Whether its secret values are kept, so that it can be deployed again. */
  deployable: boolean;
  /** What changed from the revision before, as `-`/`+` lines of the manifests (secret values never appear). */
  diff: string[];
}

export interface ResourceHistory {
  resource: { uuid: string; kind: ResourceKind; name: string; revision: number };
  revisions: ResourceRevision[];
}

export interface RollbackRequest {
  resource: string;
  environment?: string;
  gateway?: string;
  /** The revision to go back to; by default the one before the latest. */
  toRevision?: number;
  concurrency?: number;
}

export type RolloutState = 'running' | 'paused' | 'succeeded' | 'failed' | 'rolled_back' | 'aborted';
export const ROLLOUT_STATES: readonly RolloutState[] = ['running', 'paused', 'succeeded', 'failed', 'rolled_back', 'aborted'];
export const FINISHED_STATES: readonly RolloutState[] = ['succeeded', 'failed', 'rolled_back', 'aborted'];

export interface RolloutRequest {
  resource: string;
  environment?: string;
  gateway?: string;
  strategy?: 'canary' | 'all';
  /** Cumulative wave sizes: a count (`1`) or a share of the gateways (`25%`); the last must reach them all. */
  steps: string[];
  /** Milliseconds to wait after each wave before its gates are evaluated. */
  pauseMs?: number;
  /** `health=ACTIVE`, `errorRate<1%`, `averageLatency<250ms`, `p99Latency<800ms`. */
  gates?: string[];
  /** Leave the completed waves on the new revision when a gate fails. */
  noRollback?: boolean;
  concurrency?: number;
}

export interface GateResult {
  gate: string;
  gateway: string;
  passed: boolean;
  /** What was measured (`12.5%`, `INACTIVE`), or null when nothing could be. */
  measured: string | null;
  detail: string | null;
}

export interface RolloutWave {
  index: number;
  gateways: string[];
  /** `pending` → `deployed` (pausing) → `passed` | `failed`. */
  status: 'pending' | 'deployed' | 'passed' | 'failed';
  deployedAt: string | null;
  pauseUntil: string | null;
  failures: string[];
  gates: GateResult[];
}

export interface Rollout {
  uuid: string;
  resource: { uuid: string; kind: ResourceKind; name: string };
  revision: number;
  target: { environment: string } | { gateway: string };
  state: RolloutState;
  currentWave: number;
  steps: string[];
  pauseMs: number;
  gates: string[];
  rollback: boolean;
  waves: RolloutWave[];
  /** Why it stopped, naming gateways, gate and measured value. */
  message: string | null;
  actor: string | null;
  createdAt: string;
  updatedAt: string;
}
