/**
 * Follows a daemon's event stream (`GET /api/v1/events/stream`, Server-Sent Events). When the
 * connection drops (a daemon restart, a proxy's idle cut) it connects again with the last id it
 * received as Last-Event-ID, so the caller gets every event once, in order. A refusal (a bad
 * filter, a missing token) is thrown as the daemon's problem.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentgwEvent } from '../domain/events.js';

export interface StreamRequest {
  url: URL;
  headers: Record<string, string>;
  /** Rebuilds a refusal (non-200 answer) into the error the daemon meant. */
  refusal: (status: number, body: string) => Error;
  /** Pause before reconnecting. */
  retryMs?: number;
}

export async function* followStream(request: StreamRequest, afterId: number | undefined, signal: AbortSignal, onLive?: (live: boolean) => void): AsyncGenerator<AgentgwEvent> {
  let lastId = afterId;
  while (!signal.aborted) {
    let response: IncomingMessage;
    try {
      response = await connect(request, lastId, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (isRefusal(error)) throw error.cause;
      await sleep(request.retryMs ?? 1000, undefined, { signal }).catch(() => undefined);
      continue;
    }
    onLive?.(true);
    try {
      for await (const event of parseEvents(response, signal)) {
        lastId = event.id;
        yield event;
      }
    } finally {
      if (!signal.aborted) onLive?.(false);
    }
    if (!signal.aborted) await sleep(request.retryMs ?? 1000, undefined, { signal }).catch(() => undefined);
  }
}

class Refusal extends Error {}
const isRefusal = (error: unknown): error is Refusal => error instanceof Refusal;

function connect(request: StreamRequest, lastId: number | undefined, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers, accept: 'text/event-stream', ...(lastId === undefined ? {} : { 'last-event-id': String(lastId) }) };
    const outgoing = (request.url.protocol === 'https:' ? https : http).request(request.url, { headers, signal });
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      if (response.statusCode === 200) return resolve(response);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => reject(new Refusal('refused', { cause: request.refusal(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')) })));
      response.on('error', reject);
    });
    outgoing.end();
  });
}

/** The events of one connection, until it ends. */
async function* parseEvents(response: IncomingMessage, signal: AbortSignal): AsyncGenerator<AgentgwEvent> {
  response.setEncoding('utf8');
  let buffer = '';
  try {
    for await (const chunk of response as AsyncIterable<string>) {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (data !== undefined) yield JSON.parse(data.slice(6)) as AgentgwEvent;
      }
    }
  } catch (error) {
    // A dropped connection is resumed by the caller; an abort ends quietly.
    if (!signal.aborted && (error as { code?: string }).code !== 'ECONNRESET' && (error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }
}
