/**
 * `agentgw serve`: runs the daemon. Migrates the database first (under the migration lock, so
 * several replicas may start at once), says on stderr where it listens, which database and which
 * adapter, logs to stdout (readable lines at a terminal, JSON lines otherwise or with
 * `--log-format json`), and on SIGTERM/SIGINT stops accepting, drains in-flight
 * requests, closes the database and exits 0. Losing the database while running is not fatal:
 * requests get 503 problems until it is back.
 */
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import { defaultDatabaseUrl } from '../config/paths.js';
import { configDirOf } from '../runtime/runtime.js';
import { REPORT_A_BUG } from '../domain/error-codes.js';
import { ExitCode, UsageError } from '../domain/errors.js';
import { VERSION } from '../version.js';
import { colorFor, type IO } from '../output/io.js';
import { readableLogs } from '../output/log-lines.js';
import { Option } from 'commander';
import { defineCommand, type Invocation } from './define.js';

export interface ServeFlags {
  host?: string;
  port?: string;
  /** `--no-monitor`: serve the API without checking gateways in the background. */
  monitor?: boolean;
  logFormat?: 'text' | 'json';
}

export const serve = defineCommand<[], ServeFlags>({
  flags: (command) =>
    command
      .option('--host <ip>', 'address to listen on (beyond loopback only with server.auth.required: true)')
      .option('--port <n>', 'port to listen on (0: any free port)')
      .option('--no-monitor', 'do not health-check gateways in the background')
      .addOption(new Option('--log-format <format>', 'log lines for a person (text) or JSON lines (default: text at a terminal, json otherwise)').choices(['text', 'json'])),
  examples: [
    'agentgw serve --database postgres://postgres@127.0.0.1:5432/agentgw',
    'agentgw serve --log-format json | tee agentgw.log',
    'AGENTGW_SECRET_KEY=$(cat key) agentgw serve --port 9000',
    'agentgw --server http://127.0.0.1:8080 gateway list',
  ],
  run: (invocation, _args, flags) => serveCommand(invocation, flags),
});

