/**
 * The dashboard's components over an in-memory Client: what the first frame shows, how keys move
 * through views and filters, the stale banner, read-only mode, and how much it asks of the source.
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dashboard, type DashboardProps } from '../../src/tui/app.js';
import { AuthenticationError } from '../../src/domain/errors.js';
import { firstPoll } from '../../src/tui/first-poll.js';
import { lineRenders } from '../../src/tui/views/gateway-table.js';
import { deployment, environment, FakeClient, gateway } from './fake-client.js';

const KEY = { up: '\u001B[A', down: '\u001B[B', enter: '\r', escape: '\u001B', tab: '\t' };

const production = environment('production', 'customer traffic');
const staging = environment('staging');

function fleet() {
  return new FakeClient({
    environments: [production, staging],
    gateways: [
      gateway('edge-1', { environments: [production] }),
      gateway('edge-2', { environments: [production, staging], responseTimeMs: 45 }),
      gateway('api-1', { type: 'INGRESS', environments: [staging] }),
      gateway('old-1', { status: 'INACTIVE', environments: [production], responseTimeMs: null, errorMessage: 'connection refused' }),
    ],
  });
}

function mount(client: FakeClient, props: Partial<DashboardProps> = {}) {
  const app = render(<Dashboard client={client} refreshMs={40} readonly={false} environment={null} metricsTtlMs={60_000} {...props} />);
  const frame = () => app.lastFrame() ?? '';
  const until = (predicate: (text: string) => boolean) =>
    vi.waitFor(
      () => {
        if (!predicate(frame())) throw new Error(`frame not as expected:\n${frame()}`);
      },
      { timeout: 3000, interval: 10 },
    );
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      app.stdin.write(key);
      // A lone ESC waits for Ink's escape-sequence timeout before it is a key.
      await new Promise((resolve) => setTimeout(resolve, key === KEY.escape ? 60 : 15));
    }
  };
  return { ...app, frame, until, press };
}

/** The table row of a gateway: the line that starts (after the marker) with its name. */
const rowOf = (frame: string, name: string) => frame.split('\n').find((line) => line.slice(2).startsWith(`${name} `)) ?? '';
const selectedRow = (frame: string) => frame.split('\n').find((line) => line.startsWith('> ')) ?? '';

afterEach(() => {
  cleanup();
});

