/**
 * The dashboard: the gateway table (k9s-like), a detail view per gateway, an environments view,
 * and the keys that move between them. It depends on the Client interface only, so it runs the
 * same over the in-process client and a daemon.
 *
 * @example
 * render(<Dashboard client={client} refreshMs={2000} readonly={false} environment={null} />);
 */
import { Box, useApp, useInput, useStdin, type Key } from 'ink';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { Client } from '../client/client.js';
import { AgentgwError } from '../domain/errors.js';
import type { Environment, EnvironmentSummary, Gateway, GatewayFilter } from '../domain/types.js';
import { fitColumns, GATEWAY_TABLE, type GatewayRow } from './columns.js';
import { arrayRows, WHOLE_FLEET, type GatewayRows } from './fleet-window.js';
import { keyOf } from './keys.js';
import { countByStatus, moveIndex, nextType, scrollWindow, selectGateways, type GatewaySelection } from './selection.js';
import type { FirstPoll } from './first-poll.js';
import { useEventFeed } from './use-event-feed.js';
import { useFleet } from './use-fleet.js';
import { useGatewayDetail } from './use-gateway-detail.js';
import { useRowMetrics } from './use-row-metrics.js';
import { useNow, useTerminalSize } from './use-terminal-size.js';
import { DetailView } from './views/detail-view.js';
import { EnvironmentPicker } from './views/environment-picker.js';
import { EnvironmentsView } from './views/environments-view.js';
import { Footer, type FooterMessage } from './views/footer.js';
import { GatewayTable } from './views/gateway-table.js';
import { Header } from './views/header.js';
import { RecentEvents } from './views/recent-events.js';
import { RolloutsLine } from './views/rollouts-line.js';
import { HelpView } from './views/help-view.js';
import type { KeyHint } from './views/theme.js';

export interface DashboardProps {
  client: Client;
  refreshMs: number;
  /** No decommission (and nothing else that writes). */
  readonly: boolean;
  /** The environment filter to start with (`--env`). */
  environment: EnvironmentSummary | null;
  /** How often a row's or the detail view's metrics may be fetched again. */
  metricsTtlMs?: number;
  now?: () => Date;
  /** Quit once the first poll is on screen (start-up benchmark). */
  exitAfterFirstPoll?: boolean;
  /** The first poll, made before the first render. */
  first?: FirstPoll;
}

type View = { kind: 'gateways' } | { kind: 'detail'; uuid: string } | { kind: 'environments' };
type Overlay = { kind: 'help' } | { kind: 'filter'; before: string } | { kind: 'environment'; index: number } | { kind: 'confirm'; gateway: Gateway } | null;

const MOVE: KeyHint = { keys: '↑↓ jk', label: 'move' };
const HELP: KeyHint = { keys: '?', label: 'help' };
const QUIT: KeyHint = { keys: 'q', label: 'quit' };
const REFRESH: KeyHint = { keys: 'r', label: 'refresh' };
const PAUSE: KeyHint = { keys: 'p', label: 'pause' };
const DECOMMISSION: KeyHint = { keys: 'd', label: 'decommission' };

const GATEWAY_KEYS: KeyHint[] = [
  MOVE,
  { keys: 'enter', label: 'details' },
  { keys: '/', label: 'filter' },
  { keys: 'e', label: 'env' },
  { keys: 't', label: 'type' },
  { keys: 'tab', label: 'environments' },
  REFRESH,
  PAUSE,
  DECOMMISSION,
  HELP,
  QUIT,
];
const DETAIL_KEYS: KeyHint[] = [{ keys: 'esc', label: 'back' }, REFRESH, PAUSE, DECOMMISSION, HELP, QUIT];
const ENVIRONMENT_KEYS: KeyHint[] = [MOVE, { keys: 'enter', label: 'show its gateways' }, { keys: 'esc', label: 'back' }, REFRESH, PAUSE, HELP, QUIT];

const withoutWrites = (keys: KeyHint[], readonly: boolean) => (readonly ? keys.filter((k) => k !== DECOMMISSION) : keys);

/** Lines around the body: header (2, +2 when stale), footer (2), one spare so Ink never scrolls. */
const chromeLines = (stale: boolean) => 2 + (stale ? 2 : 0) + 2 + 1;
const MESSAGE_MS = 5000;
/** Lines of the recent-events pane (remote mode). */
/** How often the fleet is read while the event stream is live. */
const STREAMING_REFRESH_MS = 30_000;
const RECENT_EVENTS = 3;
const LOADING_FRAME_AFTER_MS = 250;

