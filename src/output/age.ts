/**
 * Times as a person reads them, one convention everywhere: a table shows an age ("12s", "3m",
 * "2h", "4d", as kubectl's AGE), a detail view the time and its age
 * ("2026-12-07 06:18 UTC (5m ago)").
 */

/** How long ago `since` was: "12s", "3m", "2h", "4d"; "-" when it never happened. */
export function age(since: Date | string | null, now: Date = new Date()): string {
  if (since === null) return '-';
  return span(Math.max(0, now.getTime() - new Date(since).getTime()));
}

/** How long until `at`: "in 29d", or its age ("3m ago") once it has passed; "never" for null. */
export function until(at: Date | string | null, now: Date = new Date()): string {
  if (at === null) return 'never';
  const ms = new Date(at).getTime() - now.getTime();
  return ms >= 0 ? `in ${span(ms)}` : `${span(-ms)} ago`;
}

/** "2026-12-07 06:18 UTC (5m ago)" (or "(in 3d)" for a time still to come); "-" for null. */
export function when(at: Date | string | null, now: Date = new Date()): string {
  if (at === null) return '-';
  const date = new Date(at);
  const ms = date.getTime() - now.getTime();
  // A time a few seconds ahead is this machine's clock against the database's: it is "now".
  const relative = ms > 1000 ? `in ${span(ms)}` : `${span(Math.max(0, -ms))} ago`;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC (${relative})`;
}

function span(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
