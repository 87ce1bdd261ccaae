/**
 * What a health probe's outcome means: an answer, a transport failure, or a search that found no
 * health endpoint, each as a HealthStatus — with whether it will fix itself (`permanent`), which
 * the health monitor acts on — or, where a caller needs to fail, as a GatewayError.
 *
 * @example
 * assessHealth(response, 12, true); // { healthy: false, permanent: true, errorClass: 'auth', … } on a 401
 */
import { GatewayError } from '../../domain/errors.js';
import type { HealthStatus } from '../adapter.js';
import { HttpFailure, type HttpResponse } from '../http/types.js';
import { parseJson } from './controller-client.js';
import { ADMIN_PORT } from './health-endpoints.js';

type FailedCheck = Pick<HealthStatus, 'healthy' | 'permanent' | 'errorClass' | 'errorMessage'>;

/**
 * A health answer as a check: 2xx is healthy; 401/403 and 404 will not fix themselves.
 * `viaAdminUrl`: the URL came from the operator's adminUrl rather than from agentgw's search.
 */
export function assessHealth(response: HttpResponse, responseTimeMs: number, viaAdminUrl: boolean): HealthStatus {
  if (response.status >= 200 && response.status < 300) {
    return { healthy: true, responseTimeMs, errorClass: null, errorMessage: null, checkedAt: new Date() };
  }
  const auth = response.status === 401 || response.status === 403;
  return {
    healthy: false,
    permanent: auth || response.status === 404,
    responseTimeMs,
    errorClass: auth ? 'auth' : response.status >= 500 ? 'http_5xx' : 'http_4xx',
    errorMessage: healthFailureMessage(response, viaAdminUrl),
    checkedAt: new Date(),
  };
}

/** A transport failure as a failed check; anything else is not a health outcome and is thrown on. */
export function failedCheck(error: unknown): FailedCheck {
  if (!(error instanceof HttpFailure)) throw error;
  const errorClass = error.kind === 'timeout' || error.kind === 'refused' || error.kind === 'dns' || error.kind === 'tls' || error.kind === 'blocked' ? error.kind : 'network';
  // A blocked address or a certificate problem will not fix itself.
  return { healthy: false, permanent: errorClass === 'tls' || errorClass === 'blocked', errorClass, errorMessage: error.message };
}

function healthFailureMessage(response: HttpResponse, viaAdminUrl: boolean): string {
  const reported = (parseJson(response.body) as { status?: unknown } | undefined)?.status;
  // The controller's own word for its state ("degraded"), when it gave one.
  const said = typeof reported === 'string' && /^[\w -]{1,40}$/.test(reported) ? ` (status "${reported}")` : '';
  if (response.status === 404 && viaAdminUrl) return 'health endpoint answered HTTP 404: check adminUrl';
  if (response.status === 404) {
    return 'health endpoint answered HTTP 404: it is no longer served where it was found; look for it again with: agentgw gateway update NAME --control-plane-url URL, or set --admin-url';
  }
  return `health endpoint answered HTTP ${response.status}${said}`;
}

export interface HealthAttempt {
  url: string;
  /** Why the URL was passed over: "HTTP 404", "connection refused", … */
  cause: string;
  /** The transport failure, when there was no HTTP answer at all. */
  failure: HttpFailure | null;
}

/** No URL a controller could serve its health at answered like a health endpoint. */
export class HealthNotFound extends Error {
  constructor(
    readonly gateway: string,
    readonly controlPlaneUrl: string,
    readonly attempts: readonly HealthAttempt[],
  ) {
    super(`no health endpoint found for the gateway-controller at ${controlPlaneUrl}: ${attempts.map((a) => `${a.url} (${a.cause})`).join(', ')}`);
    this.name = 'HealthNotFound';
  }

  /** Nothing answered at all: the controller is down or the URL wrong, rather than health missing. */
  get unreachable(): boolean {
    return this.attempts.every((attempt) => attempt.failure !== null);
  }

  /** `registering`: nothing has been stored, and the hint says so. */
  toGatewayError(registering = false): GatewayError {
    const check = this.unreachable ? 'check the URL and that the gateway-controller is running, or pass' : 'pass';
    return new GatewayError(this.unreachable ? 'AGW_GATEWAY_UNREACHABLE' : 'AGW_GATEWAY_HEALTH_NOT_FOUND', this.message, {
      hint: `${check} the controller's admin API with --admin-url (port ${ADMIN_PORT} by default)${registering ? '; nothing was stored' : ''}`,
      details: { gateway: this.gateway, errorClass: this.asCheck().errorClass, tried: this.attempts.map(({ url, cause }) => ({ url, cause })) },
    });
  }

  /**
   * As a failed check. A URL that timed out or dropped the connection says nothing about whether
   * health is there, and neither does a controller refusing every connection (it is down): both
   * may pass, and fail like the last such URL did. Answers and refusals alone, none of them
   * health, mean it is not where it was looked for, which will not fix itself.
   */
  asCheck(): FailedCheck {
    const failures = this.attempts.flatMap((attempt) => (attempt.failure === null ? [] : [attempt.failure]));
    const inconclusive = failures.filter((failure) => failure.kind !== 'refused');
    const last = inconclusive.at(-1) ?? (this.unreachable ? failures.at(-1) : undefined);
    if (last === undefined) return { healthy: false, permanent: true, errorClass: 'http_4xx', errorMessage: this.message };
    return { ...failedCheck(last), errorMessage: this.message };
  }
}
