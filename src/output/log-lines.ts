/**
 * The daemon's log for a person at a terminal: pino writes its JSON lines here, and each becomes
 * one readable line — time, level, message, then the request (method, URL, status, duration) and
 * any other fields as key=value:
 *
 *   07:41:02 INFO  request completed  GET /api/v1/gateways 200 3ms
 *
 * Redaction has happened already (pino applies it before writing). Piped, or with
 * `--log-format json`, the JSON lines are written as they are.
 */
import { paint, type Tone } from './color.js';
import { printable } from './table.js';

const LEVELS: Record<number, [name: string, tone: Tone | undefined]> = {
  10: ['TRACE', 'dim'],
  20: ['DEBUG', 'dim'],
  30: ['INFO', 'green'],
  40: ['WARN', 'yellow'],
  50: ['ERROR', 'red'],
  60: ['FATAL', 'red'],
};

/** Fields every line has, or that the request summary already shows. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'req', 'res', 'responseTime', 'reqId', 'err']);

interface LogRecord {
  level?: number;
  time?: number;
  msg?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; type?: string };
  [field: string]: unknown;
}

export function readableLogs(out: { write(text: string): unknown }, color: boolean): { write(line: string): void } {
  return {
    write(line: string) {
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        out.write(line);
        return;
      }
      out.write(`${formatRecord(record, color)}\n`);
    },
  };
}

export function formatRecord(record: LogRecord, color: boolean): string {
  const [name, tone] = LEVELS[record.level ?? 30] ?? ['LOG', undefined];
  const time = new Date(record.time ?? Date.now()).toTimeString().slice(0, 8);
  let line = `${paint(time, 'dim', color)} ${paint(name.padEnd(5), tone, color)} ${printable(record.msg ?? '')}`;
  if (record.req?.method !== undefined) {
    const status = record.res?.statusCode;
    const statusText = status === undefined ? '' : ` ${paint(String(status), status >= 500 ? 'red' : status >= 400 ? 'yellow' : undefined, color)}`;
    const took = record.responseTime === undefined ? '' : ` ${Math.round(record.responseTime)}ms`;
    line += `  ${printable(`${record.req.method} ${record.req.url ?? ''}`)}${statusText}${took}`;
  }
  if (record.err !== undefined) line += `  ${paint(printable(`${record.err.type ?? 'Error'}: ${record.err.message ?? ''}`), 'red', color)}`;
  const extra = Object.entries(record)
    .filter(([key]) => !SHOWN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  if (extra.length > 0) line += `  ${paint(printable(extra.join(' ')), 'dim', color)}`;
  return line;
}
