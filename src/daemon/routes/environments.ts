/**
 * The seed's environment endpoints (`/api/v1/environments…`), plus the gateways of an
 * environment. `{id}` is a uuid or a name.
 */
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ForbiddenError } from '../../domain/errors.js';
import { etag, ifMatchVersion, servicesFor, type RouteOptions } from '../http.js';
import {
  CreateEnvironmentBody,
  DeleteEnvironmentQuery,
  EnvironmentListSchema,
  EnvironmentSchema,
  GatewayListSchema,
  IdParams,
  ListEnvironmentsQuery,
  problemResponses,
  UpdateEnvironmentBody,
} from '../schemas.js';

const tags = ['environments'];

export async function environmentRoutes(app: FastifyInstance, { runtime }: RouteOptions): Promise<void> {
  app.post<{ Body: Static<typeof CreateEnvironmentBody> }>(
    '/environments',
    {
      config: { scope: 'write' },
      schema: { tags, summary: 'Create an environment', body: CreateEnvironmentBody, response: { 201: EnvironmentSchema, ...problemResponses } },
    },
    async (request, reply) => {
      const created = await servicesFor(runtime, request).environments.create(request.body);
      void reply.code(201).header('etag', etag(1)).header('location', `/api/v1/environments/${created.uuid}`);
      return created;
    },
  );

  app.get<{ Querystring: Static<typeof ListEnvironmentsQuery> }>(
    '/environments',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'List environments', querystring: ListEnvironmentsQuery, response: { 200: EnvironmentListSchema, ...problemResponses } },
    },
    async (request) => {
      const { organizationId } = request.query;
      if (organizationId !== undefined && organizationId.toLowerCase() !== request.organizationId) {
        throw new ForbiddenError(`organization ${organizationId} is not this caller’s organization (${request.organizationId})`, {
          hint: 'a token sees only its own organization; omit organizationId',
        });
      }
      return { environments: await servicesFor(runtime, request).environments.list() };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/environments/:id',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Get an environment', params: IdParams, response: { 200: EnvironmentSchema, ...problemResponses } },
    },
    async (request, reply) => {
      const { environment, version } = await servicesFor(runtime, request).environments.getVersioned(request.params.id);
      void reply.header('etag', etag(version));
      return environment;
    },
  );

  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateEnvironmentBody> }>(
    '/environments/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Update an environment (If-Match honoured)',
        params: IdParams,
        body: UpdateEnvironmentBody,
        response: { 200: EnvironmentSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { environments } = servicesFor(runtime, request);
      // Always a conditional write (on the version just read when no If-Match came), so the
      // ETag of the answer is exactly the version this update produced.
      const ifVersion = ifMatchVersion(request) ?? (await environments.version(request.params.id));
      const updated = await environments.update(request.params.id, request.body, { ifVersion });
      void reply.header('etag', etag(ifVersion + 1));
      return updated;
    },
  );

  app.delete<{ Params: Static<typeof IdParams>; Querystring: Static<typeof DeleteEnvironmentQuery> }>(
    '/environments/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Delete an environment (refused while gateways are in it, unless ?force=true)',
        params: IdParams,
        querystring: DeleteEnvironmentQuery,
        response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const ifVersion = ifMatchVersion(request);
      await servicesFor(runtime, request).environments.delete(request.params.id, {
        force: request.query.force === true,
        ...(ifVersion === undefined ? {} : { ifVersion }),
      });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/environments/:id/gateways',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'List the gateways of an environment', params: IdParams, response: { 200: GatewayListSchema, ...problemResponses } },
    },
    async (request) => ({ gateways: await servicesFor(runtime, request).environments.gateways(request.params.id) }),
  );
}
