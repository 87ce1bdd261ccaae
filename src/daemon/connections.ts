/**
 * The daemon's cap on open connections. Every connection holds a file handle until it closes;
 * hundreds of clients that connect and then send nothing, or trickle their request, used to
 * exhaust the process's handles, after which nobody was served. The timeouts
 * (server.headersTimeout, requestTimeout, keepAliveTimeout) end such connections eventually; the
 * cap bounds how many there can be meanwhile.
 *
 * At the cap, a new connection is not simply refused, which would hand the daemon to whoever
 * holds the most connections: one that is not being served is closed to make room — first the
 * one whose request has been arriving longest (a client trickling its headers or body), then the
 * one that never sent anything, longest first, then the kept-alive client idle longest between
 * requests. A kept-alive connection goes last because its client has been answered on it and may
 * be about to reuse it: closed as its next request leaves, that request fails (a flood of new
 * connections, none of which has spoken yet, once shed a steady client's connection that way).
 * Only when every connection is being served (its request in, its answer not yet sent) is the
 * newcomer closed.
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
  /** The bytes read from it when it last became idle: more since means a request is arriving. */
  idleBytes: number;
  /**
   * When its next request was first seen arriving (bytes past idleBytes, no request yet). Its age
   * counts from then, not from its last answer: a kept-alive client that just sent its next
   * request is the newest arrival, not the oldest waiter.
   */
  arrivingSeen: number | null;
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
    tracked.set(socket, { since: performance.now(), request: null, idleBytes: socket.bytesRead, arrivingSeen: null });
    socket.once('close', () => tracked.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const entry = tracked.get(request.socket);
    if (entry === undefined) return;
    entry.request = request;
    entry.since = performance.now();
    entry.arrivingSeen = null;
    response.once('finish', () => {
      entry.request = null;
      entry.since = performance.now();
      entry.idleBytes = request.socket.bytesRead;
      entry.arrivingSeen = null;
    });
  });
  return { open: () => tracked.size };
}

/** The connection whose request has been arriving longest, else the silent one, else the kept-alive one idle longest; none when all are served. */
function longestWaiting(tracked: Map<Socket, Tracked>): Socket | undefined {
  let arriving: [Socket, number] | undefined;
  let silent: [Socket, number] | undefined;
  let keptAlive: [Socket, number] | undefined;
  const now = performance.now();
  for (const [socket, entry] of tracked) {
    const nextRequestArriving = entry.request === null && socket.bytesRead > entry.idleBytes;
    if (nextRequestArriving) entry.arrivingSeen ??= now;
    if (entry.request !== null ? !entry.request.complete : nextRequestArriving) {
      // A kept-alive client's next request is as old as its first sight; a new connection's, as old as the connection.
      const since = nextRequestArriving && entry.idleBytes > 0 ? (entry.arrivingSeen ?? now) : entry.since;
      if (arriving === undefined || since < arriving[1]) arriving = [socket, since];
    } else if (entry.request === null && entry.idleBytes === 0) {
      if (silent === undefined || entry.since < silent[1]) silent = [socket, entry.since];
    } else if (entry.request === null && (keptAlive === undefined || entry.since < keptAlive[1])) {
      keptAlive = [socket, entry.since];
    }
  }
  return (arriving ?? silent ?? keptAlive)?.[0];
}