describe('first render', () => {
  it('shows the source, the counts, every gateway in a table and the key hints', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    const frame = app.frame();
    expect(frame).toContain('server http://127.0.0.1:8080');
    expect(frame).toContain('adapter on-premise');
    expect(frame).toMatch(/env all\s+type all/);
    expect(frame).toMatch(/4 gateways\s+ACTIVE 3\s+INACTIVE 1/);
    expect(frame).toMatch(/updated \d+s ago/);
    expect(frame).toMatch(/NAME\s+TYPE\s+ENVIRONMENTS\s+STATUS\s+CHECKED\s+RESPONSE\s+RESOURCES\s+REQ\/S\s+ERR%/);
    // Sorted by name, the first one selected.
    expect(selectedRow(frame)).toContain('api-1');
    expect(rowOf(frame, 'edge-2')).toMatch(/edge-2\s+EGRESS\s+production,staging\s+ACTIVE\s+\S+\s+45ms/);
    expect(rowOf(frame, 'old-1')).toMatch(/INACTIVE\s+\S+\s+-/);
    expect(frame).toContain('<q> quit');
    expect(frame).toContain('<d> decommission');
  });

  it('shows running rollouts above the table: resource, revision, wave and its gateways', async () => {
    const client = fleet();
    const app = mount(client);
    await app.until((f) => f.includes('edge-1'));
    expect(app.frame()).not.toContain('rollout ');
    client.rolloutList = [
      {
        uuid: '0123abcd-0000-4000-8000-000000000001',
        resource: { uuid: '0123abcd-0000-4000-8000-000000000002', kind: 'LlmProvider', name: 'openai' },
        revision: 2,
        target: { environment: 'production' },
        state: 'running',
        currentWave: 0,
        steps: ['1', '100%'],
        pauseMs: 60_000,
        gates: ['errorRate<1%'],
        rollback: true,
        waves: [
          { index: 0, gateways: ['edge-1'], status: 'deployed', deployedAt: null, pauseUntil: null, failures: [], gates: [] },
          { index: 1, gateways: ['edge-2', 'old-1'], status: 'pending', deployedAt: null, pauseUntil: null, failures: [], gates: [] },
        ],
        message: null,
        actor: null,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      },
    ];
    await app.until((f) => f.includes('rollout 0123abcd LlmProvider/openai → revision 2 · wave 1/2 pausing (edge-1)'));
  });

  it('shows a first poll made before it rendered in its very first frame, and polls on from there', async () => {
    const client = fleet();
    const first = await firstPoll(client);
    expect(client.calls.list).toBe(1);
    const app = mount(client, { first, refreshMs: 60_000 });
    // Synchronously: no frame without the fleet, and no second fetch of the gateways for it.
    expect(app.frame()).toMatch(/4 gateways\s+ACTIVE 3\s+INACTIVE 1/);
    expect(rowOf(app.frame(), 'edge-1')).toContain('ACTIVE');
    await app.press('r');
    await vi.waitFor(() => expect(client.calls.list).toBe(2));
  });

  it('shows a first poll that failed as stale, and retries', async () => {
    const client = fleet();
    client.unreachable = 'connection refused';
    const first = await firstPoll(client);
    const app = mount(client, { first });
    expect(app.frame()).toContain('STALE');
    client.unreachable = null;
    await app.until((f) => !f.includes('STALE') && f.includes('edge-1'));
  });

  it('fills RESOURCES, REQ/S and ERR% from metrics of active rows only', async () => {
    const client = fleet();
    const app = mount(client);
    await app.until((f) => /edge-1.*\s7\s+12\.5\s+0\.8/.test(rowOf(f, 'edge-1')));
    expect(rowOf(app.frame(), 'old-1')).toMatch(/-\s+-\s+-\s*$/);
    expect(client.calls.metrics).not.toContain('old-1');
  });
});

describe('navigation', () => {
  it('moves with ↓/j and ↑/k, opens details with enter and comes back with esc', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    await app.press(KEY.down, 'j');
    await app.until((f) => selectedRow(f).includes('edge-2'));
    await app.press('k');
    await app.until((f) => selectedRow(f).includes('edge-1'));
    await app.press(KEY.down, KEY.down);
    await app.until((f) => selectedRow(f).includes('old-1'));
    await app.press(KEY.enter);
    await app.until((f) => f.includes('Control plane') && f.includes('Metrics ('));
    const detail = app.frame();
    expect(detail).toContain('http://127.0.0.1:9090/gateways/old-1');
    expect(detail).toContain('connection refused');
    expect(detail).toContain('Production');
    expect(detail).toMatch(/Resources\s+7 \(2 providers, 4 proxies, 1 MCP\)/);
    expect(detail).toContain('<esc> back');
    await app.press(KEY.escape);
    await app.until((f) => f.includes('NAME') && selectedRow(f).includes('old-1'));
  });

  it('takes keys that arrive in one chunk one by one', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    await app.press('jj');
    await app.until((f) => selectedRow(f).includes('edge-2'));
  });

  it('shows the status history and the deployed resources in the detail view, updated as it polls', async () => {
    const client = fleet();
    const edge1 = client.gatewayList.find((g) => g.name === 'edge-1')!;
    client.deploymentList = [deployment(edge1, 'LlmProvider', 'openai'), deployment(edge1, 'Mcp', 'github-tools', 'FAILED')];
    const app = mount(client);
    await app.until((f) => f.includes('edge-1'));
    await app.press('j', KEY.enter);
    await app.until((f) => f.includes('Status history') && f.includes('Deployed resources (2)'));
    expect(app.frame()).toMatch(/LlmProvider\/openai\s+rev 2\s+DEPLOYED/);
    expect(app.frame()).toMatch(/Mcp\/github-tools\s+rev 2\s+FAILED\s+the gateway answered 500/);
    client.setStatus('edge-1', 'INACTIVE', 'connection reset');
    await app.until((f) => /\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+ACTIVE → INACTIVE\s+connection reset/.test(f) && f.includes('INACTIVE for'));
  });

  it('shows help with ? and closes it with esc', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    await app.press('?');
    await app.until((f) => f.includes('Gateway details') && f.includes('<esc> close help'));
    await app.press(KEY.escape);
    await app.until((f) => f.includes('NAME') && !f.includes('close help'));
  });
});