interface UiState {
  view: View;
  overlay: Overlay;
  selection: GatewaySelection;
  selectedUuid: string | null;
  environmentIndex: number;
  paused: boolean;
  message: (FooterMessage & { at: number }) | null;
}

export function Dashboard(props: DashboardProps) {
  const { client, readonly } = props;
  const now = props.now ?? defaultNow;
  const metricsTtlMs = props.metricsTtlMs ?? 10_000;
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const size = useTerminalSize();
  const clock = useNow(now);

  // The view's state lives in a ref that every key updates at once: keys typed faster than a
  // render (a held `j`, a pasted filter) arrive in one chunk and must each see the one before.
  const ui = useRef<UiState>({
    view: { kind: 'gateways' },
    overlay: null,
    selection: { environment: props.environment, type: null, text: '' },
    selectedUuid: null,
    environmentIndex: 0,
    paused: false,
    message: null,
  });
  const [, rendered] = useReducer((n: number) => n + 1, 0);
  const update = useCallback((change: Partial<UiState>) => {
    ui.current = { ...ui.current, ...change };
    rendered();
  }, []);
  const { view, overlay, selection, paused } = ui.current;
  const top = useRef(0);

  const refreshFleet = useRef(() => {});
  const feed = useEventFeed(client, { enabled: client.describe().mode === 'remote', onEvent: () => refreshFleet.current(), keep: RECENT_EVENTS });
  const recentEvents = feed.recent;
  // Following the stream, changes come as events: the poll is only a safety net, which also
  // brings the check times of health checks that changed nothing (they write no event).
  const refreshMs = feed.live ? Math.max(props.refreshMs, STREAMING_REFRESH_MS) : props.refreshMs;
  // A fleet too large to hold is read around the rows on screen (as the last render placed them),
  // filtered by the source.
  const shownRows = useRef({ from: 0, to: 0 });
  const fleet = useFleet(client, {
    refreshMs,
    paused,
    now,
    view: () => shownRows.current,
    filter: serverFilter(selection),
    framePerPoll: view.kind === 'detail',
    ...(props.first === undefined ? {} : { first: props.first }),
  });
  refreshFleet.current = fleet.refresh;
  // The stream dropped: read the fleet now, at the pace just restored, so a gone daemon or a
  // refused token shows at once.
  const wasLive = useRef(false);
  useEffect(() => {
    if (wasLive.current && !feed.live) fleet.refresh();
    wasLive.current = feed.live;
  }, [feed.live, fleet]);
  const latestFleet = useRef(fleet);
  latestFleet.current = fleet;
  const gateways = useMemo(() => (fleet.gateways === null ? null : selectGateways(fleet.gateways, selection)), [fleet.gateways, selection]);
  const list: GatewayRows = fleet.window ?? arrayRows(gateways ?? []);
  const environments = fleet.environments ?? [];

  const stale = fleet.error !== null;
  const bodyHeight = Math.max(3, size.rows - chromeLines(stale));
  // The recent-events pane takes its lines (and a rule) from the table, once there are events.
  const paneLines = recentEvents.length === 0 ? 0 : recentEvents.length + 1;
  const tableHeight = Math.max(1, bodyHeight - 2 - paneLines);
  // The selection follows its gateway; when that one goes (decommissioned, filtered out) it stays
  // at the same height instead of jumping to the top.
  const lastIndex = useRef(0);
  const selectedIn = (rows: GatewayRows, uuid: string | null) => {
    const found = uuid === null ? -1 : rows.indexOf(uuid);
    return found !== -1 ? found : Math.max(0, Math.min(lastIndex.current, rows.length - 1));
  };
  const selected = selectedIn(list, ui.current.selectedUuid);
  lastIndex.current = selected;
  top.current = scrollWindow(top.current, selected, tableHeight, list.length);
  shownRows.current = { from: top.current, to: top.current + tableHeight };
  const onScreen = rowsBetween(list, top.current, top.current + tableHeight);

  const metrics = useRowMetrics(client, view.kind === 'gateways' ? onScreen : [], { ttlMs: metricsTtlMs, paused, now });
  // A gateway that is not ACTIVE is not asked for metrics; its last ones would mislead.
  const rows: GatewayRow[] = onScreen.map((gateway) => ({ gateway, metrics: gateway.status === 'ACTIVE' ? (metrics.get(gateway.uuid)?.report ?? null) : null }));
  const columns = fitColumns(GATEWAY_TABLE, rows, size.columns, clock);

  const held = fleet.gateways !== null || fleet.window !== null;
  const detailGateway = view.kind === 'detail' ? heldGateway(fleet, view.uuid) : undefined;

  const say = useCallback((text: string, tone: FooterMessage['tone'] = 'info') => update({ message: { text, tone, at: now().getTime() } }), [now, update]);

  useEffect(() => {
    if (props.exitAfterFirstPoll && fleet.polls > 0) exit();
  }, [props.exitAfterFirstPoll, fleet.polls, exit]);

  // A refused token stays refused: rather than "STALE, retrying" for ever, the dashboard ends and
  // the CLI says why, with its hint (exit 4).
  const refused = fleet.error?.refused ?? null;
  useEffect(() => {
    if (refused !== null) exit(refused);
  }, [refused, exit]);

  // A gateway decommissioned elsewhere closes its detail view.
  useEffect(() => {
    if (view.kind === 'detail' && held && detailGateway === undefined) {
      update({ view: { kind: 'gateways' } });
      say('that gateway no longer exists');
    }
  }, [view, fleet.gateways, detailGateway, say, update]);

  const decommission = async (gateway: Gateway) => {
    say(`decommissioning ${gateway.name}…`);
    try {
      await client.gateways.delete(gateway.uuid);
      say(`${gateway.name} decommissioned`);
      if (ui.current.view.kind === 'detail') update({ view: { kind: 'gateways' } });
      latestFleet.current.refresh();
    } catch (error) {
      const hint = error instanceof AgentgwError && error.hint ? ` (${error.hint})` : '';
      say(`cannot decommission ${gateway.name}: ${error instanceof Error ? error.message : String(error)}${hint}`, 'error');
    }
  };

  const askToDecommission = (gateway: Gateway | undefined) => {
    if (gateway === undefined) return;
    if (readonly) say('read-only: decommission is disabled (started with --readonly)', 'error');
    else update({ overlay: { kind: 'confirm', gateway } });
  };

  const withSelection = (change: Partial<GatewaySelection>) => update({ selection: { ...ui.current.selection, ...change } });
  const asSummary = (e: Environment): EnvironmentSummary => ({ uuid: e.uuid, name: e.name, displayName: e.displayName });

  const onKey = (input: string, key: Key) => {
    const state = ui.current;
    const allEnvironments = latestFleet.current.environments ?? [];
    if (key.ctrl && input === 'c') return exit();

    if (state.overlay?.kind === 'filter') {
      const { before } = state.overlay;
      if (key.escape) update({ overlay: null, selection: { ...state.selection, text: before } });
      else if (key.return) update({ overlay: null });
      else if (key.backspace || key.delete) withSelection({ text: state.selection.text.slice(0, -1) });
      else if (input !== '' && !key.ctrl && !key.meta && !key.tab) withSelection({ text: state.selection.text + input });
      return;
    }
    if (state.overlay?.kind === 'confirm') {
      const { gateway } = state.overlay;
      update({ overlay: null });
      if (input === 'y' || input === 'Y') void decommission(gateway);
      else say('decommission cancelled');
      return;
    }
    if (input === 'q') return exit();
    if (state.overlay?.kind === 'help') {
      if (key.escape || input === '?' || key.return) update({ overlay: null });
      return;
    }
    if (state.overlay?.kind === 'environment') {
      const { index } = state.overlay;
      const choices = allEnvironments.length + 1;
      if (key.upArrow || input === 'k') update({ overlay: { kind: 'environment', index: moveIndex(index, -1, choices) } });
      else if (key.downArrow || input === 'j') update({ overlay: { kind: 'environment', index: moveIndex(index, 1, choices) } });
      else if (key.escape) update({ overlay: null });
      else if (key.return) {
        const chosen = index === 0 ? undefined : allEnvironments[index - 1];
        update({ overlay: null, selection: { ...state.selection, environment: chosen === undefined ? null : asSummary(chosen) } });
      }
      return;
    }

    if (input === '?') return update({ overlay: { kind: 'help' } });
    if (input === 'r') {
      latestFleet.current.refresh();
      return say('refreshing…');
    }
    if (input === 'p') {
      update({ paused: !state.paused });
      return say(state.paused ? 'resumed' : 'paused: p resumes, r refreshes once');
    }

    if (state.view.kind === 'detail') {
      const { uuid } = state.view;
      if (key.escape || key.backspace || key.leftArrow) update({ view: { kind: 'gateways' } });
      else if (input === 'd') askToDecommission(heldGateway(latestFleet.current, uuid));
      return;
    }

    if (state.view.kind === 'environments') {
      const index = state.environmentIndex;
      if (key.upArrow || input === 'k') update({ environmentIndex: moveIndex(index, -1, allEnvironments.length) });
      else if (key.downArrow || input === 'j') update({ environmentIndex: moveIndex(index, 1, allEnvironments.length) });
      else if (key.escape || key.tab) update({ view: { kind: 'gateways' } });
      else if (key.return) {
        const chosen = allEnvironments[index];
        update({ view: { kind: 'gateways' }, ...(chosen ? { selection: { ...state.selection, environment: asSummary(chosen) } } : {}) });
      }
      return;
    }

    const { window: windowed, gateways: whole } = latestFleet.current;
    const list = windowed ?? arrayRows(selectGateways(whole ?? [], state.selection));
    const current = selectedIn(list, state.selectedUuid);
    const select = (index: number) => {
      // A row not read yet has no uuid to follow: the selection keeps its index until it is read.
      lastIndex.current = index;
      update({ selectedUuid: list.at(index)?.uuid ?? null });
    };
    if (key.upArrow || input === 'k') select(moveIndex(current, -1, list.length));
    else if (key.downArrow || input === 'j') select(moveIndex(current, 1, list.length));
    else if (key.pageUp) select(moveIndex(current, -tableHeight, list.length));
    else if (key.pageDown) select(moveIndex(current, tableHeight, list.length));
    else if (key.return) {
      const gateway = list.at(current);
      if (gateway) update({ view: { kind: 'detail', uuid: gateway.uuid } });
    } else if (input === '/') {
      if (windowed === null) update({ overlay: { kind: 'filter', before: state.selection.text } });
      else say(`/ filters a fleet of up to ${WHOLE_FLEET.toLocaleString('en-US')} gateways; this one is larger: e filters by environment, t by type`, 'error');
    }
    else if (input === 'e') {
      const index = allEnvironments.findIndex((e) => e.uuid === state.selection.environment?.uuid);
      update({ overlay: { kind: 'environment', index: index + 1 } });
    } else if (input === 't') withSelection({ type: nextType(state.selection.type) });
    else if (key.tab) update({ view: { kind: 'environments' } });
    else if (input === 'd') askToDecommission(list.at(current));
    else if (key.escape && state.selection.text !== '') withSelection({ text: '' });
  };

  const onInput = (input: string, key: Key) => {
    // A chunk of several characters is several keys (or a paste): one at a time, in order.
    const characters = Array.from(input);
    if (characters.length <= 1) return onKey(input, key);
    for (const character of characters) onKey(character, keyOf(character));
  };

  useInput(onInput, { isActive: isRawModeSupported === true });

  // A source that answers at once goes straight to its data: no "loading" frame flashes by, and
  // the first poll is not kept waiting behind a render of it.
  const [waitedLong, setWaitedLong] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setWaitedLong(true), LOADING_FRAME_AFTER_MS);
    return () => clearTimeout(timer);
  }, []);
  if (fleet.polls === 0 && !waitedLong) return null;

  const hints =
    overlay?.kind === 'filter'
      ? [{ keys: 'enter', label: 'keep filter' }, { keys: 'esc', label: 'cancel' }]
      : overlay?.kind === 'confirm'
        ? [{ keys: 'y', label: `decommission ${overlay.gateway.name}` }, { keys: 'any other key', label: 'cancel' }]
        : overlay?.kind === 'environment'
          ? [MOVE, { keys: 'enter', label: 'choose' }, { keys: 'esc', label: 'cancel' }]
          : overlay?.kind === 'help'
            ? [{ keys: 'esc', label: 'close help' }, QUIT]
            : withoutWrites(view.kind === 'detail' ? DETAIL_KEYS : view.kind === 'environments' ? ENVIRONMENT_KEYS : GATEWAY_KEYS, readonly);
  const prompt =
    overlay?.kind === 'filter'
      ? `/${selection.text}`
      : overlay?.kind === 'confirm'
        ? `Decommission ${overlay.gateway.name}? It is deregistered from its gateway and deleted. [y/N] `
        : null;
  const { message, environmentIndex } = ui.current;
  const shownMessage = message !== null && clock.getTime() - message.at < MESSAGE_MS ? message : null;

  let body;
  if (overlay?.kind === 'help') {
    body = (
      <HelpView
        width={size.columns}
        sections={[
          { title: 'Gateways', keys: withoutWrites([...GATEWAY_KEYS, { keys: 'esc', label: 'clear the / filter' }], readonly) },
          { title: 'Gateway details', keys: withoutWrites(DETAIL_KEYS, readonly) },
          { title: 'Environments', keys: ENVIRONMENT_KEYS },
        ]}
      />
    );
  } else if (overlay?.kind === 'environment') {
    body = <EnvironmentPicker environments={environments} selected={overlay.index} current={selection.environment?.uuid ?? null} />;
  } else if (view.kind === 'detail' && detailGateway !== undefined) {
    body = <GatewayDetailPane client={client} gateway={detailGateway} pollKey={fleet.polls} paused={paused} ttlMs={metricsTtlMs} now={clock} height={bodyHeight} />;
  } else if (view.kind === 'environments') {
    body = (
      <EnvironmentsView environments={environments} gateways={fleet.window === null ? (fleet.gateways ?? []) : null} selected={environmentIndex} width={size.columns} height={bodyHeight} now={clock} />
    );
  } else {
    const empty = !held ? (stale ? 'no data' : 'loading…') : fleet.gateways?.length === 0 ? 'no gateways registered' : list.more ? 'loading…' : 'no gateways match the filters';
    const below = list.length - top.current - rows.length;
    body = (
      <>
        <GatewayTable columns={columns} rows={rows} selected={selected} top={top.current} below={below} more={list.more} now={clock} empty={empty} />
        {recentEvents.length > 0 ? <RecentEvents events={recentEvents} now={clock} width={size.columns} /> : null}
      </>
    );
  }

  return (
    <Box flexDirection="column" width={size.columns}>
      <Header
        source={client.describe()}
        selection={selection}
        counts={gateways === null ? null : countByStatus(gateways)}
        shown={list.length}
        total={fleet.window === null ? (fleet.gateways?.length ?? 0) : list.length}
        more={list.more && held}
        updatedAt={fleet.updatedAt}
        error={fleet.error}
        now={clock}
        refreshMs={refreshMs}
        live={feed.live}
        paused={paused}
        readonly={readonly}
      />
      {/* Fixed height keeps the footer at the bottom; the body is clipped, never squeezed. Clipped
          in height only: every line is cut to the width already, and a box clipped in width has
          Ink cut each of its lines again (slice-ansi), a third of a frame's time. */}
      <Box flexDirection="column" height={bodyHeight} overflowY="hidden">
        <Box flexDirection="column" flexShrink={0}>
          <RolloutsLine rollouts={fleet.rollouts} />
          {body}
        </Box>
      </Box>
      <Footer hints={hints} message={shownMessage} prompt={prompt} width={size.columns} />
    </Box>
  );
}

