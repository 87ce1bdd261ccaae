/**
 * A throwaway PostgreSQL server for the battery (initdb into a temporary directory, on a free
 * port), so restarting it disturbs nothing else: the machine's shared cluster on 5432 is never
 * stopped. initdb refuses to run as root, so the server runs as the `postgres` user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const version = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return version === undefined ? null : join(root, version, 'bin');
}

/** Root may start a private server (as the postgres user); anyone else needs their own initdb. */
export function canRunPrivatePostgres(): boolean {
  if (postgresBinDir() === null) return false;
  if (process.getuid?.() !== 0) return true;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A free port below the ephemeral range: while the server is down, reconnecting clients take
 * ephemeral ports, and one of them could take the server's own port and keep it from starting.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export class PrivatePostgres {
  restarts = 0;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    if (bin === null) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
    const dir = mkdtempSync(join(tmpdir(), 'agentgw-reliability-pg-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
    }
    const pg = new PrivatePostgres(dir, await freePort(), bin);
    await pg.exec('initdb', ['-D', pg.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await pg.ctl('start');
    return pg;
  }

  get data(): string {
    return join(this.dir, 'data');
  }

  /** The server's own address (the battery's daemons reach it through a fault proxy). */
  urlOf(port = this.port, schema?: string): string {
    return `postgres://postgres@127.0.0.1:${port}/postgres${schema === undefined ? '' : `?schema=${schema}`}`;
  }

  /** Fast shutdown (open sessions are ended) and start again; resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.ctl('restart');
    this.restarts += 1;
  }

  /**
   * A smart shutdown, not waited for: the server refuses new sessions (SQLSTATE 57P03, "the
   * database system is shutting down") and stops once the open ones have ended.
   */
  async beginSmartShutdown(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.data, '-m', 'smart', '-W', 'stop']);
  }

  /** Whether the server process is running (its PID file is there). */
  running(): boolean {
    return existsSync(join(this.data, 'postmaster.pid'));
  }

  postmasterPid(): string {
    return readFileSync(join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
  }

  async destroy(): Promise<void> {
    await this.ctl('stop').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async ctl(action: 'start' | 'restart' | 'stop'): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.exec('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-w', '-t', '60', '-m', 'fast', '-o', options, action]);
  }

  private async exec(program: string, args: string[]): Promise<void> {
    const path = join(this.bin, program);
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    try {
      await run(file, argv, { timeout: 90_000 });
    } catch (error) {
      const log = existsSync(join(this.dir, 'log')) ? readFileSync(join(this.dir, 'log'), 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${program} ${args.at(-1)} failed: ${(error as Error).message}\n${log}`);
    }
  }
}
