/**
 * What the dashboard shows of the fleet it last fetched: filtered by environment, type and the
 * `/` text, sorted by name, counted by status. Pure functions of the data and the view's state.
 */
import { GATEWAY_STATUSES, type EnvironmentSummary, type Gateway, type GatewayStatus, type GatewayType } from '../domain/types.js';

export interface GatewaySelection {
  environment: EnvironmentSummary | null;
  type: GatewayType | null;
  /** Case-insensitive text matched against name, display name and environment names. */
  text: string;
}

export function selectGateways(gateways: Gateway[], selection: GatewaySelection): Gateway[] {
  const needle = selection.text.trim().toLowerCase();
  return gateways
    .filter((g) => selection.environment === null || g.environments.some((e) => e.uuid === selection.environment!.uuid))
    .filter((g) => selection.type === null || g.type === selection.type)
    .filter(
      (g) =>
        needle === '' ||
        g.name.toLowerCase().includes(needle) ||
        g.displayName.toLowerCase().includes(needle) ||
        g.environments.some((e) => e.name.toLowerCase().includes(needle)),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function countByStatus(gateways: Gateway[]): Record<GatewayStatus, number> {
  const counts = Object.fromEntries(GATEWAY_STATUSES.map((s) => [s, 0])) as Record<GatewayStatus, number>;
  for (const gateway of gateways) counts[gateway.status] += 1;
  return counts;
}

/** `t`: all types, then each type in turn. */
export function nextType(current: GatewayType | null): GatewayType | null {
  if (current === null) return 'EGRESS';
  if (current === 'EGRESS') return 'INGRESS';
  return null;
}

/** The first row index of a window of `size` rows that keeps `selected` in view, moving as little as possible. */
export function scrollWindow(previousTop: number, selected: number, size: number, total: number): number {
  if (size <= 0) return 0;
  let top = Math.min(previousTop, Math.max(0, total - size));
  if (selected < top) top = selected;
  if (selected >= top + size) top = selected - size + 1;
  return Math.max(0, top);
}

/** An index moved by `delta`, kept within `[0, length)`. */
export function moveIndex(index: number, delta: number, length: number): number {
  if (length === 0) return 0;
  return Math.min(length - 1, Math.max(0, index + delta));
}
