/** "12s", "3m", "2h", "4d": how long ago, for status ages and "updated N ago". */
export function age(since: Date | string | null, now: Date = new Date()): string {
  if (since === null) return '-';
  const ms = Math.max(0, now.getTime() - new Date(since).getTime());
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/**
 * A status with its age, so stale data is visible: ACTIVE shows how fresh the last check is,
 * every other status how long it has lasted.
 */
export function statusWithAge(gateway: { status: string; statusChangedAt: string; lastCheckedAt: string | null }, now: Date = new Date()): string {
  if (gateway.status === 'ACTIVE') return `ACTIVE ${age(gateway.lastCheckedAt ?? gateway.statusChangedAt, now)}`;
  return `${gateway.status} since ${age(gateway.statusChangedAt, now)}`;
}
