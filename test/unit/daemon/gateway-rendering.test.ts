/**
 * The pieces a page of gateways is sent in (daemon/gateway-pages/): a gateway rendered around its
 * environments gives back exactly the bytes of JSON.stringify(presentGateway(…)), and the cache
 * of renderings answers only for the row version it was rendered from.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentSummary } from '../../../src/domain/types.js';
import { EnvironmentSummariesJson } from '../../../src/daemon/gateway-pages/environment-summaries-json.js';
import { RenderedGateways, renderGateway, type RenderedGateway } from '../../../src/daemon/gateway-pages/rendered-gateways.js';
import { presentGateway } from '../../../src/services/present.js';
import type { GatewayRecord } from '../../../src/store/repositories/gateways.js';

const ORGANIZATION = '00000000-0000-4000-8000-000000000001';

function gateway(overrides: Partial<GatewayRecord> = {}): GatewayRecord {
  return {
    uuid: '6f1c1d0e-5d35-4f43-9d7a-0d7f4b0a1c01',
    organizationId: ORGANIZATION,
    name: 'edge-1',
    displayName: 'Edge 1',
    type: 'EGRESS',
    status: 'ACTIVE',
    statusChangedAt: '2026-01-02T03:04:05.678Z',
    controlPlaneUrl: null,
    endpoint: null,
    region: null,
    adapterType: 'on-premise',
    adapterConfig: {},
    metadata: {},
    credentials: null,
    version: 1,
    lastHeartbeat: null,
    lastCheckedAt: null,
    responseTimeMs: null,
    errorMessage: null,
    errorClass: null,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.001Z',
    ...overrides,
  };
}

/** Every optional field set, with values JSON writes escaped, reordered or reformatted. */
const EVERYTHING_SET = gateway({
  displayName: 'Edge "one" \\ \u0001\n\ttab, ünïcödé, 🚀, \u2028',
  controlPlaneUrl: 'http://10.0.0.1:9090/gateways/gw-1',
  endpoint: 'https://edge-1.example.com:8443',
  region: 'eu-west-1',
  adapterType: 'cloud',
  // The same key as the slot the environments go in, nested: it must not be mistaken for it.
  adapterConfig: { controlPlaneUrl: 'http://10.0.0.1:9090', environments: [], password: { set: true }, tls: { insecure: false, ca: null } },
  metadata: { _internal: 'dropped', owner: 'team-a', '10': 'ten', '9': 'nine', ratio: 1.5, big: 1e21, tiny: 5e-7, list: [1, 'two', null] },
  credentials: 'sealed-envelope',
  version: 42,
  lastHeartbeat: '2026-01-02T03:04:05.999Z',
  lastCheckedAt: '1970-01-01T00:00:00.000Z',
  responseTimeMs: 0,
  errorMessage: 'connect ECONNREFUSED 10.0.0.1:9090 — "retrying"',
  errorClass: 'refused',
});

const ENVIRONMENTS: EnvironmentSummary[] = [
  { uuid: 'a1a1a1a1-0000-4000-8000-000000000001', name: 'production', displayName: 'Production "live"' },
  { uuid: 'b2b2b2b2-0000-4000-8000-000000000002', name: 'staging', displayName: 'Staging' },
];

const bytes = (rendered: RenderedGateway, environments: EnvironmentSummary[]) =>
  Buffer.concat([rendered.head, Buffer.from(JSON.stringify(environments)), rendered.tail]).toString('utf8');

describe('renderGateway', () => {
  it.each([
    ['every field unset', gateway()],
    ['every field set', EVERYTHING_SET],
  ])('with %s, is JSON.stringify(presentGateway(…)) around any environments', (_, record) => {
    for (const environments of [[], ENVIRONMENTS.slice(0, 1), ENVIRONMENTS]) {
      expect(bytes(renderGateway(record), environments)).toBe(JSON.stringify(presentGateway(record, environments)));
    }
    expect(renderGateway(record).name).toBe(record.name);
  });
});

describe('RenderedGateways', () => {
  const rendered = renderGateway(gateway());

  it('answers for the row version a gateway was rendered from, and no other', () => {
    const cache = new RenderedGateways();
    cache.set('g1', '100', rendered, 0);
    expect(cache.get('g1', '100', 1)).toBe(rendered);
    expect(cache.get('g1', '101', 1)).toBeUndefined();
    expect(cache.get('g2', '100', 1)).toBeUndefined();
    cache.set('g1', '101', rendered, 2);
    expect(cache.get('g1', '100', 3)).toBeUndefined();
  });

  it('forgets renderings older than its maximum age, and the oldest beyond its size', () => {
    const cache = new RenderedGateways(2, 1_000);
    cache.set('g1', '1', rendered, 0);
    expect(cache.get('g1', '1', 999)).toBe(rendered);
    expect(cache.get('g1', '1', 1_000)).toBeUndefined();
    cache.set('g2', '1', rendered, 10);
    cache.set('g3', '1', rendered, 20);
    cache.set('g4', '1', rendered, 30);
    expect([cache.get('g2', '1', 40), cache.get('g3', '1', 40), cache.get('g4', '1', 40)]).toEqual([undefined, rendered, rendered]);
  });

  it('renders a gateway once for pages that need it at the same time', async () => {
    const cache = new RenderedGateways();
    const rendering: string[][] = [];
    let finish = () => {};
    const first = cache.renderOnce(['g1', 'g2'], async (uuids) => {
      rendering.push(uuids);
      await new Promise<void>((resolve) => (finish = resolve));
      for (const uuid of uuids) cache.set(uuid, '1', rendered, 0);
    });
    const second = cache.renderOnce(['g2', 'g3'], async (uuids) => {
      rendering.push(uuids);
      for (const uuid of uuids) cache.set(uuid, '1', rendered, 0);
    });
    finish();
    await Promise.all([first, second]);
    expect(rendering).toEqual([['g1', 'g2'], ['g3']]);
    // The second page waited for g2 rather than reading it again.
    expect(cache.get('g2', '1', 0)).toBe(rendered);
  });

  it('reports its own failure, not another page’s', async () => {
    const cache = new RenderedGateways();
    const failing = cache.renderOnce(['g1'], () => Promise.reject(new Error('database gone')));
    const waiting = cache.renderOnce(['g1'], () => Promise.resolve());
    await expect(failing).rejects.toThrow('database gone');
    await expect(waiting).resolves.toBeUndefined();
    // Nothing is left pending: the next page renders g1 itself.
    const again: string[][] = [];
    await cache.renderOnce(['g1'], async (uuids) => void again.push(uuids));
    expect(again).toEqual([['g1']]);
  });
});

describe('EnvironmentSummariesJson', () => {
  it('writes a gateway’s environments in the order of the list, whatever order their uuids come in', () => {
    const summaries = new EnvironmentSummariesJson(ENVIRONMENTS);
    const [production, staging] = ENVIRONMENTS.map((e) => e.uuid);
    expect(summaries.json(`${staging} ${production}`)?.toString()).toBe(JSON.stringify(ENVIRONMENTS));
    expect(summaries.json(`${staging}`)?.toString()).toBe(JSON.stringify([ENVIRONMENTS[1]]));
    expect(summaries.json('')?.toString()).toBe('[]');
  });

  it('knows no environment outside the list', () => {
    expect(new EnvironmentSummariesJson(ENVIRONMENTS).json(`${ENVIRONMENTS[0]!.uuid} c3c3c3c3-0000-4000-8000-000000000003`)).toBeUndefined();
  });
});
