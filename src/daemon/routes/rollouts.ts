/**
 * Revision history, rollback and progressive rollouts: `GET /resources/{kind}/{name}/revisions`,
 * `POST /deployments/rollback`, `POST/GET /rollouts`, `GET /rollouts/{id}` and
 * `POST /rollouts/{id}/pause|resume|abort`. A rollout runs in the daemon after the POST answers
 * (201); clients follow it with GET until it is no longer running.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actingAs } from '../../domain/acting.js';
import { ROLLOUT_STATES } from '../../domain/rollouts.js';
import { DeploymentService, MAX_DEPLOY_CONCURRENCY } from '../../services/deployments/index.js';
import { ResourceService } from '../../services/resources.js';
import { RolloutService } from '../../services/rollouts/index.js';
import { MAX_PAUSE_MS } from '../../services/rollouts/plan.js';
import { actorOf } from '../auth.js';
import type { RouteOptions } from '../http.js';
import { problemResponses, Reference } from '../schemas.js';

const tags = ['rollouts'];
const OpenObject = (description: string) => Type.Object({}, { additionalProperties: true, description });
const Concurrency = Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DEPLOY_CONCURRENCY, description: 'gateways called at once (default 32)' }));

const RollbackBody = Type.Object(
  {
    resource: Reference('Kind/name, a name only one kind has, or a uuid'),
    environment: Type.Optional(Reference('every gateway of this environment that runs another revision')),
    gateway: Type.Optional(Reference('this gateway (name or uuid)')),
    toRevision: Type.Optional(Type.Integer({ minimum: 1, description: 'the revision to go back to (default: the one before the latest)' })),
    concurrency: Concurrency,
  },
  { additionalProperties: false },
);
const RolloutBody = Type.Object(
  {
    resource: Reference('Kind/name, a name only one kind has, or a uuid'),
    environment: Type.Optional(Reference('the gateways of this environment that fit the kind, in name order')),
    gateway: Type.Optional(Reference('one gateway (name or uuid)')),
    strategy: Type.Optional(Type.Literal('canary')),
    steps: Type.Array(Type.String({ minLength: 1, maxLength: 16 }), { minItems: 1, maxItems: 100, description: 'cumulative wave sizes: a count (1) or a share (25%); the last reaches every gateway' }),
    pauseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PAUSE_MS, description: 'wait after each wave before its gates' })),
    gates: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20, description: 'health=ACTIVE, errorRate<N%, averageLatency<Nms, p99Latency<Nms' })),
    noRollback: Type.Optional(Type.Boolean({ description: 'leave the completed waves on the new revision when a gate fails' })),
    concurrency: Concurrency,
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'the rollout' }) });
const ListQuery = Type.Object({ state: Type.Optional(Type.Union(ROLLOUT_STATES.map((s) => Type.Literal(s)))) }, { additionalProperties: false });
const RolloutSchema = OpenObject('a rollout: plan, waves with their gate results, state');

export async function rolloutRoutes(app: FastifyInstance, { runtime }: RouteOptions): Promise<void> {
  const context = (request: FastifyRequest) => runtime.context(request.organizationId, actorOf(request));
  // Deployment events are written by the repository, which learns the actor from acting.ts.
  const deploymentsFor = (request: FastifyRequest) => actingAs(actorOf(request), new DeploymentService(context(request)));
  const rolloutsFor = (request: FastifyRequest) => actingAs(actorOf(request), new RolloutService(context(request)));

  app.get<{ Params: { kind: string; name: string } }>(
    '/resources/:kind/:name/revisions',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Every revision of a resource, with time, actor and a diff of the manifests (secret values never shown)',
        params: Type.Object({ kind: Reference('a resource kind'), name: Reference('the metadata.name') }),
        response: { 200: OpenObject('the resource and its revisions, oldest first'), ...problemResponses },
      },
    },
    async (request) => new ResourceService(context(request)).history(`${request.params.kind}/${request.params.name}`),
  );

  app.post<{ Body: Static<typeof RollbackBody> }>(
    '/deployments/rollback',
    {
      config: { scope: 'write' },
      schema: { tags, summary: 'Deploy an earlier revision to every gateway of an environment (or one gateway) that runs another one', body: RollbackBody, response: { 200: OpenObject('the deploy report'), ...problemResponses } },
    },
    async (request) => deploymentsFor(request).rollback(request.body),
  );

  app.post<{ Body: Static<typeof RolloutBody> }>(
    '/rollouts',
    {
      config: { scope: 'write' },
      schema: { tags, summary: 'Start a progressive rollout of a resource’s latest revision; it runs on in the daemon', body: RolloutBody, response: { 201: RolloutSchema, ...problemResponses } },
    },
    async (request, reply) => {
      const rollout = await rolloutsFor(request).start(request.body);
      void reply.code(201).header('location', `/api/v1/rollouts/${rollout.uuid}`);
      return rollout;
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/rollouts',
    { config: { scope: 'read' }, schema: { tags, summary: 'List rollouts, newest first', querystring: ListQuery, response: { 200: Type.Object({ rollouts: Type.Array(RolloutSchema) }), ...problemResponses } } },
    async (request) => ({ rollouts: await rolloutsFor(request).list(request.query) }),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/rollouts/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'A rollout, its waves and their gate results', params: IdParams, response: { 200: RolloutSchema, ...problemResponses } } },
    async (request) => rolloutsFor(request).get(request.params.id),
  );

  for (const action of ['pause', 'resume', 'abort'] as const) {
    app.post<{ Params: Static<typeof IdParams> }>(
      `/rollouts/:id/${action}`,
      { config: { scope: 'write' }, schema: { tags, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a rollout`, params: IdParams, response: { 200: RolloutSchema, ...problemResponses } } },
      async (request) => rolloutsFor(request)[action](request.params.id),
    );
  }
}