describe('filter', () => {
  it('narrows the table as the text is typed, keeps it on enter and clears it with esc', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    await app.press('/', 'e', 'd', 'g', 'e');
    await app.until((f) => f.includes('/edge') && f.includes('2 of 4 gateways'));
    expect(rowOf(app.frame(), 'api-1')).toBe('');
    await app.press(KEY.enter);
    await app.until((f) => f.includes('filter /edge') && f.includes('<q> quit'));
    await app.press(KEY.escape);
    await app.until((f) => f.includes('4 gateways') && !f.includes('filter /edge'));
  });

  it('cycles the type filter with t', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    await app.press('t');
    await app.until((f) => f.includes('type EGRESS') && f.includes('3 of 4 gateways'));
    await app.press('t');
    await app.until((f) => f.includes('type INGRESS') && f.includes('1 of 4 gateways'));
    expect(rowOf(app.frame(), 'api-1')).toContain('INGRESS');
    await app.press('t');
    await app.until((f) => f.includes('type all') && f.includes('4 gateways'));
  });
});

describe('environments', () => {
  it('switches the environment filter with e', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    await app.press('e');
    await app.until((f) => f.includes('Filter by environment') && f.includes('all environments  (current)'));
    await app.press('j', 'j', KEY.enter);
    await app.until((f) => f.includes('env staging') && f.includes('2 of 4 gateways'));
    expect(rowOf(app.frame(), 'edge-1')).toBe('');
    expect(rowOf(app.frame(), 'api-1')).not.toBe('');
    await app.press('e', 'k', 'k', KEY.enter);
    await app.until((f) => f.includes('env all') && f.includes('4 gateways'));
  });

  it('starts filtered by --env', async () => {
    const app = mount(fleet(), { environment: { uuid: production.uuid, name: production.name, displayName: production.displayName } });
    await app.until((f) => f.includes('env production') && f.includes('3 of 4 gateways'));
  });

  it('lists environments with their gateways on tab, and enter filters by the chosen one', async () => {
    const app = mount(fleet());
    await app.until((f) => f.includes('edge-1'));
    await app.press(KEY.tab);
    await app.until((f) => f.includes('Gateways in production'));
    const frame = app.frame();
    expect(frame).toMatch(/production\s+Production\s+3\s+2\s+1\s+customer traffic/);
    expect(frame).toMatch(/staging\s+Staging\s+2\s+2\s+0/);
    expect(frame).toMatch(/old-1\s+EGRESS\s+INACTIVE\s+checked/);
    await app.press('j');
    await app.until((f) => f.includes('Gateways in staging'));
    await app.press(KEY.enter);
    await app.until((f) => f.includes('env staging') && f.includes('NAME') && f.includes('2 of 4 gateways'));
  });
});

describe('when the source cannot be reached', () => {
  it('keeps the last good data under a stale banner, and drops the banner when it is back', async () => {
    const client = fleet();
    const app = mount(client);
    await app.until((f) => f.includes('edge-1') && !f.includes('STALE'));
    client.unreachable = 'cannot reach the agentgw daemon at http://127.0.0.1:8080 (connection refused)';
    await app.until((f) => f.includes('STALE'));
    const frame = app.frame();
    expect(frame).toMatch(/STALE\s+showing data from \d+s ago, retrying every 40ms/);
    expect(frame).toContain(' cannot reach the agentgw daemon at http://127.0.0.1:8080 (connection refused)');
    expect(rowOf(frame, 'edge-1')).toContain('ACTIVE');
    expect(frame).toMatch(/4 gateways\s+ACTIVE 3/);
    client.unreachable = null;
    await app.until((f) => !f.includes('STALE') && f.includes('edge-1'));
  });

  it('stops polling when the daemon refuses the token (401/403), instead of retrying for ever', async () => {
    const client = fleet();
    const app = mount(client);
    await app.until((f) => f.includes('edge-1'));
    client.refusal = new AuthenticationError('token revoked', { hint: 'create a new one with: agentgw token create NAME' });
    await vi.waitFor(() => expect(client.calls.list).toBeGreaterThan(1), { timeout: 3000, interval: 10 });
    const polls = client.calls.list;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Polling every 40 ms, it would have asked about seven more times.
    expect(client.calls.list).toBe(polls);
    expect(app.frame()).not.toMatch(/retrying/);
  });

  it('says so when the very first poll fails', async () => {
    const client = fleet();
    client.unreachable = 'connection refused';
    const app = mount(client);
    await app.until((f) => f.includes('STALE') && f.includes('no data'));
  });

  it('never has two polls in flight, and stops polling while paused', async () => {
    const client = fleet();
    client.listDelayMs = 100;
    const app = mount(client, { refreshMs: 10 });
    await app.until((f) => f.includes('edge-1'));
    await app.press('r', 'r', 'r');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.maxListInFlight).toBe(1);
    await app.press('p');
    await app.until((f) => f.includes('PAUSED'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const calls = client.calls.list;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.calls.list).toBe(calls);
    await app.press('p');
    await vi.waitFor(() => expect(client.calls.list).toBeGreaterThan(calls));
  });
});

