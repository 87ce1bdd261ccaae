/**
 * The second guard on what a terminal is sent: table and TSV output escape every control
 * character and bidi override, whatever the database holds, so a value cannot move the cursor,
 * recolour the screen, reorder a line or split a TSV row.
 */
import { describe, expect, it } from 'vitest';
import { printable, printList, printResource, type Column, type Output } from '../../../src/output/format.js';

function output(format: 'table' | 'json', isTTY: boolean): Output & { text: () => string } {
  let text = '';
  return { format, isTTY, color: false, width: 120, write: (chunk) => (text += chunk), text: () => text };
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
  it('escapes C0, DEL, C1 and the bidi overrides and isolates, and nothing else', () => {
    expect(printable('a\u001bb\u0007c\td\ne\u007ff\u0085g\u009bh')).toBe('a\\x1bb\\x07c\\x09d\\x0ae\\x7ff\\x85g\\x9bh');
    expect(printable('gw-\u202eved \u202a\u202b\u202c\u202d \u2066\u2067\u2068\u2069')).toBe('gw-\\u202eved \\u202a\\u202b\\u202c\\u202d \\u2066\\u2067\\u2068\\u2069');
    expect(printable('Prod 🚀 東京 e\u0301 left\u200eright')).toBe('Prod 🚀 東京 e\u0301 left\u200eright');
  });
});

describe('table and TSV output', () => {
  it('escapes what a database holds in TSV rows, which keep their fields', async () => {
    const out = output('table', false);
    await printList(out, [HOSTILE, { name: 'ok', displayName: 'Fine' }], COLUMNS, {});
    const lines = out.text().split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => line.split('\t').length)).toEqual([2, 2]);
    expect(UNSAFE.test(out.text().replace(/[\t\n]/g, ''))).toBe(false);
    expect(lines[0]).toContain('\\x1b[2J\\x1b[31mred\\x07 tab\\x09here\\x0anext \\x85 gw-\\u202eved');
  });

  it('escapes it in tables and in key/value views on a terminal', async () => {
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
