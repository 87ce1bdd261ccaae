import type { FastifyReply } from 'fastify';
import type { Page } from '../../domain/types.js';

/**
 * Sends a page as `{"<key>": [items…], "nextCursor": …}` from items already written as JSON
 * (each in pieces, see gatewayPageJson): the bytes JSON.stringify would give, with the content
 * type Fastify gives the JSON it writes. A page shared by requests that arrived together is put
 * together once.
 */
export function sendJsonPage(reply: FastifyReply, key: string, page: Page<readonly Buffer[]>): FastifyReply {
  let body = pageBodies.get(page);
  if (body === undefined) {
    const chunks: Buffer[] = [Buffer.from(`{${JSON.stringify(key)}:[`)];
    for (const [i, item] of page.items.entries()) {
      if (i > 0) chunks.push(COMMA);
      chunks.push(...item);
    }
    chunks.push(Buffer.from(`],"nextCursor":${JSON.stringify(page.nextCursor)}}`));
    pageBodies.set(page, (body = Buffer.concat(chunks)));
  }
  return reply.type('application/json; charset=utf-8').send(body);
}

const COMMA = Buffer.from(',');
const pageBodies = new WeakMap<Page<readonly Buffer[]>, Buffer>();
