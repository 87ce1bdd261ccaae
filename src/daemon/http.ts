/** Small HTTP helpers shared by the routes: ETags, If-Match, and the per-request services. */
import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../domain/errors.js';
import type { Runtime } from '../runtime/runtime.js';
import { actorOf } from './auth.js';
import { EnvironmentService } from '../services/environments.js';
import { GatewayService } from '../services/gateways.js';

export interface RouteOptions {
  runtime: Runtime;
}

/** The ETag of a resource version: `"v3"`. */
export function etag(version: number): string {
  return `"v${version}"`;
}

/**
 * The version an `If-Match` header names: `"v3"` (or `W/"v3"`) → 3; `*` and no header →
 * undefined (any version). A header that is not one of ours is a client error.
 */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"v([1-9]\d{0,9})"\s*$/.exec(header);
  if (!match) {
    throw ValidationError.field('If-Match', `"${header.slice(0, 80)}" is not an ETag of this API`, 'send back the ETag of your last read, e.g. If-Match: "v3"');
  }
  return Number(match[1]);
}

interface Services {
  environments: EnvironmentService;
  gateways: GatewayService;
}

/** Services keep nothing of a request, so each organization's (and actor's) are built once per runtime. */
const servicesByRuntime = new WeakMap<Runtime, Map<string, Services>>();

/** The services, scoped to the organization of the request (its token's, or the default). */
export function servicesFor(runtime: Runtime, request: FastifyRequest): Services {
  let byOrganization = servicesByRuntime.get(runtime);
  if (byOrganization === undefined) servicesByRuntime.set(runtime, (byOrganization = new Map()));
  const actor = actorOf(request);
  const key = `${request.organizationId} ${actor}`;
  let services = byOrganization.get(key);
  if (services === undefined) {
    const context = runtime.context(request.organizationId, actor);
    services = { environments: new EnvironmentService(context), gateways: new GatewayService(context) };
    byOrganization.set(key, services);
  }
  return services;
}

/**
 * The first string holding a NUL character, as a path ("body.displayName"), or null. PostgreSQL
 * text cannot hold NUL, so such input is refused up front, the same way on either database.
 */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${key}`;
    const found = findNul(child, `${path}.${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
