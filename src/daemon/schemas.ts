/**
 * The REST API's request and response schemas (TypeBox, i.e. JSON Schema), in the seed's field
 * names. The routes validate with them and `/openapi.json` is generated from them, so the
 * documentation cannot drift from what the daemon accepts.
 *
 * Rules the services enforce themselves (name pattern, lengths) are documented here but marked
 * {@link CHECKED_BY_SERVICE}: the validator skips them so both modes report them with the same
 * message (the services' own).
 */
import { FormatRegistry, Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { DESCRIPTION_MAX, DISPLAY_NAME_MAX, NAME_MAX, NAME_PATTERN } from '../domain/validation.js';
import { ADAPTER_TYPES, GATEWAY_STATUSES, GATEWAY_TYPES, HEALTH_ERROR_CLASSES } from '../domain/types.js';
import { MAX_PAGE_SIZE } from '../services/pagination.js';

/** Marks constraints the services check (and word) themselves. */
export const CHECKED_BY_SERVICE = 'x-checked-by-service';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (value) => UUID_PATTERN.test(value));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)));

/** A string enum as a union of literals, typed as the union of its values. */
function oneOf<T extends string>(values: readonly T[], description?: string): TUnion<TLiteral<T>[]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    description === undefined ? {} : { description },
  );
}
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
const OpenObject = (description: string) => Type.Object({}, { additionalProperties: true, description });

const Name = Type.String({
  minLength: 1,
  maxLength: NAME_MAX,
  pattern: NAME_PATTERN,
  [CHECKED_BY_SERVICE]: true,
  description: 'lower-case letters, digits and "-"; unique in the organization',
});
const DisplayName = Type.String({ minLength: 1, maxLength: DISPLAY_NAME_MAX, [CHECKED_BY_SERVICE]: true });
const Description = nullable(Type.String({ maxLength: DESCRIPTION_MAX, [CHECKED_BY_SERVICE]: true }));

export const GatewayTypeSchema = oneOf(GATEWAY_TYPES);
export const GatewayStatusSchema = oneOf(GATEWAY_STATUSES);

// ---------------------------------------------------------------- resources (responses)

export const EnvironmentSummarySchema = Type.Object({ uuid: Uuid, name: Type.String(), displayName: Type.String() });

export const EnvironmentSchema = Type.Object(
  {
    uuid: Uuid,
    organizationId: Uuid,
    name: Type.String(),
    displayName: Type.String(),
    description: nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }
);

export const GatewaySchema = Type.Object(
  {
    uuid: Uuid,
    organizationId: Uuid,
    name: Type.String(),
    displayName: Type.String(),
    type: GatewayTypeSchema,
    status: GatewayStatusSchema,
    statusChangedAt: Timestamp,
    endpoint: nullable(Type.String()),
    controlPlaneUrl: nullable(Type.String()),
    region: nullable(Type.String()),
    adapterType: oneOf(ADAPTER_TYPES),
    adapterConfig: OpenObject('the adapter settings as stored; every secret reads as {"set": true}'),
    environments: Type.Array(EnvironmentSummarySchema),
    metadata: OpenObject('free-form labels given at registration'),
    lastHeartbeat: nullable(Timestamp),
    lastCheckedAt: nullable(Timestamp),
    responseTimeMs: nullable(Type.Integer()),
    errorMessage: nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Type.Integer({ minimum: 1, description: 'optimistic-concurrency version; the ETag is "v<version>"' }),
  }
);

export const GatewayHealthSchema = Type.Object(
  {
    gatewayId: Uuid,
    status: GatewayStatusSchema,
    lastHeartbeat: nullable(Timestamp),
    responseTime: nullable(Type.String({ description: 'e.g. "45ms"' })),
    responseTimeMs: nullable(Type.Integer()),
    errorMessage: nullable(Type.String()),
    errorClass: nullable(oneOf(HEALTH_ERROR_CLASSES)),
    checkedAt: nullable(Timestamp),
  }
);

