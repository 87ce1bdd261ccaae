/**
 * An HTTP/1.1 response read from a connection's bytes as they arrive, for the probe transport
 * (`probe-exchange.ts`). Strict: anything that is not a well-formed response is a
 * MalformedResponseError, and the transport closes the connection rather than guess.
 *
 * - Status line `HTTP/1.x NNN reason`, header fields `name: value` (token names, no control
 *   characters in values, no obsolete line folding), the header section at most 16 KiB (Node's
 *   own limit); 1xx interim responses are skipped.
 * - Body framing as RFC 9112 §6.3 says: none for HEAD, 204 and 304; chunked when
 *   Transfer-Encoding ends in it (trailers read and dropped); Content-Length, which must be
 *   digits and agree with itself when repeated; otherwise until the server closes. A response
 *   with both Transfer-Encoding and Content-Length is refused (a smuggling vector).
 * - A body past `maxBodyBytes`, declared or read, is a ResponseTooLargeError.
 *
 * @example
 * const parser = new ResponseParser(1024 * 1024, false);
 * const done = parser.push(chunk) ?? parser.push(next); // a ParsedResponse once the body is complete
 */
import { MalformedResponseError, ResponseTooLargeError } from './exchange-errors.js';

export interface ParsedResponse {
  status: number;
  /** Lower-cased names; repeated fields joined with ", " (set-cookie kept as a list), as node:http does. */
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** The connection may carry another request: HTTP/1.1, no `Connection: close`, a framed body. */
  reusable: boolean;
  /** Bytes the server sent past the response's end (the connection must not be reused). */
  trailing: boolean;
}

export const MAX_HEADER_BYTES = 16 * 1024;
/** A chunk-size line: up to 16 hex digits and whatever extension, which is ignored. */
const MAX_CHUNK_LINE_BYTES = 1024;

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
// eslint-disable-next-line no-control-regex -- control characters are what a reason phrase may not hold
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\x00-\x08\x0a-\x1f\x7f]*)?$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex -- control characters (but tab) are what a field value may not hold
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;
const CHUNK_SIZE = /^([0-9a-fA-F]{1,16})(?:[ \t]*;[^\r\n]*)?$/;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

interface Head {
  status: number;
  minor: number;
  headers: Record<string, string | string[]>;
}

function malformed(reason: string): never {
  throw new MalformedResponseError(reason);
}

export class ResponseParser {
  #state: State = 'head';
  /** Bytes of a head, chunk-size line or trailer section not yet complete. */
  #pending: Buffer | null = null;
  #head: Head | null = null;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Body bytes still to come: of the Content-Length, or of the current chunk. */
  #remaining = 0;
  #trailing = false;
  #untilClose = false;
  #received = false;

  constructor(
    private readonly maxBodyBytes: number,
    private readonly head: boolean,
  ) {}

  /** Whether any byte of a response has arrived. */
  get started(): boolean {
    return this.#received;
  }

