/**
 * A TCP fault proxy for the reliability battery: a net.Server that forwards every connection to
 * one target and misbehaves on demand. The mode can be switched at any time, and applies to the
 * connections already open as well as to new ones:
 *
 * - `pass`: bytes flow both ways untouched.
 * - `latency`: every chunk, in either direction, is held `ms` milliseconds (order kept; a chunk
 *   is never overtaken by one that arrived later, even across a mode switch).
 * - `reset`: every open connection is reset (RST to the client, the upstream side destroyed),
 *   and new connections are reset as soon as they are accepted, until the mode changes.
 * - `blackhole`: connections are accepted but nothing is forwarded or answered; what arrives is
 *   dropped. Connections caught in a black hole never carry data again: when the proxy leaves
 *   the mode they are reset, as a peer that timed them out would.
 *
 * `cut()` is the one-shot form of `reset`: the open connections are reset and the proxy goes on
 * passing traffic, like a database server restarting under its clients.
 *
 * @example
 * const proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
 * proxy.set({ kind: 'latency', ms: 200 });
 * proxy.cut();
 * proxy.set({ kind: 'blackhole' });
 * proxy.set({ kind: 'pass' });
 * await proxy.close();
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';

export type FaultMode = { kind: 'pass' } | { kind: 'latency'; ms: number } | { kind: 'reset' } | { kind: 'blackhole' };

export interface FaultProxyStats {
  /** Connections accepted from clients. */
  accepted: number;
  /** Connections that reached the target. */
  forwarded: number;
  /** Connections the proxy reset (by `reset`, `cut()` or on leaving a black hole). */
  reset: number;
  /** Connections that fell into a black hole. */
  blackholed: number;
  /** Connections whose target refused or dropped the upstream connection. */
  upstreamFailed: number;
  /** Bytes moved client → target and target → client. */
  bytesUp: number;
  bytesDown: number;
}

interface Chunk {
  data: Buffer | null;
  releaseAt: number;
}

/** One direction of a connection: a queue of chunks, each released at its time, in order. */
class Lane {
  private readonly queue: Chunk[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly to: () => Socket | null,
    private readonly count: (bytes: number) => void,
  ) {}

  push(data: Buffer | null, delayMs: number): void {
    const last = this.queue.at(-1)?.releaseAt ?? 0;
    this.queue.push({ data, releaseAt: Math.max(Date.now() + delayMs, last) });
    this.pump();
  }

