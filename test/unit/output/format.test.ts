/**
 * The second guard on what a terminal is sent: table and TSV output replace every control
 * character and bidi override, whatever the database holds, so a value cannot move the cursor,
 * recolour the screen, reorder a line or split a TSV row.
 */
import { describe, expect, it } from 'vitest';
import { printList, printResource, type Column, type Output } from '../../../src/output/format.js';
import { printable } from '../../../src/output/table.js';

function output(format: 'table' | 'json', isTTY: boolean): Output & { text: () => string } {
  let text = '';
  return { format, isTTY, color: false, width: 120, write: (chunk) => (text += chunk), drained: async () => {}, readerLeft: () => false, note: () => {}, text: () => text };
}

interface Row {
  name: string;
  displayName: string;
}
const COLUMNS: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'DISPLAY NAME', value: (r) => r.displayName },
];
const HOSTILE: Row = { name: 'evil', displayName: '\u001b[2J\u001b[31mred\u0007 tab\there\nnext \u0085 gw-\u202eved \u2066x\u2069 \u007f' };
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

describe('printable', () => {
  it('replaces the bidirectional embeddings, overrides and isolates, as it does control characters', () => {
    expect(printable('gw-\u202eved \u202a\u202b\u202c\u202d \u2066\u2067\u2068\u2069')).toBe('gw-\ufffdved \ufffd\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd');
    expect(printable('a\u001bb\u007fc\u0085d\u009be')).toBe('a\ufffdb\ufffdc\ufffdd\ufffde');
    expect(printable('Prod 🚀 東京 e\u0301 left\u200eright')).toBe('Prod 🚀 東京 e\u0301 left\u200eright');
  });
});

describe('table and TSV output', () => {
  it('replaces what a database holds in TSV rows, which keep their fields', async () => {
    const out = output('table', false);
    await printList(out, [HOSTILE, { name: 'ok', displayName: 'Fine' }], COLUMNS, {});
    const lines = out.text().split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => line.split('\t').length)).toEqual([2, 2]);
    expect(UNSAFE.test(out.text().replace(/[\t\n]/g, ''))).toBe(false);
  });

  it('replaces it in tables and in key/value views on a terminal', async () => {
    const table = output('table', true);
    await printList(table, [HOSTILE], COLUMNS, {});
    expect(UNSAFE.test(table.text().replace(/\n/g, ''))).toBe(false);
    const view = output('table', true);
    await printResource(view, HOSTILE, COLUMNS);
    expect(view.text().split('\n').filter((line) => line !== '')).toHaveLength(2);
    expect(UNSAFE.test(view.text().replace(/\n/g, ''))).toBe(false);
  });

  it('leaves JSON as the data is: it escapes control characters itself', async () => {
    const out = output('json', false);
    await printList(out, [HOSTILE], COLUMNS, { items: [HOSTILE] });
    expect(JSON.parse(out.text())).toEqual({ items: [HOSTILE] });
  });
});
