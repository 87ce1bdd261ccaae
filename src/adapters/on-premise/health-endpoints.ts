/**
 * Where a gateway-controller serves its health probe, for an operator who knows only its
 * management URL. Current controllers serve it on a separate admin server
 * (`admin-openapi.yaml`: port 9092, `/api/admin/v1/health`, no authentication) and nothing on
 * the management port; 2026-02 controllers serve `/health` on the management port
 * (`legacy-2026-02-openapi.yaml`). So, in order:
 *
 * 1. `/api/admin/v1/health` on port 9092 of the management host;
 * 2. the same on the management port + 2 (the controller's default offset, 9090 → 9092), for
 *    controllers whose ports were moved together;
 * 3. the legacy `/health` on the management URL.
 *
 * The admin API is looked for under the management URL's own path (empty on a real
 * controller), so controllers behind a path prefix are found too.
 *
 * @example
 * healthCandidates('http://gw:9090');
 * // ['http://gw:9092/api/admin/v1/health', 'http://gw:9090/health']
 */

/** The admin server's default port. */
export const ADMIN_PORT = 9092;
/** How far the admin port sits from the management port by default (9090 → 9092). */
export const ADMIN_PORT_OFFSET = 2;
export const ADMIN_API_PREFIX = '/api/admin/v1';
export const ADMIN_HEALTH_PATH = `${ADMIN_API_PREFIX}/health`;
/** The 2026-02 controllers' health path on the management port, kept as an alias on the admin port. */
export const LEGACY_HEALTH_PATH = '/health';

/** The health URLs to try for a management URL, in the order above, each once. */
export function healthCandidates(controlPlaneUrl: string): string[] {
  const management = new URL(controlPlaneUrl);
  const path = management.pathname.replace(/\/+$/, '');
  const managementPort = Number(management.port || (management.protocol === 'https:' ? 443 : 80));
  const onPort = (port: number, suffix: string): string => {
    const url = new URL(management.toString());
    url.port = String(port);
    url.pathname = `${path}${suffix}`;
    url.search = '';
    url.hash = '';
    return url.toString();
  };
  const candidates = [onPort(ADMIN_PORT, ADMIN_HEALTH_PATH)];
  if (managementPort + ADMIN_PORT_OFFSET <= 65535) candidates.push(onPort(managementPort + ADMIN_PORT_OFFSET, ADMIN_HEALTH_PATH));
  candidates.push(onPort(managementPort, LEGACY_HEALTH_PATH));
  return [...new Set(candidates)];
}

/**
 * Whether an answer comes from a controller's health endpoint: the admin spec's HealthResponse
 * (or its ErrorResponse), a JSON object with a string `status`, whatever the HTTP status; or a
 * refusal of credentials (401/403), which only something guarding that endpoint gives. A 404, or
 * a page from something else listening on the port, is not one.
 */
export function isHealthAnswer(status: number, body: string): boolean {
  if (status === 401 || status === 403) return true;
  if (status === 404) return false;
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' && typeof (parsed as { status?: unknown }).status === 'string';
  } catch {
    return false;
  }
}

/** The admin server's root, whether adminUrl was given as it, as its API base or as a health URL. */
export function adminBaseUrl(adminUrl: string): string {
  for (const suffix of [ADMIN_HEALTH_PATH, ADMIN_API_PREFIX, LEGACY_HEALTH_PATH]) {
    if (adminUrl.endsWith(suffix)) return adminUrl.slice(0, -suffix.length);
  }
  return adminUrl;
}
