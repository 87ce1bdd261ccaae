/**
 * The dashboard over a fleet larger than it holds whole (5,000 gateways, over the 1,000 it
 * filters itself): the table draws the rows on screen only, the source is read a segment at a
 * time around them, scrolling reaches the last gateway and comes back, and the filters go to the
 * source.
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dashboard } from '../../src/tui/app.js';
import { environment, FakeClient, gateway } from './fake-client.js';

const FLEET = 5000;
/** The table's rows on ink-testing-library's screen. */
const TABLE_ROWS = 17;

const production = environment('production');
const staging = environment('staging');
const nameOf = (i: number) => `gw-${String(i).padStart(5, '0')}`;

function largeFleet() {
  const gateways = Array.from({ length: FLEET }, (_, i) =>
    gateway(nameOf(i), { environments: [i % 10 === 0 ? staging : production], status: i % 7 === 0 ? 'INACTIVE' : 'ACTIVE' }),
  );
  return new FakeClient({ environments: [production, staging], gateways });
}

function mount(client: FakeClient) {
  const app = render(<Dashboard client={client} refreshMs={60_000} readonly={false} environment={null} metricsTtlMs={60_000} />);
  const frame = () => app.lastFrame() ?? '';
  const until = (predicate: (text: string) => boolean) =>
    vi.waitFor(
      () => {
        if (!predicate(frame())) throw new Error(`frame not as expected:\n${frame()}`);
      },
      { timeout: 5000, interval: 10 },
    );
  return { ...app, frame, until };
}

const tableRows = (frame: string) => frame.split('\n').filter((line) => /^(> | {2})gw-\d{5} /.test(line));
const selectedName = (frame: string) => /^> (gw-\d{5}) /m.exec(frame)?.[1] ?? '';
const selectedIndex = (frame: string) => Number(selectedName(frame).slice(3) || -1);

/** The rows the header says are known, and whether more follow ("1100+ gateways"). */
function known(frame: string): { rows: number; more: boolean } {
  const [, rows = '0', more] = /(\d+)(\+?) gateways/.exec(frame) ?? [];
  return { rows: Number(rows), more: more === '+' };
}

/**
 * Moves the selection by `times` rows with `key` typed that many times in one chunk (as a held key
 * would), once the rows it moves to are read: the dashboard reads ahead of the screen, not ahead
 * of a key faster than its source.
 */
async function move(app: ReturnType<typeof mount>, key: 'j' | 'k', times: number): Promise<number> {
  const before = selectedIndex(app.frame());
  const target = key === 'j' ? before + times : Math.max(0, before - times);
  await app.until((f) => known(f).rows > target || !known(f).more);
  const expected = Math.min(target, known(app.frame()).rows - 1);
  app.stdin.write(key.repeat(times));
  await app.until((f) => selectedIndex(f) === expected);
  return expected;
}

afterEach(() => {
  cleanup();
});

describe('a fleet larger than the dashboard holds whole', () => {
  it('draws the rows on screen only and reads a window around them, not the fleet', async () => {
    const client = largeFleet();
    const app = mount(client);
    // Rows read off screen are drawn with the next frame, or a moment after they arrive.
    await app.until((f) => f.includes(nameOf(0)) && client.calls.list >= 5 && /1100\+ gateways/.test(f));
    const frame = app.frame();
    expect(tableRows(frame)).toHaveLength(TABLE_ROWS);
    expect(tableRows(frame)[0]).toMatch(/^> gw-00000 /);
    // What is known so far, and that more follow: no count of the whole fleet is asked for.
    expect(frame).toMatch(/1100\+ gateways/);
    expect(frame).toMatch(/… 1,083\+ more below/);
    // The first read is a screenful; the next ones read on to 1,000 rows (a fleet that small
    // would be held whole) and no further.
    expect(client.calls.pages).toEqual([{ limit: 100 }, ...[99, 349, 599, 849].map((last) => ({ limit: 250, cursor: nameOf(last) }))]);
  });

  it('scrolls to the last gateway and back to the first, reading only the segments it passes', async () => {
    const client = largeFleet();
    const app = mount(client);
    await app.until((f) => f.includes(nameOf(0)));
    let at = 0;
    while (at < FLEET - 1) at = await move(app, 'j', 400);
    await app.until((f) => !f.includes('more below'));
    const end = app.frame();
    expect(selectedName(end)).toBe(nameOf(FLEET - 1));
    expect(end).toMatch(/5000 gateways/);
    expect(tableRows(end)).toHaveLength(TABLE_ROWS);
    expect(tableRows(end).at(-1)).toMatch(/^> gw-04999 /);
    // Each segment read once on the way down, none larger than the API's page.
    const down = client.calls.pages.length;
    expect(client.calls.pages.every((page) => (page.limit ?? 100) <= 250)).toBe(true);
    expect(new Set(client.calls.pages.map((page) => page.cursor)).size).toBe(down);

    while (at > 0) at = await move(app, 'k', 400);
    expect(tableRows(app.frame())[0]).toMatch(/^> gw-00000 /);
    // The segments far behind were let go on the way down, and read again on the way up.
    expect(client.calls.pages.length).toBeGreaterThan(down);
  });

  it('filters by environment and type at the source, and says why / does not filter', async () => {
    const client = largeFleet();
    const app = mount(client);
    await app.until((f) => f.includes(nameOf(0)));
    app.stdin.write('/');
    await app.until((f) => f.includes('/ filters a fleet of up to 1,000 gateways'));
    // Environments: all, production, staging.
    app.stdin.write('e');
    await app.until((f) => f.includes('staging'));
    app.stdin.write('jj\r');
    await app.until((f) => f.includes('env staging') && f.includes(nameOf(10)));
    expect(tableRows(app.frame())[1]).toMatch(/^ {2}gw-00010 /);
    expect(app.frame()).toMatch(/500 gateways/);
    expect(client.calls.pages).toContainEqual({ environment: staging.uuid, limit: 100 });
    app.stdin.write('t');
    await app.until((f) => f.includes('type EGRESS'));
    await vi.waitFor(() => expect(client.calls.pages).toContainEqual({ environment: staging.uuid, type: 'EGRESS', limit: 100 }));
  });

  it('holds a fleet of up to 1,000 whole once it has read it all: counts, and / filters it', async () => {
    const client = new FakeClient({ environments: [production], gateways: Array.from({ length: 900 }, (_, i) => gateway(nameOf(i), { status: i % 7 === 0 ? 'INACTIVE' : 'ACTIVE' })) });
    const app = mount(client);
    await app.until((f) => /900 gateways\s+ACTIVE 771\s+INACTIVE 129/.test(f));
    app.stdin.write('/00899');
    await app.until((f) => f.includes('1 of 900 gateways') && tableRows(f).length === 1);
  });
});
