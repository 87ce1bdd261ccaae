/**
 * `gateway list --all` a page at a time: a reader slower than the source (a pipe into a slow
 * consumer) holds up the reading of pages, so the fleet is never queued whole in memory, and the
 * document that comes out is still whole.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { printGatewayPages } from '../../../src/commands/gateway-list-pages.js';
import { createOutput } from '../../../src/output/format.js';
import type { IO } from '../../../src/output/io.js';
import { FakeClient, gateway } from '../../tui/fake-client.js';

/** A stdout whose reader takes nothing until `release()`: every write waits. */
function heldStdout() {
  const waiting: Array<() => void> = [];
  let text = '';
  let held = true;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      if (held) waiting.push(() => done());
      else done();
    },
  });
  return {
    stream: Object.assign(stream, { isTTY: false, columns: 80 }) as unknown as NodeJS.WriteStream,
    text: () => text,
    release() {
      held = false;
      for (const done of waiting.splice(0)) done();
    },
  };
}

describe('gateway list --all', () => {
  it('reads the next page only once stdout has taken the last one', async () => {
    const client = new FakeClient({ environments: [], gateways: Array.from({ length: 5000 }, (_, i) => gateway(`gw-${String(i).padStart(5, '0')}`)) });
    const stdout = heldStdout();
    const io = { stdout: stdout.stream, stderr: stdout.stream, stdin: process.stdin, env: {} } as unknown as IO;
    const printing = printGatewayPages(createOutput('json', io), client, {}, { all: true });

    await new Promise((resolve) => setTimeout(resolve, 50));
    // One page read and written; the reader has taken none of it, so no second page is read.
    expect(client.calls.list).toBe(1);

    stdout.release();
    await printing;
    expect(client.calls.list).toBe(5);
    const document = JSON.parse(stdout.text()) as { gateways: Array<{ name: string }> };
    expect(document.gateways).toHaveLength(5000);
    expect(document.gateways.at(-1)?.name).toBe('gw-04999');
  });

  it('prints byte for byte what JSON.stringify(document, null, 2) would, 50 gateways a write', async () => {
    const gateways = fleetOf(2500);
    const { writes } = await printAllAsJson(new FakeClient({ environments: [], gateways }));
    expect(writes.join('')).toBe(`${JSON.stringify({ gateways }, null, 2)}\n`);
    // A page (~1 MB) written at once costs a megabyte of fresh memory for each copy of it: the
    // document's head, a write for each 50 gateways, its tail.
    expect(writes).toHaveLength(1 + 2500 / 50 + 1);
    expect(writes.slice(1, -1).map((text) => text.match(/^ {4}\{$/gm)?.length)).toEqual(Array(2500 / 50).fill(50));
  });

  it('prints an empty list as JSON.stringify would', async () => {
    const { writes } = await printAllAsJson(new FakeClient({ environments: [], gateways: [] }));
    expect(writes.join('')).toBe(`${JSON.stringify({ gateways: [] }, null, 2)}\n`);
  });

  it('reads pages of 250 in-process, where a page is a query rather than a round trip, and of 1,000 from a daemon', async () => {
    const gateways = fleetOf(600);
    for (const mode of ['local', 'remote'] as const) {
      const client = new FakeClient({ environments: [], gateways, description: { mode } });
      const { writes } = await printAllAsJson(client);
      expect(client.calls.pages.map((page) => page.limit)).toEqual(mode === 'local' ? [250, 250, 250] : [1000]);
      expect(writes.join('')).toBe(`${JSON.stringify({ gateways }, null, 2)}\n`);
    }
  });
});

const fleetOf = (size: number) => Array.from({ length: size }, (_, i) => gateway(`gw-${String(i).padStart(5, '0')}`));

/** `gateway list --all -o json` into a stdout that takes every write at once; the writes, in order. */
async function printAllAsJson(client: FakeClient): Promise<{ writes: string[] }> {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  const io = { stdout: Object.assign(stream, { isTTY: false, columns: 80 }), stderr: stream, stdin: process.stdin, env: {} } as unknown as IO;
  await printGatewayPages(createOutput('json', io), client, {}, { all: true });
  return { writes };
}
