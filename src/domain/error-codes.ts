/**
 * The registry of agentgw's error codes, after Fastify's `lib/errors.js`: each `AGW_*` code is
 * declared here once, with the HTTP status the daemon answers with, the exit code the CLI ends
 * with, a title, and the next step a person can take when the place that failed knows no better
 * one. `new AgentgwError('AGW_…', message)` looks the rest up here; `agentgw help errors` and
 * docs/errors.md (`npm run generate:errors`) are printed from it, and the problem+json `type` of
 * each code points at its entry on that page.
 *
 * @example
 * throw new AgentgwError('AGW_GATEWAY_UNREADABLE', `gateway "${name}" could not be read`);
 */
import { ExitCode } from './exit-codes.js';

export interface ErrorSpec {
  /** HTTP status of the daemon's problem+json answer. */
  status: number;
  /** The CLI's exit code, in local and remote mode alike (`agentgw help exit-codes`). */
  exit: ExitCode;
  title: string;
  /** What to do next; shown when the error does not bring a more specific hint (unless generalHint). */
  hint: string;
  /**
   * The hint is documentation only: the message of each such error names what to change, and a
   * general line under it ("see --help") would only be noise.
   */
  generalHint?: true;
  /** The status is not fixed: it is the one the failing exchange had (given where it is made). */
  statusVaries?: true;
  /** Not an expected failure but a bug in agentgw: the CLI asks for a report. */
  bug?: true;
}

/** What the CLI says after an unexpected failure, a bug (see commands/report-error.ts). */
export const REPORT_A_BUG = 'this is a bug in agentgw: please report it, with the command you ran and what it prints with AGENTGW_DEBUG=1';

/** Ways an outbound HTTP call fails before any answer (adapters/http's HttpFailureKind). */
export const TRANSPORT_FAILURES = ['timeout', 'refused', 'dns', 'tls', 'blocked', 'too_large', 'redirect', 'network', 'aborted'] as const;
export type TransportFailure = (typeof TRANSPORT_FAILURES)[number];

const conflict = (title: string, hint: string) => ({ status: 409, exit: ExitCode.conflict, title, hint }) as const;
/** A gateway (or the cloud provider) failed or answered badly: 502, exit 1 (exit 4 is agentgw's own token). */
const upstream = (title: string, hint: string) => ({ status: 502, exit: ExitCode.failure, title, hint }) as const;
const gone = (what: string) => conflict(`${what} deleted meanwhile`, 'another client changed it at the same time: look again (get or list) and retry');

const TRANSPORT: Record<TransportFailure, [title: string, hint: string]> = {
  timeout: ['call timed out', 'check that it is up and not overloaded; raise gateway.adapter.onPremise.defaultTimeout if it is only slow'],
  refused: ['connection refused', 'check the URL (host and port) and that the service is running'],
  dns: ['host name not found', 'check the host name in the URL, and the DNS of this machine'],
  tls: ['TLS handshake failed', 'check the certificate: pass --ca-cert with the CA that signed it (or --insecure-skip-verify, logged)'],
  blocked: ['blocked by the egress policy', 'the address is one agentgw never calls (link-local, metadata, …) or network.egress refuses; see docs/security.md'],
  too_large: ['answer too large', 'the answer exceeded agentgw’s size cap; check that the URL is the right service'],
  redirect: ['answered with a redirect', 'redirects are never followed: use the URL it redirects to'],
  network: ['network error', 'check the network between this machine and the service, then retry'],
  aborted: ['call aborted', 'the call was cancelled (a signal or a shutdown); run the command again'],
};

type TransportCode<P extends string> = `AGW_${P}_${Uppercase<TransportFailure>}`;

function transportCodes<P extends string>(prefix: P, who: string): Record<TransportCode<P>, ReturnType<typeof upstream>> {
  const entries = TRANSPORT_FAILURES.map((kind) => [`AGW_${prefix}_${kind.toUpperCase()}`, upstream(`${who}: ${TRANSPORT[kind][0]}`, TRANSPORT[kind][1])]);
  return Object.fromEntries(entries) as Record<TransportCode<P>, ReturnType<typeof upstream>>;
}

