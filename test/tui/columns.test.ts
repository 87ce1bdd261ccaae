/** The table's width-fitting: every terminal width gets a row that fits, losing the least useful columns first. */
import { describe, expect, it } from 'vitest';
import { cell, fitColumns, GAP, GATEWAY_TABLE, MARKER_WIDTH, type GatewayRow } from '../../src/tui/columns.js';
import { environment, gateway } from './fake-client.js';

const now = new Date('2026-01-01T00:03:00.000Z');
const rows: GatewayRow[] = [
  { gateway: gateway('prod-eu-west-gateway-01', { environments: [environment('production'), environment('staging')] }), metrics: null },
  { gateway: gateway('gw-2', { status: 'INACTIVE', responseTimeMs: null }), metrics: null },
];
const headers = (width: number) => fitColumns(GATEWAY_TABLE, rows, width, now).map((c) => c.header);
const used = (width: number) => {
  const columns = fitColumns(GATEWAY_TABLE, rows, width, now);
  return MARKER_WIDTH + columns.reduce((sum, c) => sum + c.width, 0) + GAP * (columns.length - 1);
};

describe('fitColumns', () => {
  it('shows every column when there is room, each as wide as its content', () => {
    expect(headers(160)).toEqual(['NAME', 'TYPE', 'ENVIRONMENTS', 'STATUS', 'CHECKED', 'RESPONSE', 'RESOURCES', 'REQ/S', 'ERR%']);
    const name = fitColumns(GATEWAY_TABLE, rows, 160, now)[0]!;
    expect(name.width).toBe('prod-eu-west-gateway-01'.length);
  });

  it('drops RESOURCES first, then ERR% and REQ/S, and keeps NAME and STATUS to the end', () => {
    expect(headers(90)).not.toContain('RESOURCES');
    expect(headers(90)).toContain('ENVIRONMENTS');
    expect(headers(60)).toEqual(expect.arrayContaining(['NAME', 'STATUS']));
    expect(headers(60)).not.toContain('ERR%');
    expect(headers(30)).toEqual(['NAME', 'STATUS']);
  });

  it('never draws a row wider than the terminal', () => {
    for (let width = 17; width <= 200; width++) expect(used(width)).toBeLessThanOrEqual(width);
  });
});

describe('cell', () => {
  it('pads to the width, aligned, and cuts long text with an ellipsis', () => {
    expect(cell('gw', 5)).toBe('gw   ');
    expect(cell('12ms', 6, 'right')).toBe('  12ms');
    expect(cell('production,staging', 10)).toBe('productio…');
  });
});