async function serveCommand({ globals, io }: Invocation, flags: ServeFlags): Promise<void> {
  if (globals.server !== undefined) {
    throw new UsageError('serve runs a daemon; it does not talk to one', { hint: 'drop --server; pass --database to choose the database it serves' });
  }
  const loaded = await loadConfig({
    env: io.env,
    ...(globals.config === undefined ? {} : { configFile: globals.config }),
    flags: { 'database.url': globals.database, 'server.host': flags.host, 'server.port': flags.port },
  });
  // One daemon per SQLite file (see instance-lock.ts); PostgreSQL takes any number of them.
  const { lockSqliteDatabase, sqlitePathOf } = await import('../daemon/instance-lock.js');
  const sqlitePath = sqlitePathOf(loaded.config.database.url ?? defaultDatabaseUrl(io.env));
  const lock = sqlitePath === null ? null : await lockSqliteDatabase(sqlitePath);
  const { startDaemon } = await import('../daemon/server.js');
  const configDir = configDirOf(loaded.files);
  const readable = (flags.logFormat ?? (io.stdout.isTTY ? 'text' : 'json')) === 'text';
  const logStream = readable ? readableLogs(io.stdout, colorFor(io.stdout, io.env, globals.color !== false)) : undefined;
  const daemon = await startDaemon({ config: loaded.config, ...(configDir === undefined ? {} : { configDir }), ...(logStream === undefined ? {} : { logStream }) });
  const { log } = daemon;
  if (sqlitePath !== null) await warnOfLooseFiles(sqlitePath, log, io);

  // A stray rejection (a driver's, a background task's) is logged, never fatal: the daemon
  // must outlive a database restart. So is the one known driver exception thrown outside any
  // request (see store/postgres/postgres-driver.ts); any other uncaught exception still ends the process.
  const { isPostgresNullSocketWrite } = await import('../store/postgres/postgres-driver.js');
  const onRejection = (reason: unknown) => log?.error({ err: reason }, 'unhandled rejection');
  const onException = (error: Error) => {
    if (isPostgresNullSocketWrite(error)) {
      log?.warn({ err: error }, 'database connection lost while writing; the connection pool was replaced');
      return;
    }
    log?.fatal({ err: error }, 'uncaught exception');
    io.stderr.write(`error: unexpected failure: ${error.stack ?? error.message}\n${REPORT_A_BUG}\n`);
    process.exit(ExitCode.failure);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  // Deployments a killed predecessor left in flight are settled by asking their gateways.
  const { DeploymentService } = await import('../services/deployments/index.js');
  void new DeploymentService(daemon.runtime.context())
    .reconcile()
    .catch((error: unknown) => log?.warn({ err: error }, 'could not reconcile interrupted deployments'));
  // Rollouts a killed process left unfinished are reported, not resumed: gates measured now may not mean what they did.
  const { RolloutService } = await import('../services/rollouts/index.js');
  for (const rollout of await new RolloutService(daemon.runtime.context()).unfinished().catch(() => [])) {
    const line = `rollout ${rollout.uuid} (${rollout.resource.kind}/${rollout.resource.name} revision ${rollout.revision}) is unfinished: ${rollout.state === 'paused' ? 'paused' : 'its process is gone'} at wave ${Math.min(rollout.currentWave + 1, rollout.waves.length)} of ${rollout.waves.length}; continue it with: agentgw rollout resume ${rollout.uuid}`;
    log?.warn({ rollout: rollout.uuid }, line);
    process.stderr.write(`warning: ${line}
`);
  }

  const { createHealthMonitor } = await import('../services/health-monitor.js');
  const monitor = flags.monitor === false ? null : createHealthMonitor(daemon.runtime.deps, loaded.config, { observer: daemon.metrics.monitor });
  monitor?.start();

  // Listening for the stop before saying where it listens: a SIGTERM sent on reading that line
  // would otherwise meet the default action (the handler is installed with the first listener).
  // A second signal while draining means "now"; it is listened for as the first arrives, so no
  // moment is left without a listener.
  const force = () => process.exit(ExitCode.interrupted);
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    const stopOn = (signal: NodeJS.Signals) => () => {
      process.on('SIGTERM', force).on('SIGINT', force).off('SIGTERM', onTerm).off('SIGINT', onInt);
      resolve(signal);
    };
    const onTerm = stopOn('SIGTERM');
    const onInt = stopOn('SIGINT');
    process.on('SIGTERM', onTerm).on('SIGINT', onInt);
  });
  const auth = daemon.authRequired ? 'auth required' : 'auth off (loopback only)';
  const checks = monitor === null ? 'health monitor off' : `health checks every ${loaded.config.gateway.adapter.onPremise.healthCheck.interval / 1000}s`;
  io.stderr.write(
    `agentgw ${VERSION} listening on ${daemon.url} · database ${daemon.runtime.store.displayUrl} · adapter ${daemon.runtime.adapter.type} · ${auth} · ${checks}\n`,
  );

  const signal = await stopSignal;
  log?.info({ signal }, 'shutting down: draining in-flight requests');
  // A stop must end: a step that hangs (a library waiting on a connection the network dropped
  // silently) is named in the log, and the process exits non-zero, before a supervisor's SIGKILL.
  // server.shutdownTimeout (20 s): the requests' drain (10 s) and the database's (5 s) with room
  // to spare, under the 30 s supervisors commonly allow before SIGKILL.
  const limitMs = loaded.config.server.shutdownTimeout;
  let step = 'stopping the health monitor';
  const stuck = setTimeout(() => {
    log?.error({ step }, `shutdown did not finish within ${limitMs / 1000} s (${step}): exiting`);
    process.exit(ExitCode.failure);
  }, limitMs);
  stuck.unref();
  // Checks in flight finish and are stored while the database is still open.
  await monitor?.stop();
  step = 'draining requests and closing the database';
  await daemon.close();
  clearTimeout(stuck);
  lock?.release();
  log?.info('stopped');
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  // Whatever a library left scheduled must not keep a stopped daemon alive.
  setTimeout(() => process.exit(process.exitCode ?? ExitCode.ok), 2000).unref();
}

/**
 * agentgw creates its data directory 0700 and its files 0600; ones that already exist looser (an
 * older install, a copy, a restore) are named, not changed: who else needs them is the
 * operator's call.
 */
async function warnOfLooseFiles(sqlitePath: string, log: Logger | null, io: IO): Promise<void> {
  const [{ looserThanPrivate, storeFiles }, { generatedKeyFile }] = await Promise.all([import('../store/private-files.js'), import('../secrets/key-source.js')]);
  for (const loose of looserThanPrivate([...storeFiles(sqlitePath), generatedKeyFile(sqlitePath)])) {
    const message =
      `${loose.directory ? 'the data directory ' : ''}${loose.path} is open to other users (mode ${loose.mode}), ` +
      `and agentgw's files hold gateway credentials and the key to them: chmod ${loose.directory ? '700' : '600'} ${loose.path}`;
    log?.warn({ path: loose.path, mode: loose.mode }, message);
    io.stderr.write(`warning: ${message}\n`);
  }
}
