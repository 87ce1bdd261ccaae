/** Gateways rendered as the JSON bytes of a page, kept per row version (see RenderedGateways). */
import { presentGateway } from '../../services/present.js';
import type { GatewayRecord } from '../../store/repositories/gateways.js';

/**
 * A gateway's JSON (UTF-8) in the two parts around its environments, which change without its
 * row: head, the environments' JSON and tail are exactly JSON.stringify(presentGateway(record,
 * environments)), as JSON.stringify writes an object's members one after another. Bytes, not
 * strings: a page is sent as the bytes of its gateways put together, without a string of it
 * copied and encoded again on the way out.
 */
export interface RenderedGateway {
  name: string;
  head: Buffer;
  tail: Buffer;
}

export function renderGateway(record: GatewayRecord): RenderedGateway {
  const members = Object.entries(presentGateway(record, []));
  const at = members.findIndex(([key]) => key === 'environments');
  const before = JSON.stringify(Object.fromEntries(members.slice(0, at)));
  const after = JSON.stringify(Object.fromEntries(members.slice(at + 1)));
  return { name: record.name, head: Buffer.from(`${before.slice(0, -1)},"environments":`), tail: Buffer.from(`,${after.slice(1)}`) };
}

/**
 * Renderings of gateways, each kept with the row version it was rendered from (PostgreSQL's
 * xmin, new with every write of the row), so a page re-renders a gateway only after its row
 * changed. Never stale: a reader asks for the version it has just read. Bounded in size, and in
 * age: a 32-bit xmin comes round again only after four billion transactions, far more than
 * anything commits in `maxAgeMs`.
 */
export class RenderedGateways {
  readonly #entries = new Map<string, { rowVersion: string; renderedAt: number; rendered: RenderedGateway }>();
  /** Gateways a page is rendering now: a page that needs them too waits for it. */
  readonly #rendering = new Map<string, Promise<void>>();

  constructor(
    private readonly maxEntries = 20_000,
    private readonly maxAgeMs = 10 * 60_000,
  ) {}

  get(uuid: string, rowVersion: string, now: number): RenderedGateway | undefined {
    const entry = this.#entries.get(uuid);
    return entry !== undefined && entry.rowVersion === rowVersion && now - entry.renderedAt < this.maxAgeMs ? entry.rendered : undefined;
  }

  /**
   * Renders the gateways of `uuids` with `render`, but those another page is rendering now:
   * for them it waits for that page, whose failure is that page's to report. So when a cold
   * cache meets a burst of requests for the same page, only the first reads and renders it.
   */
  async renderOnce(uuids: readonly string[], render: (uuids: string[]) => Promise<void>): Promise<void> {
    const waits = new Set<Promise<unknown>>();
    const mine: string[] = [];
    for (const uuid of uuids) {
      const theirs = this.#rendering.get(uuid);
      if (theirs === undefined) mine.push(uuid);
      else waits.add(theirs.catch(() => {}));
    }
    if (mine.length > 0) {
      const rendering = render(mine).finally(() => {
        for (const uuid of mine) if (this.#rendering.get(uuid) === rendering) this.#rendering.delete(uuid);
      });
      for (const uuid of mine) this.#rendering.set(uuid, rendering);
      waits.add(rendering);
    }
    await Promise.all(waits);
  }

  set(uuid: string, rowVersion: string, rendered: RenderedGateway, now: number): void {
    // Re-inserted at the end: the first entry is always the one rendered longest ago.
    this.#entries.delete(uuid);
    this.#entries.set(uuid, { rowVersion, renderedAt: now, rendered });
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
