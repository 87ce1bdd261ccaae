/**
 * DNS rebinding. With authentication off, any web page a user opens can make their browser send
 * requests to the daemon: a page at attacker.example whose name is then made to resolve to
 * 127.0.0.1 is, to the browser, its own origin. Such a request still names attacker.example in
 * its Host header, and a request from another site's page carries that site in its Origin:
 * both are refused (403, connection closed). Loopback names and addresses, the address the
 * daemon is bound to and `server.allowedHosts` (the name a proxy forwards under) pass.
 *
 * With authentication on, nothing is registered: a browser never adds a bearer token by itself.
 */
import type { FastifyInstance } from 'fastify';
import ipaddr from 'ipaddr.js';
import { AgentgwError } from '../domain/errors.js';

export interface HostCheckOptions {
  /** The address the daemon listens on. */
  boundHost: string;
  /** Lower-case host names besides loopback ones (server.allowedHosts). */
  allowedHosts: readonly string[];
}

/** A Host header: a name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const HOST_HEADER = /^(?:\[[0-9a-fA-F:.]+\]|[^\s/?#@[\]:\\]+)(?::\d{1,5})?$/;

export function registerHostCheck(app: FastifyInstance, options: HostCheckOptions): void {
  const allowed = new Set([...options.allowedHosts, bare(options.boundHost.toLowerCase())]);
  const isAllowed = (hostname: string) => isLoopbackHost(hostname) || allowed.has(bare(hostname));
  app.addHook('onRequest', (request, _reply, done) => {
    const host = hostnameOf(request.headers.host);
    if (host === null || !isAllowed(host)) {
      done(
        refused(
          request.headers.host === undefined
            ? 'a request without a Host header is refused while authentication is off'
            : `Host "${request.headers.host.slice(0, 100)}" is not a name of this daemon: while authentication is off it answers loopback names (localhost, 127.0.0.1, [::1]) and server.allowedHosts only`,
        ),
      );
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !sameSite(origin, host)) {
      done(refused(`a request from another site (Origin ${origin.slice(0, 100)}) is refused while authentication is off`));
      return;
    }
    done();
  });
}

/** The lower-case host name of a Host header (IPv6 in brackets, no trailing dot), or null. */
export function hostnameOf(header: string | undefined): string | null {
  if (header === undefined || !HOST_HEADER.test(header)) return null;
  try {
    return new URL(`http://${header}`).hostname.replace(/\.$/, '');
  } catch {
    return null;
  }
}

/**
 * Whether an Origin header names the site the request was sent to: the same host (the port is
 * not part of a site). "null" (a sandboxed frame, a file) is no site.
 */
function sameSite(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.replace(/\.$/, '') === host;
  } catch {
    return false;
  }
}

/** localhost, or an address in 127.0.0.0/8 or ::1, however written (::ffff:7f00:1 included). */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost') return true;
  const address = bare(hostname);
  return ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback';
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

function refused(message: string): AgentgwError {
  return new AgentgwError('AGW_HOST_NOT_ALLOWED', message, {
    hint: 'reach the daemon as http://127.0.0.1:PORT; behind a proxy, list its host name in server.allowedHosts (or turn on server.auth.required)',
  });
}
