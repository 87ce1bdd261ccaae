/**
 * The connection cap on a real HTTP server: at the cap, the connection that has waited longest
 * without being served makes room (an idle one, or one whose request is still arriving); when
 * every connection is being served, the newcomer is closed instead.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { capConnections, type ConnectionCap } from '../../../src/daemon/connections.js';

let server: Server | undefined;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server whose /slow requests are answered only when `release` is called. */
async function start(max: number): Promise<{ port: number; cap: ConnectionCap; shed: string[]; release: () => void }> {
  const held: Array<() => void> = [];
  server = createServer((request, response) => {
    const answer = () => response.end('ok');
    if (request.url === '/slow') held.push(answer);
    else request.on('end', answer).resume();
  });
  const shed: string[] = [];
  const cap = capConnections(server, { max, onShed: (kind) => shed.push(kind) });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, cap, shed, release: () => held.splice(0).forEach((answer) => answer()) };
}

/** A client connection that reads (and drops) what it is sent, so it sees the server close it; resolves once connected. */
async function connect(port: number, send?: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  socket.resume();
  await once(socket, 'connect');
  if (send !== undefined) socket.write(send);
  return socket;
}

const closed = (socket: net.Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
const tick = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('capConnections', () => {
  it('counts the open connections', async () => {
    const { port, cap } = await start(10);
    const a = await connect(port);
    await connect(port);
    await tick();
    expect(cap.open()).toBe(2);
    a.destroy();
    await tick();
    expect(cap.open()).toBe(1);
  });

  it('at the cap, closes a connection whose request is still arriving before an idle one, the oldest first', async () => {
    const { port, cap, shed } = await start(3);
    const idle = await connect(port);
    await tick();
    const trickling = await connect(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    await tick();
    const halfHeaders = await connect(port, 'GET / HTTP/1.1\r\nHost: x\r\n');
    await tick();
    await connect(port);
    await closed(trickling);
    expect(shed).toEqual(['waiting']);
    expect(cap.open()).toBe(3);
    await connect(port);
    await closed(halfHeaders);
    expect(idle.destroyed).toBe(false);
    // With nothing arriving any more, the connection idle longest makes room.
    await connect(port);
    await closed(idle);
    expect(shed).toEqual(['waiting', 'waiting', 'waiting']);
  });

  it('counts a kept-alive connection as idle from its last answer, and as arriving once a new request starts on it', async () => {
    const { port } = await start(2);
    const silent = await connect(port);
    await tick();
    const kept = await connect(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await tick();
    // Both idle: the one that never spoke has waited since it connected, the kept one only since its answer.
    const third = await connect(port);
    await closed(silent);
    expect(kept.destroyed).toBe(false);
    kept.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await tick();
    await connect(port);
    await closed(kept);
    expect(third.destroyed).toBe(false);
  });

  it('closes a connection that never spoke before a kept-alive one, even one idle for longer', async () => {
    const { port } = await start(2);
    const kept = await connect(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await tick();
    // Connected after the kept one's answer: idle for less time, but it has never sent anything.
    const silent = await connect(port);
    await tick();
    await connect(port);
    await closed(silent);
    expect(kept.destroyed).toBe(false);
  });

  it('closes the newcomer when every connection is being served', async () => {
    const { port, shed, release } = await start(2);
    const served = [await connect(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n'), await connect(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')];
    await tick();
    const newcomer = await connect(port);
    await closed(newcomer);
    expect(shed).toEqual(['newcomer']);
    expect(served.every((socket) => !socket.destroyed)).toBe(true);
    // Once answered, a kept-alive connection waits again, and may make room.
    release();
    await tick();
    const later = await connect(port);
    await tick();
    expect(later.destroyed).toBe(false);
    expect(shed).toEqual(['newcomer', 'waiting']);
  });

  it('counts a kept-alive client’s next request from when it is seen arriving, not from its last answer: an older trickler goes first', async () => {
    const { port, shed } = await start(2);
    const kept = await connect(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await tick();
    // Connected after kept's answer, trickling its headers since.
    const trickling = await connect(port, 'GET / HTTP/1.1\r\nHo');
    await tick();
    kept.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await tick();
    await connect(port);
    await closed(trickling);
    expect(shed).toEqual(['waiting']);
    expect(kept.destroyed).toBe(false);
  });
});
