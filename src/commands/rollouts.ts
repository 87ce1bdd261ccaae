/**
 * Revision history, rollback and progressive rollouts from the command line:
 * `agentgw resource history`, `agentgw rollback`, `agentgw deploy --strategy canary …` and
 * `agentgw rollout list|status|pause|resume|abort`.
 *
 * A rollout runs where it was started (this process in local mode, the daemon in remote mode);
 * the command follows it by reading it every half second and prints each wave as it moves on.
 * It exits 0 when the rollout succeeded (or was paused), 1 when it failed, was rolled back or
 * aborted, naming the gateways, the gate and the measured value.
 */
import { AgentgwError, UsageError } from '../domain/errors.js';
import { FINISHED_STATES, type Rollout, type RolloutRequest, type RolloutWave } from '../domain/rollouts.js';
import { printDocument, printList, type Column } from '../output/format.js';
import { parseDuration } from '../services/rollouts/plan.js';
import type { CommandContext } from './context.js';
import { collect, columnsOf, defineCommand, type Invocation } from './define.js';
import { finish } from './deploy.js';
import { withContext } from './run.js';

const FOLLOW_EVERY_MS = 500;

export interface StrategyFlags {
  env?: string;
  gateway?: string;
  concurrency?: string;
  strategy?: string;
  steps?: string;
  pause?: string;
  gate?: string[];
  rollback?: boolean;
}

/** Whether deploy flags ask for a progressive rollout; refuses rollout flags without one. */
export function wantsRollout(flags: StrategyFlags & { dryRun?: boolean }): boolean {
  const strategy = flags.strategy ?? 'all';
  if (strategy !== 'all' && strategy !== 'canary') throw new UsageError(`--strategy: expected all or canary, got "${strategy}"`);
  const rolloutFlags = [flags.steps && '--steps', flags.pause && '--pause', flags.gate?.length && '--gate', flags.rollback === false && '--no-rollback'].filter(Boolean);
  if (strategy === 'all') {
    if (rolloutFlags.length > 0) throw new UsageError(`${rolloutFlags.join(', ')} go with --strategy canary`, { hint: 'agentgw deploy KIND/NAME --env E --strategy canary --steps 1,25%,100% --pause 2m --gate errorRate<1%' });
    return false;
  }
  if (flags.dryRun) throw new UsageError('--dry-run plans a deploy to all at once; drop --strategy canary to see the plan');
  return true;
}

export async function rolloutDeployCommand(invocation: Invocation, resource: string, flags: StrategyFlags): Promise<void> {
  const pauseMs = flags.pause === undefined ? 0 : parseDuration(flags.pause);
  if (pauseMs === null) throw new UsageError(`--pause: expected a duration such as 30s, 2m or 0, got "${flags.pause}"`);
  if ((flags.env === undefined) === (flags.gateway === undefined)) throw new UsageError('name the target: --env NAME or --gateway NAME (one of them)');
  const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) throw new UsageError(`--concurrency: expected a whole number ≥ 1, got "${flags.concurrency}"`);
  const request: RolloutRequest = {
    resource,
    ...(flags.env === undefined ? {} : { environment: flags.env }),
    ...(flags.gateway === undefined ? {} : { gateway: flags.gateway }),
    steps: (flags.steps ?? '1,100%').split(',').map((step) => step.trim()),
    pauseMs,
    gates: flags.gate ?? [],
    ...(flags.rollback === false ? { noRollback: true } : {}),
    ...(concurrency === undefined ? {} : { concurrency }),
  };
  await withContext(invocation, async (context) => {
    const client = await context.client();
    const started = await client.rollouts.start(request);
    context.stderr(`rollout ${started.uuid}: ${started.resource.kind}/${started.resource.name} revision ${started.revision} in ${started.waves.length} wave(s)`);
    await follow(context, started, (id) => client.rollouts.get(id));
  });
}

async function rollbackCommand(invocation: Invocation, resource: string, flags: { env?: string; gateway?: string; toRevision?: string; concurrency?: string }): Promise<void> {
  if ((flags.env === undefined) === (flags.gateway === undefined)) throw new UsageError('name the target: --env NAME or --gateway NAME (one of them)');
  const toRevision = flags.toRevision === undefined ? undefined : Number(flags.toRevision);
  if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 1)) throw new UsageError(`--to-revision: expected a revision number ≥ 1, got "${flags.toRevision}"`);
  await withContext(invocation, async (context) => {
    const client = await context.client();
    const report = await client.deployments.rollback({
      resource,
      ...(flags.env === undefined ? {} : { environment: flags.env }),
      ...(flags.gateway === undefined ? {} : { gateway: flags.gateway }),
      ...(toRevision === undefined ? {} : { toRevision }),
      ...(flags.concurrency === undefined ? {} : { concurrency: Number(flags.concurrency) }),
    });
    await finish(context, report);
  });
}