describe('decommission', () => {
  it('asks first, and does nothing on any key but y', async () => {
    const client = fleet();
    const app = mount(client);
    await app.until((f) => f.includes('edge-1'));
    await app.press('j', 'd');
    await app.until((f) => f.includes('Decommission edge-1?'));
    await app.press('n');
    await app.until((f) => f.includes('decommission cancelled'));
    expect(client.calls.delete).toEqual([]);
    await app.press('d', 'y');
    await app.until((f) => f.includes('edge-1 decommissioned') && f.includes('3 gateways'));
    expect(client.calls.delete).toEqual(['edge-1']);
    // The selection stays where it was, on the next gateway.
    expect(selectedRow(app.frame())).toContain('edge-2');
  });

  it('shows why the source refused, and keeps the gateway', async () => {
    const client = fleet();
    const edge1 = client.gatewayList.find((g) => g.name === 'edge-1')!;
    client.deploymentList = [deployment(edge1, 'LlmProvider', 'openai')];
    const app = mount(client);
    await app.until((f) => f.includes('edge-1'));
    await app.press('j', 'd', 'y');
    await app.until((f) => f.includes('cannot decommission edge-1: gateway "edge-1" has deployed resources (undeploy them first)'));
    expect(rowOf(app.frame(), 'edge-1')).not.toBe('');
  });

  it('is disabled by --readonly', async () => {
    const client = fleet();
    const app = mount(client, { readonly: true });
    await app.until((f) => f.includes('edge-1'));
    expect(app.frame()).toContain('READ-ONLY');
    expect(app.frame()).not.toContain('<d> decommission');
    await app.press('j', 'd');
    await app.until((f) => f.includes('read-only: decommission is disabled'));
    expect(app.frame()).not.toContain('Decommission edge-1?');
    await app.press('y', KEY.enter);
    await app.until((f) => f.includes('Control plane'));
    await app.press('d');
    await app.until((f) => f.includes('read-only: decommission is disabled'));
    expect(client.calls.delete).toEqual([]);
  });
});

describe('metrics per row', () => {
  it('are not held up by a gateway that never answers', async () => {
    const client = fleet();
    client.hangingMetrics.add('api-1');
    const app = mount(client);
    await app.until((f) => /\s7\s+12\.5\s+0\.8/.test(rowOf(f, 'edge-1')) && /\s7\s+12\.5\s+0\.8/.test(rowOf(f, 'edge-2')));
    expect(rowOf(app.frame(), 'api-1')).toMatch(/-\s+-\s+-\s*$/);
  });

  it('are fetched for the rows on screen only, once per TTL', async () => {
    const many = Array.from({ length: 60 }, (_, i) => gateway(`gw-${String(i).padStart(2, '0')}`));
    const client = new FakeClient({ gateways: many, environments: [] });
    const app = mount(client, { refreshMs: 20 });
    await app.until((f) => /gw-00.*12\.5/.test(f));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 24 rows: header, footer and spare lines leave 16 table rows.
    const fetched = new Set(client.calls.metrics);
    expect(fetched.size).toBeLessThanOrEqual(20);
    expect(client.calls.metrics.length).toBe(fetched.size);
    expect(fetched.has('gw-59')).toBe(false);
    expect(client.calls.list).toBeGreaterThan(3);
  });
});

