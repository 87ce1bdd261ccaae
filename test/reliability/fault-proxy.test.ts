/**
 * The fault proxy itself, against a TCP echo server: the battery's fault counts mean something
 * only if each mode does what it says.
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';
import { Scenario } from './support.js';

const s = new Scenario('fault-proxy', 'the fault proxy: pass, latency, reset, black hole, cut');

/** Everything the echo server received, to prove a black hole forwards nothing. */
let received = 0;
let echo: net.Server;
let proxy: FaultProxy;

/** Resolves when the socket closes, with the error code it died of (if any). */
function ending(socket: Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    let code: string | undefined;
    socket.on('error', (error: NodeJS.ErrnoException) => (code = error.code));
    socket.once('close', () => resolve(code));
  });
}

function connect(): Promise<Socket> {
  const socket = net.connect(proxy.port, '127.0.0.1');
  return once(socket, 'connect').then(() => socket);
}

/** Sends `text` and resolves with the echo, or with the error/close that came instead. */
function roundTrip(socket: Socket, text: string, waitMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const timer = setTimeout(() => finish(`timeout:${got}`), waitMs);
    const onData = (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= text.length) finish(got);
    };
    const onError = (error: NodeJS.ErrnoException) => finish(`error:${error.code}`);
    const onClose = () => finish(`closed:${got}`);
    function finish(result: string) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      resolve(result);
    }
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(text);
  });
}

beforeAll(async () => {
  echo = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      received += chunk.length;
      socket.write(chunk);
    });
    socket.on('error', () => {});
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: (echo.address() as AddressInfo).port });
});

afterAll(async () => {
  s.fault('proxy faults', proxy.faultsInjected);
  s.note('proxyStats', proxy.stats);
  s.finish();
  await proxy.close();
  echo.close();
});

describe('fault proxy', () => {
  it('passes bytes both ways', async () => {
    const socket = await connect();
    s.check((await roundTrip(socket, 'hello')) === 'hello', 'pass: echo did not come back');
    socket.destroy();
    expect(proxy.stats.forwarded).toBe(1);
  });

  it('delays each direction by the latency, keeping order across a switch back to pass', async () => {
    const socket = await connect();
    proxy.set({ kind: 'latency', ms: 150 });
    const started = Date.now();
    const delayed = roundTrip(socket, 'first');
    // Switched to pass while "first" is still held: it must not be overtaken.
    setTimeout(() => {
      proxy.set({ kind: 'pass' });
      socket.write('second');
    }, 50);
    const first = await delayed;
    const elapsed = Date.now() - started;
    let rest = first.slice('first'.length);
    while (rest.length < 'second'.length) rest += ((await once(socket, 'data')) as [Buffer])[0].toString();
    s.check(first.startsWith('first') && rest === 'second', `latency: order broken: ${first}|${rest}`);
    s.check(elapsed >= 150, `latency: round trip took ${elapsed} ms, under the 150 ms injected`);
    socket.destroy();
  });

  it('resets open connections and refuses new ones in reset mode', async () => {
    const open = await connect();
    const closed = ending(open);
    proxy.set({ kind: 'reset' });
    s.check((await closed) === 'ECONNRESET', 'reset: the open connection was not reset');
    const outcome = await ending(net.connect(proxy.port, '127.0.0.1'));
    s.check(outcome === 'ECONNRESET', `reset: a new connection got ${outcome}`);
    proxy.set({ kind: 'pass' });
    const again = await connect();
    s.check((await roundTrip(again, 'back')) === 'back', 'reset: traffic did not pass again after the mode ended');
    again.destroy();
  });

  it('black-holes: accepts, forwards nothing, answers nothing; resets on leaving', async () => {
    const open = await connect();
    proxy.set({ kind: 'blackhole' });
    const before = received;
    const fresh = await connect();
    const [a, b] = await Promise.all([roundTrip(open, 'lost-1', 400), roundTrip(fresh, 'lost-2', 400)]);
    s.check(a === 'timeout:' && b === 'timeout:', `blackhole: something answered: ${a} ${b}`);
    s.check(received === before, `blackhole: ${received - before} bytes reached the target`);
    const closed = Promise.all([ending(open), ending(fresh)]);
    proxy.set({ kind: 'pass' });
    s.check((await closed).every((code) => code === 'ECONNRESET'), 'blackhole: held connections were not reset when it ended');
    s.check(received === before, 'blackhole: held bytes were delivered after the black hole ended');
    const again = await connect();
    s.check((await roundTrip(again, 'back')) === 'back', 'blackhole: traffic did not pass again');
    again.destroy();
  });

  it('cut() resets what is open once and keeps passing', async () => {
    const sockets = await Promise.all([connect(), connect(), connect()]);
    const closed = Promise.all(sockets.map(ending));
    await new Promise((resolve) => setTimeout(resolve, 20));
    s.check(proxy.cut() === 3, 'cut: not every open connection was reset');
    s.check((await closed).every((code) => code === 'ECONNRESET'), 'cut: a connection was not reset');
    const again = await connect();
    s.check((await roundTrip(again, 'after-cut')) === 'after-cut', 'cut: traffic did not pass after the cut');
    again.destroy();
    expect(s.figures.violations, s.summary()).toBe(0);
  });
});