async function historyCommand(invocation: Invocation, resource: string): Promise<void> {
  await withContext(invocation, async (context) => {
    const history = await (await context.client()).resources.history(resource);
    await printDocument(context.output, history, () =>
      history.revisions
        .map((r) => {
          const head = `revision ${r.revision}\t${r.createdAt}\t${r.actor ?? '-'}${r.deployable ? '' : '\t(secret values not kept: cannot be deployed again)'}`;
          return [head, ...r.diff.map((line) => `    ${line}`)].join('\n');
        })
        .join('\n\n') + '\n',
    );
  });
}

async function rolloutList(invocation: Invocation, flags: { state?: string }): Promise<void> {
  await withContext(invocation, async (context) => {
    const rollouts = await (await context.client()).rollouts.list(flags.state === undefined ? {} : { state: flags.state });
    const rows = rollouts.map((r) => ({ ...r, name: r.uuid }));
    await printList(context.output, rows, ROLLOUT_COLUMNS, { rollouts }, { empty: 'No rollouts.' });
  });
}

async function rolloutStatus(invocation: Invocation, id: string): Promise<void> {
  await withContext(invocation, async (context) => {
    const rollout = await (await context.client()).rollouts.get(id);
    await printDocument(context.output, rollout, () => describe(rollout));
  });
}

function rolloutAction(action: 'pause' | 'resume' | 'abort') {
  return async (invocation: Invocation, id: string): Promise<void> => {
    await withContext(invocation, async (context) => {
      const client = await context.client();
      const rollout = await client.rollouts[action](id);
      context.stderr(`rollout ${rollout.uuid}: ${rollout.state}${rollout.message ? ` (${rollout.message})` : ''}`);
      if (action === 'resume') await follow(context, rollout, (ref) => client.rollouts.get(ref));
      else await printDocument(context.output, rollout, () => describe(rollout));
    });
  };
}

/** Reads the rollout until it stops running, printing each wave as it moves on; the exit says how it ended. */
async function follow(context: CommandContext, first: Rollout, read: (id: string) => Promise<Rollout>): Promise<void> {
  let rollout = first;
  const said = new Set<string>();
  for (;;) {
    for (const wave of rollout.waves) {
      const line = waveLine(rollout, wave);
      if (line !== null && !said.has(line)) {
        said.add(line);
        context.stderr(line);
      }
    }
    if (rollout.state !== 'running') break;
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_EVERY_MS));
    rollout = await read(rollout.uuid);
  }
  await printDocument(context.output, rollout, () => describe(rollout));
  if (rollout.state === 'succeeded') {
    context.stderr(`rolled out ${rollout.resource.kind}/${rollout.resource.name} revision ${rollout.revision} to ${rollout.waves.flatMap((w) => w.gateways).length} gateway(s)`);
    return;
  }
  if (rollout.state === 'paused') {
    context.stderr(`rollout ${rollout.uuid} is paused${rollout.message ? `: ${rollout.message}` : ''}; continue with: agentgw rollout resume ${rollout.uuid}`);
    return;
  }
  if (FINISHED_STATES.includes(rollout.state)) {
    throw new AgentgwError('AGW_ROLLOUT_FAILED', `rollout ${rollout.uuid} ${rollout.state.replace('_', ' ')}: ${rollout.message ?? 'no reason recorded'}`, {
      hint: `see it with: agentgw rollout status ${rollout.uuid}`,
    });
  }
}

function waveLine(rollout: Rollout, wave: RolloutWave): string | null {
  const head = `wave ${wave.index + 1}/${rollout.waves.length} (${wave.gateways.join(', ')})`;
  if (wave.status === 'deployed') return `${head}: deployed; pausing ${rollout.pauseMs / 1000}s before the gates`;
  if (wave.status === 'passed') return `${head}: ${rollout.gates.length === 0 ? 'done (no gates)' : 'gates passed'}`;
  if (wave.status === 'failed') {
    const failed = wave.gates.filter((g) => !g.passed).map((g) => `${g.gateway} ${g.gate} measured ${g.measured ?? 'nothing'}${g.detail ? ` (${g.detail})` : ''}`);
    return `${head}: FAILED: ${[...wave.failures, ...failed].join('; ')}`;
  }
  return null;
}

