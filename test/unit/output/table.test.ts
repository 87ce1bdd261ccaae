/** Tables at a terminal: what gives way on a narrow one, and what never does. */
import { describe, expect, it } from 'vitest';
import { cut, printable, renderTable, wrap, type Column } from '../../../src/output/table.js';

interface Row {
  name: string;
  status: string;
  url: string;
  age: string;
}

const rows: Row[] = [
  { name: 'prod-eu-west-ai-gateway-01', status: 'ACTIVE', url: 'http://gateway-controller.eu-west.internal:9090/api/management/v1', age: '3d' },
  { name: 'edge-1', status: 'INACTIVE', url: 'http://10.0.0.7:9090', age: '5m' },
];

const columns: Column<Row>[] = [
  { header: 'NAME', value: (r) => r.name, identifier: true },
  { header: 'STATUS', value: (r) => r.status, status: true, priority: 10 },
  { header: 'URL', value: (r) => r.url, text: true, priority: 5 },
  { header: 'AGE', value: (r) => r.age, priority: 4 },
];

const table = (width: number, mode: 'table' | 'wide' = 'table', color = false) => renderTable(columns, rows, { width, color, mode });
const widest = (text: string) => Math.max(...text.trimEnd().split('\n').map((line) => line.length));

describe('renderTable', () => {
  it('shows every column, three spaces apart, when there is room', () => {
    const [header, first, second] = table(160).split('\n');
    expect(header).toBe(`NAME${' '.repeat(25)}STATUS${' '.repeat(5)}URL${' '.repeat(65)}AGE`);
    expect(first).toBe(`prod-eu-west-ai-gateway-01   ACTIVE     ${rows[0]!.url}   3d`);
    expect(second).toBe(`edge-1${' '.repeat(23)}INACTIVE   http://10.0.0.7:9090${' '.repeat(48)}5m`);
  });

  it('cuts free text first, then leaves out the least important columns, and never cuts a name', () => {
    const at80 = table(80);
    expect(widest(at80)).toBeLessThanOrEqual(80);
    expect(at80).toContain('prod-eu-west-ai-gateway-01');
    expect(at80).toMatch(/http:\/\/gateway-controller\.\S*…/);
    expect(at80).toContain('AGE');
    const at40 = table(40);
    expect(at40.split('\n')[0]).toBe('NAME                         STATUS');
    expect(at40).toContain('prod-eu-west-ai-gateway-01   ACTIVE');
    const told: string[][] = [];
    renderTable(columns, rows, { width: 40, color: false, mode: 'table', onLeftOut: (headers) => told.push(headers) });
    renderTable(columns, rows, { width: 160, color: false, mode: 'table', onLeftOut: (headers) => told.push(headers) });
    expect(told).toEqual([['URL', 'AGE']]);
    // Narrower than the name and status together: the line runs on (the terminal wraps it) rather than cut the name.
    expect(table(20)).toContain('prod-eu-west-ai-gateway-01');
  });

  it('with -o wide, wraps free text inside its column and cuts nothing', () => {
    const wide = table(60, 'wide');
    expect(wide).not.toContain('…');
    expect(widest(wide)).toBeLessThanOrEqual(60);
    // The first row's URL, read down its column, is whole.
    const [header, ...lines] = wide.trimEnd().split('\n');
    const [from, to] = [header!.indexOf('URL'), header!.indexOf('AGE')];
    const urlLines = lines.slice(0, lines.findIndex((line) => line.startsWith('edge-1')));
    expect(urlLines.map((line) => line.slice(from, to).trim()).join('')).toBe(rows[0]!.url);
  });

  it('wraps a Kind/name header at its word breaks before the line runs on', () => {
    const matrix: Column<{ name: string }>[] = [
      { header: 'GATEWAY', value: (r) => r.name, identifier: true },
      { header: 'LlmProvider/openai-provider', value: () => 'r1', identifier: true },
      { header: 'LlmProviderTemplate/openai', value: () => 'r1', identifier: true },
    ];
    const text = renderTable(matrix, [{ name: 'prod-eu-west-ai-gateway-01' }], { width: 60, color: false, mode: 'table' });
    expect(widest(text)).toBeLessThanOrEqual(60);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^GATEWAY\s+LlmProvider\/\s+LlmProvider$/);
    expect(lines[1]).toMatch(/^\s+openai-provider\s+Template\/$/);
    expect(lines[2]).toMatch(/^\s+openai$/);
  });

  it('colours a status at a terminal, never its padding, and only when asked', () => {
    const colored = table(160, 'table', true);
    expect(colored).toContain('\u001b[32mACTIVE\u001b[39m     ');
    expect(colored).toContain('\u001b[31mINACTIVE\u001b[39m');
    expect(colored).toContain('\u001b[1mNAME\u001b[22m');
    expect(table(160)).not.toContain('\u001b[');
  });
});

describe('cut, wrap and printable', () => {
  it('cuts with an ellipsis within the width', () => {
    expect(cut('production,staging', 10)).toBe('productio…');
    expect(cut('short', 10)).toBe('short');
  });

  it('wraps at spaces, and inside a word only when it must', () => {
    expect(wrap('the gateway answered 500', 12)).toEqual(['the gateway', 'answered 500']);
    expect(wrap('http://10.0.0.7:9090/x', 10)).toEqual(['http://10.', '0.0.7:9090', '/x']);
  });

  it('never sends a control character to the terminal', () => {
    expect(printable('bad\u001b[2Jgateway\tanswer\r\nsecond line')).toBe('bad\ufffd[2Jgateway answer second line');
  });
});
