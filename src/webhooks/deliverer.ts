/**
 * The daemon's webhook sender. It claims due deliveries (leased, so several daemons on one
 * PostgreSQL send each once), POSTs each event's JSON to its webhook with the delivery id and a
 * signature, and records the attempt. A non-2xx answer, a timeout or a refused connection is
 * tried again after a full-jitter backoff (a random wait up to a ceiling that doubles each time,
 * capped at an hour), until the delivery is 24 h old; then it is marked failed. URLs go through
 * the adapters' outbound HTTP client, so the egress policy (network.*) applies to them as it
 * does to gateways.
 */
import type { AdapterLogger } from '../adapters/adapter.js';
import { adapterContext } from '../adapters/factory.js';
import { createHttpClient } from '../adapters/http/client.js';
import { HttpFailure, type HttpClient } from '../adapters/http/types.js';
import type { AgentgwConfig } from '../config/schema.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Store } from '../store/database.js';
import { claimDeliveries, completeDelivery, type DeliveryOutcome, type DueDelivery } from '../store/repositories/webhooks.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

export interface DelivererOptions {
  store: Store;
  config: AgentgwConfig;
  secrets: () => SecretBox;
  clock: () => Date;
  logger: AdapterLogger;
  /** Who holds the leases: unique per daemon. */
  owner: string;
  /** How often due deliveries are looked for (default 500 ms); a new event also wakes it. */
  pollMs?: number;
  /** The first retry's ceiling (default 1 s); each retry doubles it, up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a delivery is tried (default 24 h). */
  giveUpAfterMs?: number;
  timeoutMs?: number;
  random?: () => number;
}

const BATCH = 50;
const LEASE_MS = 60_000;

export class WebhookDeliverer {
  readonly #http: HttpClient;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(private readonly options: DelivererOptions) {
    const context = adapterContext(options.config, options.logger);
    this.#http = createHttpClient(context.http, context.network, context.logger);
  }

  start(): void {
    this.#timer = setInterval(() => this.wake(), this.options.pollMs ?? 500);
    this.#timer.unref();
    this.wake();
  }

  /** Looks for due deliveries now (a new event was written). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#round().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  #claimFailing = false;

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.#running;
    this.#http.close();
  }

  async #round(): Promise<void> {
    try {
      for (;;) {
        const now = this.options.clock();
        const due = await claimDeliveries(this.options.store, this.options.owner, now, new Date(now.getTime() + LEASE_MS), BATCH);
        await Promise.all(due.map((delivery) => this.#deliver(delivery)));
        this.#claimFailing = false;
        if (due.length < BATCH || this.#stopped) return;
      }
    } catch (error) {
      // Said once per outage, not twice a second while the database is away.
      if (!this.#claimFailing) this.options.logger.warn('webhooks: could not claim deliveries; retrying', { error: (error as Error).message });
      this.#claimFailing = true;
    }
  }

  async #deliver(delivery: DueDelivery): Promise<void> {
    const body = JSON.stringify(delivery.event);
    let outcome: DeliveryOutcome;
    try {
      const secret = this.options.secrets().open<{ secret: string }>(delivery.sealedSecret).secret;
      const response = await this.#http.request({
        method: 'POST',
        url: delivery.url,
        headers: { [DELIVERY_HEADER]: delivery.uuid, [SIGNATURE_HEADER]: signatureHeader(secret, body, this.options.clock()), 'content-type': 'application/json' },
        // The client sends exactly JSON.stringify of this: the bytes that were signed.
        json: delivery.event,
        timeoutMs: this.options.timeoutMs ?? 10_000,
      });
      outcome =
        response.status >= 200 && response.status < 300
          ? { delivered: true, status: response.status, at: this.options.clock() }
          : this.#retry(delivery, response.status, `HTTP ${response.status}`);
    } catch (error) {
      // A URL the egress policy refuses stays refused: no point trying it for a day.
      const blocked = error instanceof HttpFailure && error.kind === 'blocked';
      outcome = blocked ? { delivered: false, status: null, error: error.message, at: this.options.clock(), retryAt: null } : this.#retry(delivery, null, (error as Error).message);
    }
    await completeDelivery(this.options.store, delivery.uuid, this.options.owner, outcome).catch((error: unknown) =>
      this.options.logger.warn('webhooks: could not record a delivery attempt', { error: (error as Error).message }),
    );
  }

  /** Full jitter: a uniform wait between 0 and base × 2^attempts (capped), until the delivery is too old. */
  #retry(delivery: DueDelivery, status: number | null, error: string): DeliveryOutcome {
    const now = this.options.clock();
    const ceiling = Math.min(this.options.maxBackoffMs ?? 3_600_000, (this.options.baseBackoffMs ?? 1000) * 2 ** delivery.attempts);
    const retryAt = new Date(now.getTime() + Math.floor((this.options.random ?? Math.random)() * ceiling));
    const expired = retryAt.getTime() - delivery.createdAt.getTime() > (this.options.giveUpAfterMs ?? 86_400_000);
    return { delivered: false, status, error, at: now, retryAt: expired ? null : retryAt };
  }
}
