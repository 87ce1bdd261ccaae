/** `agentgw serve` at a terminal: pino's JSON lines as lines a person reads. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { readableLogs } from '../../../src/output/log-lines.js';

function capture(color = false) {
  const lines: string[] = [];
  const log = pino({ level: 'info', redact: { paths: ['password'], censor: '[redacted]' } }, readableLogs({ write: (text: string) => lines.push(text) }, color));
  return { log, lines };
}

describe('readable log lines', () => {
  it('shows time, level, message and the request in one line', () => {
    const { log, lines } = capture();
    log.info({ req: { method: 'GET', url: '/api/v1/gateways' }, res: { statusCode: 200 }, responseTime: 3.4 }, 'request completed');
    expect(lines).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d INFO {2}request completed {2}GET \/api\/v1\/gateways 200 3ms\n$/)]);
  });

  it('names the error, adds other fields as key=value, and keeps what pino redacted redacted', () => {
    const { log, lines } = capture();
    const error = new Error('connection refused');
    log.warn({ err: error, gateway: 'gw-1', password: 'canary-5150' }, 'check failed');
    expect(lines[0]).toMatch(/WARN {2}check failed {2}Error: connection refused {2}gateway=gw-1 password=\[redacted\]\n$/);
    expect(lines.join('')).not.toContain('canary-5150');
  });

  it('colours the level at a terminal', () => {
    const { log, lines } = capture(true);
    log.error('stopped');
    expect(lines[0]).toContain('\u001b[31mERROR\u001b[39m');
  });
});
