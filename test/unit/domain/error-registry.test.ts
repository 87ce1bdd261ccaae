/**
 * The error registry (src/domain/error-codes.ts) is the one place a code's status, exit code,
 * title and next step are declared: every code the sources use is in it, docs/errors.md and
 * `agentgw help errors` are printed from it, and a code survives the trip through the daemon.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { HttpFailureKind } from '../../../src/adapters/http/types.js';
import { HELP_TOPICS } from '../../../src/commands/help-topics.js';
import { ERROR_CODES, ERRORS_PAGE, errorSpec, problemType, REPORT_A_BUG, type TransportFailure } from '../../../src/domain/error-codes.js';
import { renderErrorsPage } from '../../../src/domain/errors-page.js';
import {
  AgentgwError,
  ConflictError,
  ExitCode,
  fromProblem,
  GatewayError,
  InternalError,
  NotFoundError,
  toProblem,
  UnhealthyGatewayError,
  ValidationError,
} from '../../../src/domain/errors.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') || path.endsWith('.tsx') ? [path] : [];
  });
}

describe('the error registry', () => {
  it('declares every AGW_ code the sources name', () => {
    const used = new Map<string, string>();
    for (const file of sourceFiles('src')) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bAGW_[A-Z0-9_]*[A-Z0-9]\b/g)) used.set(match[0], file);
    }
    const unknown = [...used].filter(([code]) => errorSpec(code) === undefined);
    expect(unknown).toEqual([]);
    expect(used.size).toBeGreaterThan(50);
  });

  it('keeps the statuses and exit codes the CLI and the API have always had', () => {
    const pinned: Array<[string, number, number]> = [
      ['AGW_VALIDATION', 400, ExitCode.usage],
      ['AGW_CONFIG', 500, ExitCode.usage],
      ['AGW_NOT_FOUND', 404, ExitCode.failure],
      ['AGW_UNAUTHENTICATED', 401, ExitCode.auth],
      ['AGW_UNAVAILABLE', 503, ExitCode.unreachable],
      ['AGW_GATEWAY_EXISTS', 409, ExitCode.conflict],
      ['AGW_PRECONDITION_FAILED', 412, ExitCode.conflict],
      ['AGW_GATEWAY_UNREACHABLE', 502, ExitCode.failure],
      ['AGW_GATEWAY_UNHEALTHY', 503, ExitCode.unhealthy],
      ['AGW_DRIFT', 409, ExitCode.usage],
      ['AGW_SCHEMA_PENDING', 503, ExitCode.failure],
      ['AGW_DECLINED', 400, ExitCode.declined],
      ['AGW_INTERRUPTED', 499, ExitCode.interrupted],
    ];
    expect(pinned.map(([code]) => [code, errorSpec(code)?.status, errorSpec(code)?.exit])).toEqual(pinned);
  });

  it('gives the classes their codes, and each code a title and a next step', () => {
    expect(new NotFoundError('gateway', 'gw-1')).toMatchObject({ code: 'AGW_NOT_FOUND', status: 404, exitCode: ExitCode.failure });
    expect(new UnhealthyGatewayError('down')).toMatchObject({ status: 503, exitCode: ExitCode.unhealthy });
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(spec.title, code).not.toBe('');
      expect(spec.hint, code).toMatch(/\S/);
      expect(spec.hint.endsWith('.'), `${code}: the page adds the full stop`).toBe(false);
    }
  });

  it('has a code for every way an outbound call fails', () => {
    expectTypeOf<HttpFailureKind>().toEqualTypeOf<TransportFailure>();
    expect(new GatewayError('AGW_GATEWAY_TLS', 'x')).toMatchObject({ status: 502, exitCode: ExitCode.failure });
    expect(new GatewayError('AGW_CLOUD_TOO_LARGE', 'x').hint).toBe(ERROR_CODES.AGW_CLOUD_TOO_LARGE.hint);
  });

  it('uses the hint of the place that failed, and the registry’s when it has none', () => {
    expect(new ConflictError('AGW_GATEWAY_EXISTS', 'gateway "a" already exists', { hint: 'pick another' }).hint).toBe('pick another');
    expect(new ConflictError('AGW_GATEWAY_EXISTS', 'gateway "a" already exists').hint).toBe(ERROR_CODES.AGW_GATEWAY_EXISTS.hint);
    expect(new InternalError().hint).toBe(REPORT_A_BUG);
    // A usage error's message says what to change: no general line under it.
    expect(ValidationError.field('name', 'bad').hint).toBeUndefined();
    expect(new InternalError().isBug).toBe(true);
    expect(ValidationError.field('name', 'bad').isBug).toBe(false);
  });
});

describe('problem+json', () => {
  it('types each problem with its entry on the errors page, titled as the registry says', () => {
    const problem = toProblem(new NotFoundError('gateway', 'gw-1'));
    expect(problem).toMatchObject({ type: `${ERRORS_PAGE}#agw_not_found`, title: 'Not found', status: 404, code: 'AGW_NOT_FOUND', detail: 'gateway "gw-1" not found' });
    const page = renderErrorsPage();
    for (const code of Object.keys(ERROR_CODES)) {
      expect(page, code).toContain(`\n### ${code}\n`);
      expect(problemType(code)).toBe(`${ERRORS_PAGE}#${code.toLowerCase()}`);
    }
  });

  it('rebuilds every code as the daemon sent it: same status, exit code, hint', () => {
    for (const code of Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>) {
      const error = new AgentgwError(code, `a ${code}`);
      const rebuilt = fromProblem({ ...toProblem(error), exitCode: error.exitCode });
      expect([rebuilt.code, rebuilt.status, rebuilt.exitCode, rebuilt.hint, rebuilt.message], code).toEqual([code, error.status, error.exitCode, error.hint, error.message]);
    }
  });

  it('keeps the status and exit code a newer daemon gives a code this version does not know', () => {
    const rebuilt = fromProblem({ type: 'x', title: 'x', status: 422, detail: 'new', code: 'AGW_FROM_THE_FUTURE', exitCode: ExitCode.usage });
    expect(rebuilt).toMatchObject({ code: 'AGW_FROM_THE_FUTURE', status: 422, exitCode: ExitCode.usage, hint: undefined });
    // Without an exit code (not agentgw's answer), the status decides, as it always has.
    expect(fromProblem({ type: 'x', title: 'x', status: 503, detail: 'down', code: 'AGW_BAD_RESPONSE' }).exitCode).toBe(ExitCode.unreachable);
  });
});

describe('docs/errors.md and agentgw help errors', () => {
  it('the page is what the registry gives (npm run generate:errors)', () => {
    expect(readFileSync('docs/errors.md', 'utf8')).toBe(renderErrorsPage());
    expect(() => execFileSync(process.execPath, ['scripts/generate-errors.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('help errors lists every code with its status, exit code and next step', () => {
    const text = HELP_TOPICS.errors!();
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(text).toMatch(new RegExp(`^  ${code} +${spec.status} +${spec.exit}  ${spec.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      expect(text).toContain(`next: ${spec.hint}`);
    }
  });
});
