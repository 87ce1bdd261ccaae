/**
 * Who is working on an in-flight deployment row, and whether that worker is gone: a row names
 * its process (host, pid, per-process id) and is trusted for a lease, so a crash is noticed.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DeploymentRow } from '../../store/repositories/deployments.js';

/**
 * How long an in-flight row of a process on another machine is trusted to be in progress. Longer
 * than any one gateway call can take with its timeout and retries.
 */
export const DEPLOY_LEASE_MS = 10 * 60_000;

let ownAttemptOwner: string | undefined;

/**
 * This process, as written in attempt_owner: host, pid and a per-process id (pids get reused).
 * Made on first use: a command that deploys nothing does not load node:crypto for it.
 */
export function attemptOwner(): string {
  return (ownAttemptOwner ??= `${hostname()}/${process.pid}/${randomUUID()}`);
}


/**
 * Whether an in-flight row's process is gone: its lease lapsed, or it ran on this host and its
 * process no longer exists (or had our pid: we are its successor).
 */
export function isAbandoned(row: DeploymentRow, now: Date): boolean {
  return ownerGone(row.attemptOwner, row.updatedAt, now);
}

/** Whether the process an owner string names (see attemptOwner) is gone, or its lease since `touched` lapsed. */
export function ownerGone(owner: string | null, touched: Date, now: Date): boolean {
  if (now.getTime() - touched.getTime() > DEPLOY_LEASE_MS) return true;
  if (owner === null) return true;
  if (owner === attemptOwner()) return false;
  const parts = owner.split('/');
  const pid = Number(parts.at(-2));
  if (parts.slice(0, -2).join('/') !== hostname()) return false;
  if (pid === process.pid) return true;
  return !processAlive(pid);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A row some live process is working on right now (its gateway call may still land). */
export function inProgress(row: DeploymentRow, now: Date): boolean {
  if (row.status !== 'PENDING' && row.status !== 'UNDEPLOYING') return false;
  return !isAbandoned(row, now);
}
