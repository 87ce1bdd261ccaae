/**
 * The one check of "an http(s) URL": a gateway's URL, a manifest's upstream URL, a configured
 * daemon or cloud endpoint, a URL a cloud provider answers with. Each caller decides only how
 * strict it is (credentials, query) and where the reason goes; the reasons are worded once,
 * to follow a field path ("spec.upstream.url: must be an http:// or https:// URL with a host").
 */

export interface HttpUrlRules {
  /** Refuse `user:password@` (gateway URLs: credentials belong in the encrypted fields). */
  noCredentials?: boolean;
  /** Refuse `?query` and `#fragment`. */
  noQuery?: boolean;
  /** Refuse a URL longer than this many characters. */
  maxLength?: number;
}

/** What a config value or a provider's answer was expected to be. */
export const HTTP_URL_EXPECTED = 'an http:// or https:// URL';

/** Why `value` is not an http(s) URL with a host under `rules`, or null when it is one. */
export function httpUrlProblem(value: string, rules: HttpUrlRules = {}): string | null {
  if (rules.maxLength !== undefined && value.length > rules.maxLength) return `must be at most ${rules.maxLength} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // An unparseable URL may still carry a password: never repeat one. It runs from the user
    // name's first ':' to the last '@', whatever it holds ('@', '/', a pasted newline).
    return `"${value.replace(/\/\/([^/:]*):.*@/s, '//$1:***@')}" is not a valid URL (expected e.g. http://gateway.internal:9090)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme "${url.protocol.slice(0, -1)}" is not allowed; use http or https`;
  // WHATWG parsing gives every http(s) URL a host; this guards the rule, should that change.
  if (url.hostname === '') return `must be ${HTTP_URL_EXPECTED} with a host`;
  if (rules.noCredentials === true && (url.username !== '' || url.password !== '')) {
    return 'must not contain credentials; pass them as username/password instead';
  }
  if (rules.noQuery === true && (url.hash !== '' || url.search !== '')) return 'must not have a query or fragment';
  return null;
}

/** Whether `value` is an http(s) URL with a host (no other rules). */
export function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && httpUrlProblem(value) === null;
}
