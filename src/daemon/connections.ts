/**
 * The daemon's cap on open connections. Every connection holds a file handle until it closes;
 * hundreds of clients that connect and then send nothing, or trickle their request, used to
 * exhaust the process's handles, after which nobody was served. The timeouts
 * (server.headersTimeout, requestTimeout, keepAliveTimeout) end such connections eventually; the
 * cap bounds how many there can be meanwhile.
 *
 * At the cap, a new connection is not simply refused, which would hand the daemon to whoever
 * holds the most connections: the connection that has waited longest without being served — an
 * idle keep-alive connection, or one whose request has not fully arrived — is closed to make
 * room. Only when every connection is being served (its request in, its answer not yet sent) is
 * the newcomer closed instead.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionCapOptions {
  max: number;
  /** Called for each connection closed to keep to the cap. */
  onShed?: (kind: 'waiting' | 'newcomer') => void;
}

interface Tracked {
  /** Since when it has waited: for its request's first byte, or for the rest of its request. */
  since: number;
  /** The request being answered, or null between requests. */
  request: IncomingMessage | null;
}

export interface ConnectionCap {
  /** Connections open now. */
  open(): number;
}

export function capConnections(server: Server, options: ConnectionCapOptions): ConnectionCap {
  const tracked = new Map<Socket, Tracked>();
  // Before Node's own listener, so a connection over the cap is closed before it is parsed.
  server.prependListener('connection', (socket: Socket) => {
    if (tracked.size >= options.max) {
      const victim = longestWaiting(tracked);
      if (victim === undefined) {
        options.onShed?.('newcomer');
        socket.destroy();
        return;
      }
      tracked.delete(victim);
      victim.destroy();
      options.onShed?.('waiting');
    }
    tracked.set(socket, { since: performance.now(), request: null });
    socket.once('close', () => tracked.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const entry = tracked.get(request.socket);
    if (entry === undefined) return;
    entry.request = request;
    entry.since = performance.now();
    response.once('finish', () => {
      entry.request = null;
      entry.since = performance.now();
    });
  });
  return { open: () => tracked.size };
}

/** The connection not being served that has waited longest, if any. */
function longestWaiting(tracked: Map<Socket, Tracked>): Socket | undefined {
  let victim: Socket | undefined;
  let since = Infinity;
  for (const [socket, entry] of tracked) {
    const served = entry.request !== null && entry.request.complete;
    if (!served && entry.since < since) {
      victim = socket;
      since = entry.since;
    }
  }
  return victim;
}