export const ERROR_CODES = {
  // Bad input and usage
  AGW_VALIDATION: { status: 400, exit: ExitCode.usage, title: 'Invalid input', hint: 'fix the field the message names and send it again', generalHint: true },
  AGW_USAGE: { status: 400, exit: ExitCode.usage, title: 'Usage error', hint: 'run the command with --help for its flags and examples', generalHint: true },
  AGW_CONFIG: {
    status: 500,
    exit: ExitCode.usage,
    title: 'Invalid configuration',
    hint: 'fix the key the message names; `agentgw config show` prints each value and where it came from',
  },
  AGW_BAD_REQUEST: { status: 400, exit: ExitCode.usage, title: 'Bad request', hint: 'check the request against GET /openapi.json', statusVaries: true },
  AGW_PAYLOAD_TOO_LARGE: { status: 413, exit: ExitCode.usage, title: 'Request body too large', hint: 'send less, or raise server.bodyLimit in the daemon’s config' },
  AGW_UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: ExitCode.usage, title: 'Request body is not JSON', hint: 'send the body as JSON, with Content-Type: application/json' },
  AGW_METHOD_NOT_ALLOWED: { status: 405, exit: ExitCode.usage, title: 'Method not allowed', hint: 'the Allow header lists the methods the path takes; see GET /openapi.json' },
  AGW_ROUTE_NOT_FOUND: { status: 404, exit: ExitCode.failure, title: 'No such route', hint: 'the API is under /api/v1; see GET /openapi.json' },
  AGW_NOT_FOUND: { status: 404, exit: ExitCode.failure, title: 'Not found', hint: 'list what exists (agentgw gateway list, env list, resource list, token list) and check the name or uuid' },
  AGW_DECLINED: { status: 400, exit: ExitCode.declined, title: 'Declined', hint: 'nothing was done; pass --yes to go ahead without a question' },
  AGW_INTERRUPTED: { status: 499, exit: ExitCode.interrupted, title: 'Interrupted', hint: 'run the same command again to finish what was left' },

  // agentgw's own access
  AGW_UNAUTHENTICATED: { status: 401, exit: ExitCode.auth, title: 'Token missing or refused', hint: 'pass --token (or AGENTGW_TOKEN) with a token from `agentgw token create`' },
  AGW_FORBIDDEN: { status: 403, exit: ExitCode.auth, title: 'Token lacks the scope', hint: 'use a token with the scope the operation needs: read, write or admin' },
  AGW_HOST_NOT_ALLOWED: {
    status: 403,
    exit: ExitCode.auth,
    title: 'Host name not allowed',
    hint: 'reach the daemon as http://127.0.0.1:PORT, or list its host name in server.allowedHosts',
  },

  // The daemon and its database
  AGW_UNAVAILABLE: {
    status: 503,
    exit: ExitCode.unreachable,
    title: 'Daemon or database unreachable',
    hint: 'check --server / AGENTGW_SERVER or --database / DATABASE_URL, and that it is running',
  },
  AGW_SCHEMA_PENDING: { status: 503, exit: ExitCode.failure, title: 'Database schema out of date', hint: 'run: agentgw migrate up' },
  AGW_SCHEMA_TOO_NEW: { status: 500, exit: ExitCode.failure, title: 'Database newer than agentgw', hint: 'upgrade agentgw; downgrading a database is not supported' },
  AGW_DATABASE_IN_USE: conflict('Database in use by another daemon', 'a SQLite database takes one daemon: stop the other one, or use PostgreSQL'),
  AGW_LISTEN_FAILED: { status: 500, exit: ExitCode.failure, title: 'Cannot listen', hint: 'pass another --port or --host' },
  AGW_BAD_RESPONSE: {
    status: 502,
    exit: ExitCode.failure,
    title: 'Not an agentgw answer',
    hint: 'check that --server / AGENTGW_SERVER is the URL `agentgw serve` printed',
    statusVaries: true,
  },
  AGW_INTERNAL: {
    status: 500,
    exit: ExitCode.failure,
    title: 'Internal error',
    hint: REPORT_A_BUG,
    bug: true,
  },

  // Conflicts with what is stored
  AGW_ENVIRONMENT_EXISTS: conflict('Environment exists', 'pick another name, or change the existing one with: agentgw env update'),
  AGW_GATEWAY_EXISTS: conflict('Gateway exists', 'pick another name, or change the existing one with: agentgw gateway update'),
  AGW_WEBHOOK_EXISTS: conflict('Webhook exists', 'pick another name, or delete the existing one first: agentgw webhook delete NAME'),
  AGW_TOKEN_EXISTS: conflict('Token exists', 'pick another name, or revoke the existing one first'),
  AGW_DUPLICATE_URL: conflict('Controller registered already', 'to register it under a second name anyway, pass --allow-duplicate-url'),
  AGW_ENVIRONMENT_IN_USE: conflict('Environment has gateways', 'remove the gateways from it first, or delete with --force'),
  AGW_ENVIRONMENT_HAS_DEPLOYMENTS: conflict('Environment has deployments', 'undeploy them first: agentgw undeploy RESOURCE --env ENV'),
  AGW_GATEWAY_HAS_DEPLOYMENTS: conflict('Gateway has deployments', 'undeploy them first, or delete with --drain'),
  AGW_RESOURCE_HAS_DEPLOYMENTS: conflict('Resource is deployed', 'undeploy it first: agentgw undeploy RESOURCE --env ENV'),
  AGW_GATEWAY_DECOMMISSIONING: conflict('Gateway being deleted', 'wait for the delete to finish: agentgw gateway get NAME'),
  AGW_DEPLOY_IN_PROGRESS: conflict('Deployments in progress', 'wait for them to settle (agentgw deployments --gateway NAME), then try again'),
  AGW_RESOURCE_CONFLICT: conflict('Resource changed concurrently', 'apply again'),
  AGW_MAPPING_TARGET_GONE: gone('Gateway or environment'),
  AGW_ENVIRONMENT_GONE: gone('Environment'),
  AGW_GATEWAY_GONE: gone('Gateway'),
  AGW_RESOURCE_GONE: gone('Resource'),
  AGW_ADAPTER_MISMATCH: conflict('Gateway of another adapter', 'set gateway.adapter.type to the gateway’s adapter, or register it again under the active one'),
  AGW_CLOUD_GATEWAY_EXISTS: conflict('Cloud gateway exists', 'pick another name, or delete the gateway at the provider first'),
  AGW_PRECONDITION_FAILED: {
    status: 412,
    exit: ExitCode.conflict,
    title: 'Stale version',
    hint: 'someone changed it since you read it: read it again and send the change with its new ETag',
  },
  AGW_ROLLOUT_IN_PROGRESS: conflict('Rollout unfinished', 'finish it first: agentgw rollout resume ID, or agentgw rollout abort ID'),
  AGW_ROLLOUT_RUNNING: conflict('Rollout running elsewhere', 'another live process runs it: follow it with agentgw rollout status ID'),
  AGW_ROLLOUT_CHANGED: conflict('Rollout changed meanwhile', 'look at it with: agentgw rollout status ID, and retry'),
  AGW_ROLLOUT_STATE: conflict('Rollout in another state', 'see its state with: agentgw rollout status ID'),
  AGW_REVISION_SECRETS_UNAVAILABLE: conflict('Revision without its secrets', 'apply the manifest of that revision again, with its secret values, then deploy it'),
  AGW_ROLLOUT_FAILED: { status: 409, exit: ExitCode.failure, title: 'Rollout did not succeed', hint: 'see its waves and gate results: agentgw rollout status ID' },
  AGW_DRIFT: { status: 409, exit: ExitCode.usage, title: 'Drift found', hint: 're-deploy what is missing or outdated: agentgw deploy RESOURCE --env ENV' },

  // Gateways
  AGW_GATEWAY_UNHEALTHY: { status: 503, exit: ExitCode.unhealthy, title: 'Gateway not healthy', hint: 'see its transitions: agentgw gateway health NAME --history' },
  AGW_GATEWAY_UNREACHABLE: upstream('Gateway unreachable', 'check the URL and that the gateway-controller is running'),
  AGW_GATEWAY_AUTH: upstream('Gateway refused the credentials', 'update them: agentgw gateway update NAME --username USER --password-stdin'),
  AGW_GATEWAY_NOT_A_CONTROLLER: upstream('Not a gateway-controller', 'check that controlPlaneUrl points at the management port (9090 by default)'),
  AGW_GATEWAY_HEALTH_NOT_FOUND: upstream('No health endpoint found', 'pass the controller’s admin API with --admin-url (port 9092 by default)'),
  AGW_GATEWAY_BAD_RESPONSE: upstream('Gateway answered badly', 'check that the URL is a gateway-controller of a supported version'),
  AGW_GATEWAY_CONFLICT: upstream('Gateway refused: conflict', 'the gateway holds a resource that conflicts; see the gateway’s message'),
  AGW_GATEWAY_REJECTED: upstream('Gateway refused the request', 'see the gateway’s message; the manifest may not suit this controller version'),
  AGW_GATEWAY_FAILED: upstream('Gateway failed', 'the gateway answered 5xx; check its logs, then retry'),
  AGW_GATEWAY_UNSUPPORTED: upstream('Not supported by this controller', 'upgrade the gateway-controller'),
  AGW_GATEWAY_UNREADABLE: upstream('Gateway could not be read', 'check it with: agentgw gateway health NAME'),
  AGW_GATEWAY_DRAIN_FAILED: upstream('Drain failed', 'fix the gateway and delete with --drain again; it was not deleted'),
  AGW_METRICS_UNAVAILABLE: upstream('Metrics unavailable', 'check the gateway’s metricsUrl (its Prometheus endpoint)'),
  AGW_PROVISIONING_FAILED: upstream('Provisioning failed', 'see the provider’s reason; register it again, e.g. in another region'),
  AGW_PROVISIONING_TIMEOUT: upstream('Still provisioning', 'it stays registered as PROVISIONING and the monitor follows it: agentgw gateway get NAME'),
  AGW_DEPLOY_INCOMPLETE: upstream('Some gateways failed', 'fix them and run the same command again: only what differs is sent'),
  ...transportCodes('GATEWAY', 'Gateway'),

  // The cloud provider
  AGW_CLOUD_AUTH: upstream('Cloud provider refused the credentials', 'check gateway.adapter.cloud.authentication (clientId, clientSecret)'),
  AGW_CLOUD_NOT_FOUND: upstream('Not found at the cloud provider', 'it may have been deleted at the provider, outside agentgw'),
  AGW_CLOUD_CONFLICT: upstream('Cloud provider refused: conflict', 'see the provider’s message'),
  AGW_CLOUD_REJECTED: upstream('Cloud provider refused the request', 'see the provider’s message'),
  AGW_CLOUD_FAILED: upstream('Cloud provider failed', 'the provider answered 5xx; retry later'),
  AGW_CLOUD_BAD_REQUEST: upstream('Call would leave the cloud provider', 'check gateway.adapter.cloud.apiEndpoint'),
  AGW_CLOUD_BAD_RESPONSE: upstream('Cloud provider answered badly', 'check gateway.adapter.cloud.apiEndpoint: it must speak docs/cloud-provisioning-openapi.yaml'),
  AGW_CLOUD_GATEWAY_NOT_READY: upstream('Cloud gateway not ready', 'see its status: agentgw gateway get NAME'),
  AGW_CLOUD_GATEWAY_UNKNOWN: upstream('Cloud gateway id unknown', 'register the gateway again'),
  AGW_CLOUD_GATEWAY_GONE: upstream('Cloud gateway gone', 'it was deprovisioned outside agentgw: delete it here, or register it again'),
  AGW_CLOUD_PROVISIONING_TIMEOUT: upstream('Provisioning timed out', 'it stays PROVISIONING and the monitor follows it: agentgw gateway get NAME'),
  ...transportCodes('CLOUD', 'Cloud provider'),
} as const satisfies Record<`AGW_${string}`, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes of a given status: ConflictError takes only 409s, GatewayError only 502s. */
export type ErrorCodeWithStatus<S extends number> = { [C in ErrorCode]: (typeof ERROR_CODES)[C]['status'] extends S ? C : never }[ErrorCode];

/** The spec of a code, or undefined for one this version does not know (a newer daemon's). */
export function errorSpec(code: string): ErrorSpec | undefined {
  return Object.hasOwn(ERROR_CODES, code) ? (ERROR_CODES as Record<string, ErrorSpec>)[code] : undefined;
}

/** `AGW_GATEWAY_TIMEOUT` and the like: the code of a transport failure talking to a gateway or the provider. */
export function transportCode<P extends 'GATEWAY' | 'CLOUD'>(prefix: P, kind: TransportFailure): TransportCode<P> {
  return `AGW_${prefix}_${kind.toUpperCase() as Uppercase<TransportFailure>}`;
}

/** Where each code is documented: docs/errors.md, one heading per code. */
export const ERRORS_PAGE = 'https://agentgw.dev/docs/errors';

/** The problem+json `type` of a code: its heading's anchor on the errors page. */
export function problemType(code: string): string {
  return `${ERRORS_PAGE}#${code.toLowerCase()}`;
}
