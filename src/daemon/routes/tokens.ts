/**
 * `/api/v1/tokens`: API tokens over REST, for tokens with the admin scope only (docs/security.md).
 * Tokens are made in the caller's organization. A daemon that does not require authentication
 * refuses these routes: anyone who can reach it could otherwise mint tokens that another,
 * authenticated daemon on the same database would accept.
 */
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../domain/errors.js';
import { TokenService } from '../../services/tokens.js';
import { actorOf } from '../auth.js';
import type { RouteOptions } from '../http.js';
import { CreatedTokenSchema, CreateTokenBody, ApiTokenSchema, problemResponses, TokenListSchema, TokenNameParams } from '../schemas.js';

const tags = ['tokens'];

export async function tokenRoutes(app: FastifyInstance, { runtime, authRequired }: RouteOptions & { authRequired: boolean }): Promise<void> {
  const tokensFor = (request: FastifyRequest): TokenService => {
    if (!authRequired) {
      throw new ForbiddenError('this daemon does not require authentication, so it does not manage tokens', {
        hint: 'manage tokens on the database (agentgw token … --database URL), or run the daemon with server.auth.required: true',
      });
    }
    return new TokenService(runtime.context(request.organizationId, actorOf(request)));
  };

  app.get(
    '/tokens',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'List the organization’s API tokens (never the tokens themselves)', response: { 200: TokenListSchema, ...problemResponses } },
    },
    async (request) => ({ tokens: await tokensFor(request).list() }),
  );

  app.post<{ Body: Static<typeof CreateTokenBody> }>(
    '/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create an API token; the answer is the only time the token is shown',
        body: CreateTokenBody,
        response: { 201: CreatedTokenSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { name, scope, expiresInSeconds } = request.body;
      const created = await tokensFor(request).create({
        name,
        ...(scope === undefined ? {} : { scope }),
        ...(expiresInSeconds === undefined ? {} : { expiresInMs: expiresInSeconds * 1000 }),
      });
      // The token is a secret: no cache may keep this answer.
      void reply.code(201).header('cache-control', 'no-store');
      return created;
    },
  );

  app.delete<{ Params: Static<typeof TokenNameParams> }>(
    '/tokens/:name',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Revoke an API token at once (revoking it again is not an error)',
        params: TokenNameParams,
        response: { 200: ApiTokenSchema, ...problemResponses },
      },
    },
    async (request) => tokensFor(request).revoke(request.params.name),
  );
}