  /** Feeds the next bytes; returns the response once it is complete, undefined while it is not. */
  push(data: Buffer): ParsedResponse | undefined {
    if (data.length > 0) this.#received = true;
    let offset = 0;
    while (offset < data.length || this.#state === 'done') {
      switch (this.#state) {
        case 'head':
          offset = this.#readHead(data, offset);
          break;
        case 'length':
          offset = this.#readBody(data, offset, 'done');
          break;
        case 'chunk-size':
          offset = this.#readLine(data, offset, MAX_CHUNK_LINE_BYTES, 'chunk size line', (line) => this.#chunkSize(line));
          break;
        case 'chunk-data':
          offset = this.#readBody(data, offset, 'chunk-end');
          break;
        case 'chunk-end':
          offset = this.#readLine(data, offset, 2, 'chunk end', (line) => {
            if (line.length !== 0) malformed('a chunk is longer than its size');
            this.#state = 'chunk-size';
          });
          break;
        case 'trailers':
          offset = this.#readLine(data, offset, MAX_HEADER_BYTES, 'trailer section', (line) => {
            if (line.length === 0) this.#state = 'done';
          });
          break;
        case 'until-close':
          this.#append(data.subarray(offset));
          offset = data.length;
          break;
        case 'done':
          this.#trailing = offset < data.length;
          return this.#result();
      }
    }
    return undefined;
  }

  /** The server closed the connection: the end of a body read until close, or of a response cut short (thrown). */
  end(): ParsedResponse {
    if (this.#state === 'until-close') {
      this.#state = 'done';
      return this.#result();
    }
    // "socket hang up" is what node:http says, and the client words both alike.
    throw new Error(this.started ? 'connection closed before the response ended' : 'socket hang up');
  }

  /** Takes up to the `#remaining` body bytes (of the Content-Length or the chunk), then moves to `next`. */
  #readBody(data: Buffer, offset: number, next: State): number {
    const take = Math.min(this.#remaining, data.length - offset);
    this.#append(data.subarray(offset, offset + take));
    this.#remaining -= take;
    if (this.#remaining === 0) this.#state = next;
    return offset + take;
  }

  #append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#size += bytes.length;
    if (this.#size > this.maxBodyBytes) throw new ResponseTooLargeError(`response exceeds the ${this.maxBodyBytes}-byte limit`);
    this.#chunks.push(bytes);
  }

  #result(): ParsedResponse {
    const head = this.#head!;
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
    const connection = head.headers.connection;
    const closes = typeof connection === 'string' && /(?:^|,)\s*close\s*(?:,|$)/i.test(connection);
    return { status: head.status, headers: head.headers, body, reusable: head.minor === 1 && !closes && this.#state === 'done' && !this.#untilClose, trailing: this.#trailing };
  }

  /** Collects the header section; parses it once whole. Returns the offset after what it used. */
  #readHead(data: Buffer, offset: number): number {
    const bytes = this.#pending === null ? data.subarray(offset) : Buffer.concat([this.#pending, data.subarray(offset)]);
    const end = bytes.indexOf(HEADER_END);
    if (end === -1) {
      if (bytes.length > MAX_HEADER_BYTES) malformed(`header section over ${MAX_HEADER_BYTES} bytes`);
      this.#pending = bytes;
      return data.length;
    }
    if (end > MAX_HEADER_BYTES) malformed(`header section over ${MAX_HEADER_BYTES} bytes`);
    const used = end + HEADER_END.length - (this.#pending?.length ?? 0);
    this.#pending = null;
    const head = parseHead(bytes.toString('latin1', 0, end));
    if (head.status >= 100 && head.status < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the final one follows. 101 would switch protocols, which a probe never asked for.
      if (head.status === 101) malformed('the server switched protocols (101) unasked');
      return offset + used;
    }
    this.#head = head;
    this.#frame(head);
    return offset + used;
  }

  /** Decides how the body is delimited (RFC 9112 §6.3). */
  #frame(head: Head): void {
    const { status, headers } = head;
    const encoding = headers['transfer-encoding'];
    const length = headers['content-length'];
    if (this.head || status === 204 || status === 304) {
      this.#state = 'done';
      return;
    }
    if (encoding !== undefined) {
      if (length !== undefined) malformed('both Transfer-Encoding and Content-Length');
      const codings = String(encoding).toLowerCase().split(',').map((coding) => coding.trim());
      if (codings.at(-1) === 'chunked') {
        if (codings.indexOf('chunked') !== codings.length - 1) malformed('chunked applied more than once');
        this.#state = 'chunk-size';
      } else {
        this.#state = 'until-close';
        this.#untilClose = true;
      }
      return;
    }
    if (length !== undefined) {
      const values = String(length).split(',').map((value) => value.trim());
      if (!values.every((value) => /^\d{1,15}$/.test(value) && value === values[0])) malformed(`invalid Content-Length "${String(length).slice(0, 40)}"`);
      const declared = Number(values[0]);
      if (declared > this.maxBodyBytes) throw new ResponseTooLargeError(`response of ${declared} bytes exceeds the ${this.maxBodyBytes}-byte limit`);
      this.#remaining = declared;
      this.#state = declared === 0 ? 'done' : 'length';
      return;
    }
    this.#state = 'until-close';
    this.#untilClose = true;
  }

  /** Collects one CRLF-ended line of at most `max` bytes and hands it over. */
  #readLine(data: Buffer, offset: number, max: number, what: string, take: (line: string) => void): number {
    const bytes = this.#pending === null ? data.subarray(offset) : Buffer.concat([this.#pending, data.subarray(offset)]);
    const end = bytes.indexOf(CRLF);
    if (end === -1) {
      if (bytes.length > max + 1) malformed(`${what} over ${max} bytes`);
      this.#pending = bytes;
      return data.length;
    }
    if (end > max) malformed(`${what} over ${max} bytes`);
    const used = end + CRLF.length - (this.#pending?.length ?? 0);
    this.#pending = null;
    take(bytes.toString('latin1', 0, end));
    return offset + used;
  }

  #chunkSize(line: string): void {
    const match = CHUNK_SIZE.exec(line);
    if (match === null) malformed(`invalid chunk size line "${line.slice(0, 40)}"`);
    const size = Number.parseInt(match[1]!, 16);
    if (size > this.maxBodyBytes - this.#size) throw new ResponseTooLargeError(`response exceeds the ${this.maxBodyBytes}-byte limit`);
    if (size === 0) {
      this.#state = 'trailers';
      return;
    }
    this.#remaining = size;
    this.#state = 'chunk-data';
  }
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (status === null) malformed(`invalid status line "${lines[0]!.slice(0, 40)}"`);
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!FIELD_NAME.test(name)) malformed(line.startsWith(' ') || line.startsWith('\t') ? 'obsolete header line folding' : `invalid header line "${line.slice(0, 40)}"`);
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) malformed(`invalid characters in header ${name}`);
    const key = name.toLowerCase();
    const previous = headers[key];
    if (key === 'set-cookie') headers[key] = previous === undefined ? [value] : [...(previous as string[]), value];
    else headers[key] = previous === undefined ? value : `${previous as string}, ${value}`;
  }
  return { status: Number(status[2]), minor: Number(status[1]), headers };
}