function GatewayDetailPane(props: { client: Client; gateway: Gateway; pollKey: number; paused: boolean; ttlMs: number; now: Date; height: number }) {
  const detail = useGatewayDetail(props.client, props.gateway.uuid, { ttlMs: props.ttlMs, pollKey: props.pollKey, paused: props.paused });
  return <DetailView gateway={props.gateway} detail={detail} now={props.now} height={props.height} />;
}

const defaultNow = () => new Date();

/** What the source filters a fleet too large to hold by (the `/` text is for a fleet held whole). */
function serverFilter(selection: GatewaySelection): GatewayFilter {
  return { ...(selection.environment === null ? {} : { environment: selection.environment.uuid }), ...(selection.type === null ? {} : { type: selection.type }) };
}

/** The rows `[from, to)` that are read (the table leaves out any that are not, until they are). */
function rowsBetween(rows: GatewayRows, from: number, to: number): Gateway[] {
  const found: Gateway[] = [];
  for (let index = from; index < Math.min(to, rows.length); index++) {
    const gateway = rows.at(index);
    if (gateway !== undefined) found.push(gateway);
  }
  return found;
}

/** A gateway the dashboard holds, whole fleet or window. */
function heldGateway(fleet: { gateways: Gateway[] | null; window: GatewayRows | null }, uuid: string): Gateway | undefined {
  if (fleet.window !== null) return fleet.window.at(fleet.window.indexOf(uuid));
  return fleet.gateways?.find((g) => g.uuid === uuid);
}
