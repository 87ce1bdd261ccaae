/**
 * Bearer-token authentication and organization scoping. Each route names the scope it needs in
 * its `config.scope` (read for GET, write for changes, `public` for probes); when authentication
 * is on, a request without a valid token gets 401, one whose token's scope is too low 403. The
 * token's organization becomes the request's: services are built per request for it, so a token
 * of one organization cannot see another's resources.
 *
 * Authentication is on when `server.auth.required` is set, and the daemon refuses to listen
 * beyond loopback without it (see `assertSafeBind`).
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError, ForbiddenError, UsageError } from '../domain/errors.js';
import { scopeAllows, type TokenScope, type TokenVerifier, type VerifiedToken } from '../services/tokens.js';

export type RouteScope = TokenScope | 'public';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organization the request acts for: the token's, or the default one without auth. */
    organizationId: string;
    /** The verified token, or null when authentication is off or the route is public. */
    principal: VerifiedToken | null;
  }
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
}

export interface AuthOptions {
  required: boolean;
  verifier: TokenVerifier;
  defaultOrganizationId: string;
}

/** 127.0.0.0/8, ::1, an IPv4-mapped loopback, or "localhost". */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) {
    const lower = bare.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}

/** Refuses a bind beyond loopback unless every request must authenticate. */
export function assertSafeBind(host: string, authRequired: boolean): void {
  if (isLoopback(host) || authRequired) return;
  throw new UsageError(`refusing to listen on ${host} without authentication: anyone who can reach it could manage your gateways`, {
    hint: 'set server.auth.required: true (and create tokens with: agentgw token create NAME), or listen on 127.0.0.1',
  });
}

export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('organizationId', options.defaultOrganizationId);
  app.decorateRequest('principal', null);
  // Without authentication every request is the default organization's: no hook at all.
  if (!options.required) return;
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    // Routes without a scope are Fastify's not-found handler: nothing to protect.
    if (scope === undefined || scope === 'public') return;
    const token = bearerToken(request);
    if (token === null) {
      throw new AuthenticationError('authentication required: send an API token as "Authorization: Bearer <token>"', {
        hint: 'create one with: agentgw token create NAME, then pass --token or set AGENTGW_TOKEN',
      });
    }
    const principal = await options.verifier.verify(token);
    if (principal === null) {
      throw new AuthenticationError('the API token is invalid, expired or revoked', {
        hint: 'list tokens with: agentgw token list, and create a new one with: agentgw token create NAME',
      });
    }
    const granted = principal.scopes.at(-1) ?? 'read';
    if (!scopeAllows(granted, scope)) {
      throw new ForbiddenError(`token "${principal.name}" has the ${granted} scope; ${request.method} ${request.routeOptions.url} needs ${scope}`, {
        hint: `create a token with: agentgw token create NAME --scope ${scope}`,
      });
    }
    request.principal = principal;
    request.organizationId = principal.organizationId;
  });
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** Who a request acts for, as the event log records it: its token's name, or `anonymous` without auth. */
export function actorOf(request: FastifyRequest): string {
  return request.principal?.name ?? 'anonymous';
}
