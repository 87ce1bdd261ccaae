/**
 * Resources and deployments (`/api/v1/resources…`, `/api/v1/deployments…`, `/api/v1/drift`):
 * apply manifests, deploy and undeploy them to an environment or a gateway, see what runs where
 * (list, matrix) and what differs from it on the gateways (drift). Manifests are validated by the
 * services, so both modes report a bad one with the same fields and words.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEPLOYMENT_STATUSES } from '../../domain/resources.js';
import { RESOURCE_KINDS } from '../../adapters/adapter.js';
import { actingAs } from '../../domain/acting.js';
import { actorOf } from '../auth.js';
import { DeploymentService, MAX_DEPLOY_CONCURRENCY } from '../../services/deployments/index.js';
import { ResourceService } from '../../services/resources.js';
import type { RouteOptions } from '../http.js';
import { problemResponses, Reference } from '../schemas.js';

const tags = ['deployments'];
const OpenObject = (description: string) => Type.Object({}, { additionalProperties: true, description });
const oneOf = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const nullable = <T extends ReturnType<typeof Type.Integer> | ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const ResourceSchema = Type.Object({
  uuid: Type.String({ format: 'uuid' }),
  kind: oneOf(RESOURCE_KINDS),
  name: Type.String(),
  apiVersion: Type.String(),
  metadata: OpenObject('name, labels and annotations of the manifest'),
  spec: OpenObject('the spec as applied'),
  revision: Type.Integer({ minimum: 1, description: 'each apply with a changed manifest adds one' }),
  specDigest: Type.String({ description: 'SHA-256 of the canonical apiVersion, labels, annotations and spec' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const AppliedSchema = Type.Intersect([ResourceSchema, Type.Object({ action: oneOf(['created', 'updated', 'unchanged']) })]);

const DeploymentSchema = Type.Object({
  uuid: Type.String({ format: 'uuid' }),
  name: Type.String({ description: 'Kind/name@gateway' }),
  resource: Type.Object({ uuid: Type.String(), kind: oneOf(RESOURCE_KINDS), name: Type.String(), revision: Type.Integer() }),
  gateway: Type.Object({ uuid: Type.String(), name: Type.String() }),
  status: oneOf(DEPLOYMENT_STATUSES),
  operation: oneOf(['deploy', 'undeploy']),
  revision: Type.Integer({ description: 'the revision the last operation was about' }),
  deployedRevision: nullable(Type.Integer({ description: 'the revision last confirmed on the gateway' })),
  errorMessage: nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const DeployReportSchema = Type.Object(
  {
    resource: Type.Object({ uuid: Type.String(), kind: Type.String(), name: Type.String(), revision: Type.Integer() }),
    target: Type.Object({ environment: Type.Optional(Type.String()), gateway: Type.Optional(Type.String()) }),
    operation: oneOf(['deploy', 'undeploy']),
    dryRun: Type.Boolean(),
    concurrency: Type.Integer(),
    results: Type.Array(
      Type.Object({
        gateway: Type.String(),
        gatewayId: Type.String(),
        action: oneOf(['create', 'update', 'no-op', 'skip', 'remove']),
        status: Type.Union([oneOf(DEPLOYMENT_STATUSES), Type.Null()]),
        revision: Type.Integer(),
        reachable: Type.Optional(Type.Boolean({ description: 'dry run: whether the gateway answered' })),
        ok: Type.Boolean(),
        error: nullable(Type.String()),
        detail: nullable(Type.String()),
      }),
    ),
    summary: Type.Object({ total: Type.Integer(), changed: Type.Integer(), unchanged: Type.Integer(), skipped: Type.Integer(), failed: Type.Integer() }),
  },
  { description: 'per-gateway outcome; summary.failed > 0 means some targets did not converge' },
);

const MatrixSchema = Type.Object({
  environment: Type.Object({ uuid: Type.String(), name: Type.String() }),
  gateways: Type.Array(Type.Object({ uuid: Type.String(), name: Type.String(), type: Type.String(), status: Type.String() })),
  resources: Type.Array(
    Type.Object({
      uuid: Type.String(),
      kind: Type.String(),
      name: Type.String(),
      revision: Type.Integer(),
      cells: Type.Record(Type.String(), Type.Union([OpenObject('status, revision, deployedRevision, current'), Type.Null()]), {
        description: 'by gateway name; null where the resource has no deployment',
      }),
    }),
  ),
});

const DriftSchema = Type.Object({
  environment: Type.Object({ uuid: Type.String(), name: Type.String() }),
  inSync: Type.Boolean(),
  gatewaysChecked: Type.Integer(),
  items: Type.Array(
    Type.Object({
      gateway: Type.String(),
      gatewayId: Type.String(),
      drift: oneOf(['missing', 'unexpected', 'outdated', 'modified', 'unreachable']),
      kind: nullable(Type.String()),
      name: nullable(Type.String()),
      expectedRevision: nullable(Type.Integer()),
      actualRevision: nullable(Type.Integer()),
      detail: Type.String(),
    }),
  ),
  summary: OpenObject('items per kind of drift'),
});

const DeployBody = Type.Object(
  {
    resource: Reference('Kind/name, a name only one kind has, or a uuid'),
    environment: Type.Optional(Reference('every fitting gateway of this environment (name or uuid)')),
    gateway: Type.Optional(Reference('this gateway (name or uuid)')),
    dryRun: Type.Optional(Type.Boolean({ description: 'report the plan, change nothing' })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DEPLOY_CONCURRENCY, description: 'gateways called at once (default 32)' })),
  },
  { additionalProperties: false },
);
const UndeployQuery = Type.Object(
  {
    resource: Reference('Kind/name, a name only one kind has, or a uuid'),
    environment: Type.Optional(Reference('an environment (name or uuid)')),
    gateway: Type.Optional(Reference('a gateway (name or uuid)')),
    dryRun: Type.Optional(Type.Boolean({ description: 'report what would be removed (asking each gateway), change nothing' })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DEPLOY_CONCURRENCY })),
  },
  { additionalProperties: false },
);
const ListDeploymentsQuery = Type.Object(
  {
    environment: Type.Optional(Reference('deployments on the gateways of this environment')),
    gateway: Type.Optional(Reference('deployments on this gateway')),
    resource: Type.Optional(Reference('deployments of this resource')),
  },
  { additionalProperties: false },
);
const EnvironmentQuery = Type.Object({ environment: Reference('an environment (name or uuid)') }, { additionalProperties: false });
const ListResourcesQuery = Type.Object(
  { kind: Type.Optional(Reference('a resource kind, e.g. LlmProvider')), name: Type.Optional(Reference('the metadata.name')) },
  { additionalProperties: false },
);
const KindNameParams = Type.Object({ kind: Reference('a resource kind, e.g. LlmProvider'), name: Reference('the metadata.name') });
const RefParams = Type.Object({ ref: Reference('a uuid, or a name only one kind has') });

export async function deploymentRoutes(app: FastifyInstance, { runtime }: RouteOptions): Promise<void> {
  const services = (request: FastifyRequest) => {
    const context = runtime.context(request.organizationId, actorOf(request));
    return { resources: new ResourceService(context), deployments: actingAs(context.actor, new DeploymentService(context)) };
  };

  app.post(
    '/resources',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Apply manifests (one, or a list): all are validated before any is stored; a changed manifest is a new revision',
        body: Type.Unknown({ description: 'a gateway-controller manifest {apiVersion, kind, metadata, spec}, or a list of them' }),
        response: { 200: Type.Object({ resources: Type.Array(AppliedSchema) }), 201: Type.Object({ resources: Type.Array(AppliedSchema) }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const resources = await services(request).resources.apply(request.body);
      void reply.code(resources.some((r) => r.action === 'created') ? 201 : 200);
      return { resources };
    },
  );

  app.get<{ Querystring: Static<typeof ListResourcesQuery> }>(
    '/resources',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'List resources', querystring: ListResourcesQuery, response: { 200: Type.Object({ resources: Type.Array(ResourceSchema) }), ...problemResponses } },
    },
    async (request) => ({ resources: await services(request).resources.list(request.query) }),
  );

  for (const [path, params, refOf] of [
    ['/resources/:kind/:name', KindNameParams, (p: Record<string, string>) => `${p.kind}/${p.name}`],
    ['/resources/:ref', RefParams, (p: Record<string, string>) => p.ref!],
  ] as const) {
    app.get(
      path,
      { config: { scope: 'read' }, schema: { tags, summary: 'Get a resource (its latest revision)', params, response: { 200: ResourceSchema, ...problemResponses } } },
      async (request) => services(request).resources.get(refOf(request.params as Record<string, string>)),
    );
    app.delete(
      path,
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Delete a resource and its revisions (409 while it is deployed)',
          params,
          response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses },
        },
      },
      async (request, reply) => {
        await services(request).resources.delete(refOf(request.params as Record<string, string>));
        return reply.code(204).send();
      },
    );
  }

  app.post<{ Body: Static<typeof DeployBody> }>(
    '/deployments',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Deploy a resource to every fitting gateway of an environment, or to one gateway (dryRun: the plan only)',
        body: DeployBody,
        response: { 200: DeployReportSchema, ...problemResponses },
      },
    },
    async (request) => services(request).deployments.deploy(request.body),
  );

  app.delete<{ Querystring: Static<typeof UndeployQuery> }>(
    '/deployments',
    {
      config: { scope: 'write' },
      schema: { tags, summary: 'Undeploy a resource from an environment or a gateway (dryRun: the plan only)', querystring: UndeployQuery, response: { 200: DeployReportSchema, ...problemResponses } },
    },
    async (request) => services(request).deployments.undeploy(request.query),
  );

  app.get<{ Querystring: Static<typeof ListDeploymentsQuery> }>(
    '/deployments',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'List deployments, by environment, gateway and/or resource',
        querystring: ListDeploymentsQuery,
        response: { 200: Type.Object({ deployments: Type.Array(DeploymentSchema) }), ...problemResponses },
      },
    },
    async (request) => ({ deployments: await services(request).deployments.list(request.query) }),
  );

  app.get<{ Querystring: Static<typeof EnvironmentQuery> }>(
    '/deployments/matrix',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Resources × gateways of an environment', querystring: EnvironmentQuery, response: { 200: MatrixSchema, ...problemResponses } },
    },
    async (request) => services(request).deployments.matrix(request.query.environment),
  );

  app.get<{ Querystring: Static<typeof EnvironmentQuery> }>(
    '/drift',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'What the gateways of an environment hold against what the control plane wants there',
        querystring: EnvironmentQuery,
        response: { 200: DriftSchema, ...problemResponses },
      },
    },
    async (request) => services(request).deployments.drift(request.query.environment),
  );
}