  /** Sends what is due; waits for the next chunk's time otherwise. */
  pump(): void {
    if (this.timer !== undefined) return;
    const target = this.to();
    if (target === null) return;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = head.releaseAt - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      if (target.destroyed) continue;
      if (head.data === null) target.end();
      else {
        this.count(head.data.length);
        target.write(head.data);
      }
    }
  }

  drop(): void {
    this.queue.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

class Connection {
  upstream: Socket | null = null;
  connected = false;
  /** Caught in a black hole: never forwards again. */
  swallowed = false;
  closed = false;
  private readonly up: Lane;
  private readonly down: Lane;

  constructor(
    private readonly proxy: FaultProxy,
    readonly client: Socket,
  ) {
    this.up = new Lane(
      () => (this.connected ? this.upstream : null),
      (bytes) => (proxy.stats.bytesUp += bytes),
    );
    this.down = new Lane(
      () => this.client,
      (bytes) => (proxy.stats.bytesDown += bytes),
    );
    client.setNoDelay(true);
    client.on('data', (data: Buffer) => this.fromClient(data));
    client.on('end', () => this.fromClient(null));
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  connect(target: { host: string; port: number }): void {
    const upstream = net.connect(target);
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('connect', () => {
      this.connected = true;
      this.proxy.stats.forwarded += 1;
      this.up.pump();
    });
    upstream.on('data', (data: Buffer) => this.fromUpstream(data));
    upstream.on('end', () => this.fromUpstream(null));
    upstream.on('error', () => {
      if (!this.connected) this.proxy.stats.upstreamFailed += 1;
      this.reset();
    });
    upstream.on('close', () => {
      // Whatever the target sent before closing still reaches the client (after its latency).
      if (!this.closed && !this.swallowed) this.down.push(null, this.proxy.delayMs);
    });
  }

  private fromClient(data: Buffer | null): void {
    if (this.swallowed) return;
    this.up.push(data, this.proxy.delayMs);
  }

  private fromUpstream(data: Buffer | null): void {
    if (this.swallowed) return;
    this.down.push(data, this.proxy.delayMs);
  }

  swallow(): void {
    if (this.swallowed || this.closed) return;
    this.swallowed = true;
    this.proxy.stats.blackholed += 1;
    this.up.drop();
    this.down.drop();
    // Keep reading, so the client's writes succeed and vanish, as into a dead route.
    this.client.resume();
  }

  reset(): void {
    if (this.closed) return;
    this.proxy.stats.reset += 1;
    this.up.drop();
    this.down.drop();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream?.destroy();
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.up.drop();
    this.down.drop();
    this.client.destroy();
    this.upstream?.destroy();
    this.proxy.forget(this);
  }
}

export class FaultProxy {
  readonly stats: FaultProxyStats = { accepted: 0, forwarded: 0, reset: 0, blackholed: 0, upstreamFailed: 0, bytesUp: 0, bytesDown: 0 };
  /** How many times a fault was switched on (a mode other than pass, or a cut). */
  faultsInjected = 0;
  private mode: FaultMode = { kind: 'pass' };
  private readonly connections = new Set<Connection>();

  private constructor(
    private readonly server: net.Server,
    readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }, listen: { host?: string; port?: number } = {}): Promise<FaultProxy> {
    const server = net.createServer({ pauseOnConnect: false });
    const proxy = new FaultProxy(server, target);
    server.on('connection', (socket) => proxy.accept(socket));
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  get current(): FaultMode {
    return this.mode;
  }

  get open(): number {
    return this.connections.size;
  }

  /** The delay a chunk gets now. */
  get delayMs(): number {
    return this.mode.kind === 'latency' ? this.mode.ms : 0;
  }

  set(mode: FaultMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode.kind !== 'pass' && mode.kind !== previous.kind) this.faultsInjected += 1;
    if (previous.kind === 'blackhole' && mode.kind !== 'blackhole') {
      for (const connection of [...this.connections]) if (connection.swallowed) connection.reset();
    }
    if (mode.kind === 'reset') for (const connection of [...this.connections]) connection.reset();
    if (mode.kind === 'blackhole') for (const connection of this.connections) connection.swallow();
  }

  /** Resets every open connection once; new ones pass. */
  cut(): number {
    this.faultsInjected += 1;
    const open = [...this.connections];
    for (const connection of open) connection.reset();
    return open.length;
  }

  /** Runs `mode` for `ms` milliseconds, then passes again. */
  async window(mode: FaultMode, ms: number): Promise<void> {
    this.set(mode);
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.set({ kind: 'pass' });
  }

  async close(): Promise<void> {
    for (const connection of [...this.connections]) connection.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  private accept(socket: Socket): void {
    this.stats.accepted += 1;
    const connection = new Connection(this, socket);
    this.connections.add(connection);
    switch (this.mode.kind) {
      case 'reset':
        connection.reset();
        return;
      case 'blackhole':
        connection.swallow();
        return;
      default:
        connection.connect(this.target);
    }
  }
}

/**
 * One fault proxy in front of each listener of a gateway-controller simulator, the admin one on
 * the management proxy's port + 2, as on a real controller: a daemon given the proxied management
 * URL alone finds the admin API (health) behind the admin proxy. Faults go to both.
 */
export class ControllerProxy {
  private constructor(
    readonly management: FaultProxy,
    readonly admin: FaultProxy,
  ) {}

  static async start(sim: { port: number; adminPort: number }): Promise<ControllerProxy> {
    for (let attempt = 1; ; attempt++) {
      const management = await FaultProxy.start({ host: '127.0.0.1', port: sim.port });
      try {
        return new ControllerProxy(management, await FaultProxy.start({ host: '127.0.0.1', port: sim.adminPort }, { port: management.port + 2 }));
      } catch (error) {
        await management.close();
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 20) throw error;
      }
    }
  }

  get port(): number {
    return this.management.port;
  }

  get stats(): { management: FaultProxyStats; admin: FaultProxyStats } {
    return { management: this.management.stats, admin: this.admin.stats };
  }

  get faultsInjected(): number {
    return this.management.faultsInjected + this.admin.faultsInjected;
  }

  set(mode: FaultMode): void {
    this.management.set(mode);
    this.admin.set(mode);
  }

  cut(): number {
    return this.management.cut() + this.admin.cut();
  }

  async window(mode: FaultMode, ms: number): Promise<void> {
    await Promise.all([this.management.window(mode, ms), this.admin.window(mode, ms)]);
  }

  async close(): Promise<void> {
    await Promise.all([this.management.close(), this.admin.close()]);
  }
}