const count = nullable(Type.Integer({ minimum: 0 }));
const rate = nullable(Type.Number({ minimum: 0 }));
export const GatewayMetricsSchema = Type.Object(
  {
    gatewayId: Uuid,
    resourceCount: count,
    providerCount: count,
    proxyCount: count,
    mcpCount: count,
    requestRate: rate,
    errorRate: rate,
    averageLatency: nullable(Type.String({ description: 'e.g. "120ms"' })),
    averageLatencyMs: rate,
    p99Latency: nullable(Type.String({ description: 'e.g. "480ms": 99th percentile since the previous read' })),
    p99LatencyMs: rate,
    unavailable: Type.Record(Type.String(), Type.String(), { description: 'for each null field: why it is unavailable' }),
    timestamp: Timestamp,
    deploymentCount: Type.Optional(Type.Integer({ minimum: 0, description: 'the control plane’s view: resources its deployment records say the gateway holds' })),
  }
);

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'stable error code, e.g. AGW_NOT_FOUND' }),
    hint: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    details: Type.Optional(OpenObject('machine-readable context of the error')),
    exitCode: Type.Optional(Type.Integer({ description: 'the exit code the agentgw CLI ends with for this error' })),
  },
  { description: 'RFC 9457 problem details' },
);

export const EnvironmentListSchema = Type.Object({ environments: Type.Array(EnvironmentSchema) });
export const GatewayListSchema = Type.Object({
  gateways: Type.Array(GatewaySchema),
  nextCursor: Type.Optional(nullable(Type.String({ description: 'pass as ?cursor= for the next page; null on the last page' }))),
});
export const MappingCreatedSchema = Type.Object({ environments: Type.Array(EnvironmentSchema) });

// ---------------------------------------------------------------- requests

/**
 * The longest reference a request may carry: a uuid, or the longest name of anything agentgw
 * stores (a resource's metadata.name, 253 as in Kubernetes). Bounded here so that a problem that
 * repeats what was asked for ("no gateway named …") never echoes megabytes back.
 */
const REFERENCE_MAX = 253;
/** A uuid or a name, in a path or a query. */
export const Reference = (description: string) => Type.String({ minLength: 1, maxLength: REFERENCE_MAX, description });

export const IdParams = Type.Object({ id: Reference('a uuid or a name') });
export const MappingParams = Type.Object({
  id: Reference('the gateway: a uuid or a name'),
  envId: Reference('the environment: a uuid or a name'),
});

export const CreateEnvironmentBody = Type.Object(
  {
    name: Name,
    displayName: Type.Optional(DisplayName),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);

export const UpdateEnvironmentBody = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);

export const ListEnvironmentsQuery = Type.Object(
  { organizationId: Type.Optional(Type.String({ format: 'uuid', description: 'must be the caller’s organization' })) },
  { additionalProperties: false },
);

export const RegisterGatewayQuery = Type.Object(
  {
    keepFailed: Type.Optional(
      Type.Boolean({ description: 'with Prefer: wait, keep a cloud gateway whose provisioning failed (in ERROR) instead of releasing it' }),
    ),
  },
  { additionalProperties: false },
);

export const RegisterGatewayHeaders = Type.Object({
  prefer: Type.Optional(
    Type.String({
      description:
        'RFC 7240. `wait=N`: for a gateway that is still provisioning (cloud), answer once it is ACTIVE (201, with its endpoint) or failed (a problem, released unless keepFailed), or after N seconds (201 PROVISIONING); the answer carries Preference-Applied',
    }),
  ),
});

export const DeleteGatewayQuery = Type.Object(
  { drain: Type.Optional(Type.Boolean({ description: 'undeploy every resource from the gateway first, instead of refusing with 409' })) },
  { additionalProperties: false },
);

export const DeleteEnvironmentQuery = Type.Object(
  { force: Type.Optional(Type.Boolean({ description: 'remove the environment’s gateway mappings instead of refusing' })) },
  { additionalProperties: false },
);

