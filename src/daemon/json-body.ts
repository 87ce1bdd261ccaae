/**
 * The daemon's JSON body parser. Fastify's own decodes the body leniently — an invalid byte, or a
 * UTF-16 surrogate written out in UTF-8 (CESU-8), arrives as U+FFFD, a different value than the
 * client sent — and lets JSON.parse build a document of any depth, which the recursive readers
 * after it (JSON.stringify when storing, the YAML printer) then overflow on: 4,500 levels of
 * metadata answered 500. Here the bytes are decoded strictly and the nesting is counted on the
 * raw bytes before anything is parsed; Fastify's parser, with its prototype-poisoning guard,
 * does the rest.
 */
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../domain/errors.js';

/**
 * Arrays and objects nested in one request body, at most. agentgw's deepest document, a resource
 * manifest, nests about ten; metadata and adapterConfig are held to `limits.objectDepth` (at
 * most 32) by the services.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when `body` (JSON as UTF-8 bytes) nests arrays and objects deeper than `max`. Brackets
 * inside strings do not count. Multi-byte UTF-8 sequences never contain ASCII bytes, so the
 * bytes can be scanned as they are, before decoding.
 */
export function nestsDeeperThan(body: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** Replaces Fastify's application/json parser with the strict one. */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) {
      done(new ValidationError(`the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, [{ path: '', message: 'nested too deeply' }]), undefined);
      return;
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      done(new ValidationError('the request body is not valid UTF-8', [{ path: '', message: 'invalid UTF-8' }], { hint: 'send JSON encoded as UTF-8' }), undefined);
      return;
    }
    parse(request, text, done);
  });
}
