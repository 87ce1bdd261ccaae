/**
 * The keep-alive agents behind the HTTP client, with the egress policy at the socket layer:
 * the last point before a SYN is sent. Whatever produced the request (the client, a redirect the
 * caller chose to follow, plain `http.get`), an address the policy refuses is never dialled.
 *
 * - IP literals are judged in `createConnection` (Node skips `lookup` for them).
 * - Hostnames are resolved by a lookup that drops refused addresses, so the policy sees the
 *   addresses actually connected to, at connect time: DNS rebinding cannot slip past a check
 *   made earlier.
 *
 * @example
 * const agents = createGuardedAgents(createEgressPolicy(settings.network));
 * http.get('http://169.254.169.254/', { agent: agents.http }).on('error', (e) => e.code); // 'ERR_EGRESS_BLOCKED'
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

import { EgressBlockedError } from './egress-policy.js';
import type { EgressPolicy } from './egress-policy.js';
import { createGuardedLookup, type Lookup, type Resolver } from './guarded-lookup.js';

export type { Resolver } from './guarded-lookup.js';

/**
 * Per origin (host:port). A simulator hosting many gateways on one port, checked at concurrency
 * 100, must never queue behind a socket limit; the cap only stops a runaway from exhausting
 * file descriptors.
 */
export const MAX_SOCKETS_PER_ORIGIN = 1024;
const MAX_IDLE_SOCKETS_PER_ORIGIN = 256;

function guard<T extends http.Agent>(agent: T, policy: EgressPolicy, lookup: Lookup): T {
  const create = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const host = options.host ?? options.hostname ?? 'localhost';
    if (net.isIP(host) !== 0) {
      const verdict = policy.checkAddress(host);
      if (!verdict.allowed) {
        // A socket that was never connected, failing on the next tick: the request reports the
        // error through its usual path and no packet leaves the machine.
        const socket = new net.Socket();
        process.nextTick(() => socket.destroy(new EgressBlockedError(verdict.reason)));
        return socket;
      }
    }
    return create({ ...options, lookup }, callback);
  };
  return agent;
}

/** One keep-alive agent per scheme; `destroy()` both when done. */
export function createGuardedAgents(policy: EgressPolicy, resolve?: Resolver): { http: http.Agent; https: https.Agent } {
  const lookup = createGuardedLookup(policy, resolve);
  const options = {
    keepAlive: true,
    maxSockets: MAX_SOCKETS_PER_ORIGIN,
    maxFreeSockets: MAX_IDLE_SOCKETS_PER_ORIGIN,
    // Reusing the most recently used socket lets the others idle out instead of all going stale.
    scheduling: 'lifo' as const,
  };
  return {
    http: guard(new http.Agent(options), policy, lookup),
    https: guard(new https.Agent(options), policy, lookup),
  };
}
