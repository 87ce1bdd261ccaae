/**
 * docs/errors.md, printed from the registry (`npm run generate:errors`; a unit test fails when
 * the page is not what the registry gives). Each code is a heading, so its anchor is the code in
 * lower case: the problem+json `type` of the code (problemType) points there.
 */
import { ERROR_CODES, ERRORS_PAGE, type ErrorSpec } from './error-codes.js';

const EXIT_MEANINGS: Record<number, string> = { 1: 'failure', 2: 'usage', 3: 'unreachable', 4: 'auth', 5: 'conflict', 6: 'unhealthy', 8: 'declined', 130: 'interrupted' };

export function errorEntries(): Array<[code: string, spec: ErrorSpec]> {
  return Object.entries(ERROR_CODES as Record<string, ErrorSpec>);
}

export function renderErrorsPage(): string {
  const lines = [
    '<!-- Generated from src/domain/error-codes.ts by `npm run generate:errors`; edit the registry, not this page. -->',
    '# Error codes',
    '',
    `Every failure of agentgw has a stable code. The daemon answers with \`application/problem+json\` (RFC 9457) whose \`type\` is`,
    `this page's anchor for the code (${ERRORS_PAGE}#agw_not_found), and the CLI prints the message and a hint, then exits with the code's exit`,
    'status (`agentgw help exit-codes`); both modes end the same way. `agentgw help errors` prints this list.',
    '',
    '| Code | HTTP | Exit | Title |',
    '| --- | --- | --- | --- |',
    ...errorEntries().map(([code, spec]) => `| [${code}](#${code.toLowerCase()}) | ${statusOf(spec)} | ${spec.exit} | ${spec.title} |`),
    '',
  ];
  for (const [code, spec] of errorEntries()) {
    lines.push(`### ${code}`, '', `**${spec.title}.** HTTP ${statusOf(spec)}, exit ${spec.exit} (${EXIT_MEANINGS[spec.exit] ?? 'ok'}).`, '');
    if (spec.statusVaries) lines.push('The HTTP status is the one of the exchange that failed; the one above is the usual.', '');
    lines.push(`Next step: ${spec.hint}.`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function statusOf(spec: ErrorSpec): string {
  return spec.statusVaries ? `${spec.status}*` : String(spec.status);
}