function describe(rollout: Rollout): string {
  const lines = [
    `rollout ${rollout.uuid}`,
    `resource: ${rollout.resource.kind}/${rollout.resource.name} revision ${rollout.revision}`,
    `target: ${'environment' in rollout.target ? `environment ${rollout.target.environment}` : `gateway ${rollout.target.gateway}`}`,
    `state: ${rollout.state}`,
    `steps: ${rollout.steps.join(',')}  pause: ${rollout.pauseMs / 1000}s  gates: ${rollout.gates.join(' ') || '-'}${rollout.rollback ? '' : '  (no rollback)'}`,
    ...rollout.waves.map((wave) => `  wave ${wave.index + 1}: ${wave.status}\t${wave.gateways.join(', ')}${wave.gates.length > 0 ? `\t${wave.gates.map((g) => `${g.gateway} ${g.gate}=${g.measured ?? '?'}${g.passed ? '' : ' FAILED'}`).join('; ')}` : ''}`),
  ];
  if (rollout.message) lines.push(`message: ${rollout.message}`);
  return `${lines.join('\n')}\n`;
}

/** Piped: ID STATE RESOURCE REVISION WAVE TARGET, tab-separated. */
const ROLLOUT_COLUMNS: Column<Rollout & { name: string }>[] = [
  { header: 'ID', value: (r) => r.uuid, identifier: true },
  { header: 'STATE', value: (r) => r.state, status: true, priority: 9 },
  { header: 'RESOURCE', value: (r) => `${r.resource.kind}/${r.resource.name}`, priority: 8 },
  { header: 'REVISION', value: (r) => String(r.revision), priority: 6 },
  { header: 'WAVE', value: (r) => `${Math.min(r.currentWave + 1, r.waves.length)}/${r.waves.length}`, priority: 7 },
  { header: 'TARGET', value: (r) => ('environment' in r.target ? r.target.environment : r.target.gateway), priority: 5 },
];

/** The deploy flags of a progressive rollout (deploy.ts adds them to its own). */
export function strategyFlags<C extends { option(flags: string, description: string, parse?: (value: string, previous: string[]) => string[]): C }>(command: C): C {
  return command
    .option('--strategy <strategy>', 'all (default: every gateway at once) or canary (in waves, gated)')
    .option('--steps <steps>', 'canary: cumulative wave sizes in gateway-name order, counts or shares (default 1,100%)')
    .option('--pause <duration>', 'canary: wait after each wave before its gates (30s, 2m; default 0)')
    .option('--gate <gate>', 'canary: health=ACTIVE, errorRate<N%, averageLatency<Nms, p99Latency<Nms (repeatable)', collect)
    .option('--no-rollback', 'canary: leave the completed waves on the new revision when a gate fails');
}

export const history = defineCommand<[resource: string]>({
  examples: ['agentgw resource history LlmProvider/openai-provider'],
  run: (invocation, [resource]) => historyCommand(invocation, resource),
});

type RollbackFlags = { env?: string; gateway?: string; toRevision?: string; concurrency?: string };
export const rollback = defineCommand<[resource: string], RollbackFlags>({
  flags: (command) =>
    command
      .option('--env <env>', 'the gateways of this environment')
      .option('--gateway <gateway>', 'this gateway only')
      .option('--to-revision <n>', 'the revision to go back to')
      .option('--concurrency <n>', 'gateways called at once (default 32)'),
  examples: ['agentgw rollback LlmProvider/openai-provider --env production', 'agentgw rollback LlmProvider/openai-provider --gateway edge-1 --to-revision 3'],
  run: (invocation, [resource], flags) => rollbackCommand(invocation, resource, flags),
});

export const list = defineCommand<[], { state?: string }>({
  flags: (command) => command.option('--state <state>', 'only those running, paused, succeeded, failed, rolled_back or aborted'),
  notes: columnsOf(ROLLOUT_COLUMNS),
  examples: ['agentgw rollout list --state running'],
  run: (invocation, _args, flags) => rolloutList(invocation, flags),
});

export const status = defineCommand<[id: string]>({
  examples: ['agentgw rollout status 4f0c…'],
  run: (invocation, [id]) => rolloutStatus(invocation, id),
});

const action = (verb: 'pause' | 'resume' | 'abort') =>
  defineCommand<[id: string]>({ examples: [`agentgw rollout ${verb} ID`], run: (invocation, [id]) => rolloutAction(verb)(invocation, id) });
export const pause = action('pause');
export const resume = action('resume');
export const abort = action('abort');
