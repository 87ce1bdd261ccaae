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
 * one idle longest (a kept-alive client between requests, or one that never sent anything). An
 * idle connection goes last because its client may be about to reuse it. Only when every
 * connection is being served (its request in, its answer not yet sent) is the newcomer closed.
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
    tracked.set(socket, { since: performance.now(), request: null, idleBytes: socket.bytesRead });
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
      entry.idleBytes = request.socket.bytesRead;
    });
  });
  return { open: () => tracked.size };
}

/** The connection whose request has been arriving longest, else the one idle longest; none when all are served. */
function longestWaiting(tracked: Map<Socket, Tracked>): Socket | undefined {
  let arriving: [Socket, number] | undefined;
  let idle: [Socket, number] | undefined;
  for (const [socket, entry] of tracked) {
    if (entry.request !== null ? !entry.request.complete : socket.bytesRead > entry.idleBytes) {
      if (arriving === undefined || entry.since < arriving[1]) arriving = [socket, entry.since];
    } else if (entry.request === null && (idle === undefined || entry.since < idle[1])) {
      idle = [socket, entry.since];
    }
  }
  return (arriving ?? idle)?.[0];
}
