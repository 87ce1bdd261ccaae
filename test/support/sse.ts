/**
 * A Server-Sent Events client for tests: real HTTP on loopback, parsing `id:`, `event:`, `data:`
 * and comment lines as they arrive, with a wait for the event a test expects.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  id: string | null;
  event: string | null;
  data: any;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage['headers'];
  events: SseEvent[];
  comments: string[];
  /** The first event (from the start of the stream) that `match` accepts, waited for up to `timeoutMs`. */
  waitFor(match: (event: SseEvent) => boolean, timeoutMs: number): Promise<SseEvent>;
  /** Resolves once the server has ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const comments: string[] = [];
    const waiters = new Set<() => void>();
    const req: ClientRequest = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = '';
      let endStream: () => void = () => {};
      const ended = new Promise<void>((done) => (endStream = done));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { id: null, event: null, data: null };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              event.data = JSON.parse(line.slice(6));
              isEvent = true;
            }
          }
          if (isEvent) events.push(event);
          for (const wake of waiters) wake();
        }
      });
      res.on('end', endStream);
      res.on('close', endStream);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        waitFor(match, timeoutMs) {
          return new Promise((found, fail) => {
            const check = () => {
              const hit = events.find(match);
              if (hit === undefined) return false;
              clearTimeout(timer);
              waiters.delete(check);
              found(hit);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ') || 'none'}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