const AdapterConfig = Type.Object(
  {
    controlPlaneUrl: Type.Optional(Type.Unknown({ description: 'on-premise: the gateway-controller management URL (required)' })),
    adminUrl: Type.Optional(Type.Unknown({ description: 'on-premise: the admin URL for health' })),
    metricsUrl: Type.Optional(Type.Unknown({ description: 'on-premise: the Prometheus endpoint' })),
    apiBasePath: Type.Optional(Type.Unknown({ description: 'on-premise: auto, /api/management/v1 or "" (legacy)' })),
    username: Type.Optional(Type.Unknown()),
    password: Type.Optional(Type.Unknown({ description: 'secret: stored encrypted, read back as {"set": true}; null removes it' })),
    token: Type.Optional(Type.Unknown({ description: 'secret' })),
    region: Type.Optional(Type.Unknown({ description: 'cloud: e.g. us-east-1' })),
    tier: Type.Optional(Type.Unknown({ description: 'cloud: e.g. premium' })),
    autoScaling: Type.Optional(Type.Unknown({ description: 'cloud: {minInstances, maxInstances}' })),
  },
  { additionalProperties: true, description: 'adapter-specific settings, checked by the active adapter' },
);

export const RegisterGatewayBody = Type.Object(
  {
    name: Name,
    displayName: Type.Optional(DisplayName),
    gatewayType: GatewayTypeSchema,
    environmentIds: Type.Optional(Type.Array(Reference('an environment uuid or name'), { description: 'environment uuids or names' })),
    adapterConfig: Type.Optional(AdapterConfig),
    metadata: Type.Optional(OpenObject('free-form labels')),
    allowDuplicateUrl: Type.Optional(Type.Boolean({ description: 'register it even though another gateway has the same control-plane URL (409 AGW_DUPLICATE_URL otherwise)' })),
  },
  { additionalProperties: false },
);

export const UpdateGatewayBody = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    adapterConfig: Type.Optional(AdapterConfig),
  },
  { additionalProperties: false },
);

export const ListGatewaysQuery = Type.Object(
  {
    type: Type.Optional(GatewayTypeSchema),
    environment: Type.Optional(Reference('an environment uuid or name')),
    status: Type.Optional(GatewayStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `page size (default 100, at most ${MAX_PAGE_SIZE})` })),
    cursor: Type.Optional(Type.String({ minLength: 1, description: 'the nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const HealthzSchema = Type.Object({ status: Type.Literal('ok'), adapter: Type.String(), version: Type.String() });
export const ReadyzSchema = Type.Object({ status: Type.Literal('ready') });

/** Problem responses every API route may give, for the OpenAPI document. */
// ---------------------------------------------------------------- API tokens (admin scope)

const TokenScopeSchema = oneOf(['read', 'write', 'admin'] as const);

export const ApiTokenSchema = Type.Object({
  uuid: Uuid,
  organizationId: Uuid,
  name: Type.String(),
  scope: TokenScopeSchema,
  status: oneOf(['active', 'expired', 'revoked'] as const),
  createdAt: Timestamp,
  expiresAt: nullable(Timestamp),
  lastUsedAt: nullable(Timestamp),
  revokedAt: nullable(Timestamp),
});

export const CreatedTokenSchema = Type.Intersect([
  ApiTokenSchema,
  Type.Object({ token: Type.String({ description: 'the token itself: shown in this answer only, stored as a SHA-256 digest' }) }),
]);

export const TokenListSchema = Type.Object({ tokens: Type.Array(ApiTokenSchema) });

export const CreateTokenBody = Type.Object(
  {
    name: Name,
    scope: Type.Optional(TokenScopeSchema),
    expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'lifetime; absent: until revoked' })),
  },
  { additionalProperties: false },
);

export const TokenNameParams = Type.Object({ name: Reference('the token’s name') });

export const problemResponses = {
  '4xx': ProblemSchema,
  '5xx': ProblemSchema,
} as const;