describe('frames', () => {
  // A clock that does not move: the ages shown stay as they are, and its ticks render nothing.
  const at = new Date('2026-12-07T12:00:00.000Z');
  const still = () => at;
  const settled = (f: string) => /\s7\s+12\.5\s+0\.8/.test(rowOf(f, 'edge-1')) && /\s7\s+12\.5\s+0\.8/.test(rowOf(f, 'edge-2'));

  it('draws no frame for a poll that changed nothing, and draws the change a later poll brings', async () => {
    const client = fleet();
    const app = mount(client, { refreshMs: 10, now: still });
    await app.until(settled);
    // A frame the first reads asked for (16 ms on) may still be due: three polls (10 ms each,
    // timers set later) let it land before counting.
    const settledAt = client.calls.list;
    await vi.waitFor(() => expect(client.calls.list).toBeGreaterThan(settledAt + 3));
    const frames = app.frames.length;
    const polls = client.calls.list;
    await vi.waitFor(() => expect(client.calls.list).toBeGreaterThan(polls + 5));
    expect(app.frames.length).toBe(frames);
    client.setStatus('edge-1', 'INACTIVE');
    await app.until((f) => rowOf(f, 'edge-1').includes('INACTIVE'));
  });

  it('renders again only the two rows whose selection changed on ↓', async () => {
    const app = mount(fleet(), { refreshMs: 60_000, now: still });
    await app.until(settled);
    lineRenders.count = 0;
    await app.press(KEY.down);
    await app.until((f) => selectedRow(f).startsWith('> edge-1'));
    expect(lineRenders.count).toBe(2);
  });
});

describe('the event stream (remote mode)', () => {
  it('shows recent events in a pane and refreshes the table when one arrives, without waiting for a poll', async () => {
    const client = fleet();
    const app = mount(client, { refreshMs: 60_000 });
    await app.until((f) => f.includes('edge-1'));
    const listed = client.calls.list;
    client.gatewayList = client.gatewayList.map((g) => (g.name === 'edge-1' ? { ...g, status: 'INACTIVE' as const } : g));
    client.pushEvent({
      id: 7,
      time: new Date().toISOString(),
      type: 'gateway.status_changed',
      organizationId: 'org',
      subject: { kind: 'gateway', uuid: 'u', name: 'edge-1' },
      actor: 'system:health-monitor',
      data: { from: 'ACTIVE', to: 'INACTIVE', errorClass: 'refused' },
    });
    await app.until((f) => /gateway\.status_changed\s+gateway\/edge-1\s+system:health-monitor\s+ACTIVE → INACTIVE/.test(f));
    await app.until((f) => /INACTIVE/.test(rowOf(f, 'edge-1')));
    expect(client.calls.list).toBeGreaterThan(listed);
  });

  it('polls only as a safety net while the stream is live, and at its pace again when the stream drops', async () => {
    const client = fleet();
    client.liveStream = true;
    const app = mount(client, { refreshMs: 40 });
    await app.until((f) => f.includes('edge-1') && /\blive\b/.test(f.split('\n')[1] ?? ''));
    const whileLive = client.calls.list;
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Polling every 40 ms it would have asked about ten more times; live, the changes come as events.
    expect(client.calls.list - whileLive).toBeLessThanOrEqual(1);
    client.dropStream();
    await app.until((f) => f.includes('every 40ms'));
    const dropped = client.calls.list;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.calls.list - dropped).toBeGreaterThanOrEqual(3);
  });

  it('does not follow a stream in local mode', async () => {
    const client = new FakeClient({ environments: [production], gateways: [gateway('edge-1', { environments: [production] })], description: { mode: 'local' } });
    const app = mount(client, { refreshMs: 60_000 });
    await app.until((f) => f.includes('edge-1'));
    client.pushEvent({ id: 1, time: new Date().toISOString(), type: 'environment.created', organizationId: 'org', subject: { kind: 'environment', uuid: 'u', name: 'x' }, actor: 'a', data: {} });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(app.frame()).not.toContain('environment.created');
  });
});
