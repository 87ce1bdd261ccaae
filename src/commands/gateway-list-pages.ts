/**
 * `agentgw gateway list` a page at a time, so a fleet of 100,000 is never held whole: the first
 * `--limit` gateways (100 by default, at most 1000) with a note when more match, or with `--all`
 * every page in turn, each printed as it arrives. `-o json` keeps its one document,
 * `{"gateways": [...]}`, byte for byte what `JSON.stringify(document, null, 2)` would print, written
 * 50 gateways at a time. A terminal table and YAML need every row first (column widths, one
 * document): those collect the pages.
 *
 * @example
 * await printGatewayPages(context.output, client, { status: 'ACTIVE' }, { all: true });
 */
import type { Client } from '../client/client.js';
import { UsageError } from '../domain/errors.js';
import type { Gateway, GatewayFilter } from '../domain/types.js';
import { printList, type Output } from '../output/format.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../services/pagination.js';
import { GATEWAY_COLUMNS, noGatewaysFound } from './gateway-columns.js';

export interface PageFlags {
  limit?: string;
  all?: boolean;
}

export function parseListLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, not "${value}"`, { hint: 'for every gateway, pass --all' });
  return n;
}

export async function printGatewayPages(output: Output, client: Client, filter: GatewayFilter, flags: PageFlags): Promise<void> {
  const limit = parseListLimit(flags.limit);
  const empty = noGatewaysFound(filter);
  if (flags.all !== true) {
    const page = await client.gateways.listPage(filter, { limit: limit ?? DEFAULT_PAGE_SIZE });
    await printList(output, page.items, GATEWAY_COLUMNS, { gateways: page.items }, { empty });
    if (page.nextCursor !== null) output.note(`showing the first ${page.items.length} gateways; more match: pass --all for every one, or --limit up to ${MAX_PAGE_SIZE}`);
    return;
  }
  const pages = eachPage(client, filter, limit ?? (client.describe().mode === 'local' ? LOCAL_PAGE_SIZE : MAX_PAGE_SIZE));
  const streams = output.format === 'json' || output.format === 'name' || ((output.format === 'table' || output.format === 'wide') && !output.isTTY);
  if (!streams) {
    const all: Gateway[] = [];
    for await (const items of pages) all.push(...items);
    await printList(output, all, GATEWAY_COLUMNS, { gateways: all }, { empty });
    return;
  }
  // Each page waits for stdout to take the one before: the fleet is never queued whole in memory.
  if (output.format !== 'json') {
    for await (const items of pages) {
      await printList(output, items, GATEWAY_COLUMNS, { gateways: items });
      await output.drained();
      if (output.readerLeft()) return;
    }
    return;
  }
  let first = true;
  output.write('{\n  "gateways": [');
  for await (const items of pages) {
    for (let start = 0; start < items.length; start += WRITE_BATCH) {
      output.write(`${first ? '\n' : ',\n'}${asArrayElements(items.slice(start, start + WRITE_BATCH))}`);
      first = false;
      // A reader slower than this loop (a full pipe) would otherwise have the rest of the page
      // queued in the stream, and written at once from one buffer as large.
      await output.drained();
      if (output.readerLeft()) return;
    }
  }
  output.write(first ? ']\n}\n' : '\n  ]\n}\n');
}

/**
 * The JSON is written some gateways at a time, not a page at once: a page's text, the copies V8
 * makes to flatten and slice it, and the buffer Node allocates to write it are each as large as
 * the page, and fresh memory costs ~12 µs a 4 KB page on the VMs measured here.
 * `gateway list --all -o json`, 1,000 gateways, Node 22: 7,370 → 6,670 page faults with this.
 * Writes of 1,000 to 64,000 characters all made as many faults, into a pipe and into a file; the
 * larger ones are fewer system calls, and a batch is one JSON.stringify where a gateway at a time
 * was one each: batches of 50 gateways (~45 KB) ran 281 M instructions where writes of 3,500
 * characters ran 292 M (callgrind, the whole run).
 */
const WRITE_BATCH = 50;

/** Gateways as elements of the document's array print them: `JSON.stringify(document, null, 2)`'s indentation. */
function asArrayElements(gateways: Gateway[]): string {
  return JSON.stringify({ gateways }, null, 2).slice(PAGE_HEAD.length, -PAGE_TAIL.length);
}

/**
 * `--all`'s page in-process: a page there is a query on an index, not a round trip to a daemon, so
 * a smaller one costs little and keeps fewer gateways in memory at once: with 1,000, every one of
 * them is still alive when the young generation fills, and the garbage collector copies them all.
 * 1,000 gateways, Node 22: 5,975 page faults with pages of 1,000, 5,500 with 250 (5,470 with 100).
 */
const LOCAL_PAGE_SIZE = 250;

const PAGE_HEAD = '{\n  "gateways": [\n';
const PAGE_TAIL = '\n  ]\n}';

async function* eachPage(client: Client, filter: GatewayFilter, limit: number): AsyncGenerator<Gateway[]> {
  let cursor: string | undefined;
  do {
    const page = await client.gateways.listPage(filter, { limit, ...(cursor === undefined ? {} : { cursor }) });
    yield page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
