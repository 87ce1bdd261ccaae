/**
 * The real `agentgw dashboard`, built, in a real terminal (tmux), over a real SQLite store of
 * 5,000 gateways (more than the 1,000 it holds whole): it draws a screenful of rows, Page Down
 * takes it to the last gateway, and `/` says why it does not filter a fleet that size. The fleet
 * is written with SQL, as the gateways need not answer. Skipped where tmux is not installed.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, type CliEnvironment } from '../support/cli.js';
import { closeTerminals, hasTmux, openTerminal } from '../support/terminal.js';

const FLEET = 5000;
const PANE_ROWS = 30;

const tableRows = (text: string) => text.split('\n').filter((line) => /^(> | {2})gw-\d{5} /.test(line));
const selected = (text: string) => Number(/^> gw-(\d{5}) /m.exec(text)?.[1] ?? -1);

/** gw-00001 … gw-05000, straight into the migrated database. */
function writeFleet(path: string): void {
  const db = new Database(path);
  try {
    const now = new Date().toISOString();
    const insert = db.prepare(
      `insert into gateways (uuid, organization_uuid, name, display_name, gateway_type, control_plane_url, status, adapter_config,
                             adapter_type, metadata, version, status_changed_at, consecutive_failures, consecutive_successes,
                             next_check_at, created_at, updated_at)
       values (?, '00000000-0000-4000-8000-000000000001', ?, ?, 'EGRESS', ?, 'ACTIVE', ?, 'on-premise', '{}', 1, ?, 0, 1, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 1; i <= FLEET; i++) {
        const name = `gw-${String(i).padStart(5, '0')}`;
        const url = `http://${name}.invalid:9090`;
        insert.run(crypto.randomUUID(), name, `Gateway ${i}`, url, JSON.stringify({ controlPlaneUrl: url }), now, now, now, now);
      }
    })();
  } finally {
    db.close();
  }
}

describe.skipIf(!hasTmux)('agentgw dashboard in tmux over 5,000 gateways', () => {
  let cli: CliEnvironment;
  let database = '';

  beforeAll(async () => {
    cli = cliEnvironment();
    database = join(cli.env.HOME!, 'fleet.sqlite');
    const migrated = await cli.run(['migrate', 'up', '--database', `sqlite:${database}`]);
    expect(migrated.exitCode).toBe(0);
    writeFleet(database);
  }, 60_000);

  afterAll(closeTerminals);

  it('draws the rows on screen only, pages down to the last gateway, and says why / does not filter', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: cli.env.HOME!, AGENTGW_CONFIG_DIR: cli.env.AGENTGW_CONFIG_DIR!, NO_COLOR: '1' };
    const terminal = await openTerminal({ args: ['dashboard', '--database', `sqlite:${database}`, '--readonly'], env, columns: 160, rows: PANE_ROWS });
    const waitForScreen = (predicate: (text: string) => boolean, timeoutMs = 15_000) => terminal.waitFor(predicate, timeoutMs);

    let text = await waitForScreen((s) => s.includes('> gw-00001') && /\d+\+ gateways/.test(s));
    const height = tableRows(text).length;
    // A screenful: the pane less the header, the table's header, its "more below" line and the footer.
    expect(height).toBeGreaterThan(15);
    expect(height).toBeLessThan(PANE_ROWS);
    expect(text).toMatch(/… [\d,]+\+? more below/);

    await terminal.press('/');
    await waitForScreen((s) => s.includes('/ filters a fleet of up to 1,000 gateways'));

    // Page Down, a burst at a time, until the last gateway is selected.
    for (let at = selected(text); at < FLEET; ) {
      await terminal.repeat('PageDown', 20);
      text = await waitForScreen((s) => selected(s) > at);
      at = selected(text);
    }
    text = await waitForScreen((s) => s.includes(`${FLEET} gateways`) && !s.includes('more below'));
    expect(tableRows(text)).toHaveLength(height);
    expect(tableRows(text).at(-1)).toMatch(/^> gw-05000 /);

    await terminal.press('q');
    expect((await terminal.exit(5000)).exitCode).toBe(0);
  }, 120_000);
});
