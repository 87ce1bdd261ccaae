/**
 * Gateway management: register (connectivity checked through the adapter before anything is
 * stored; a cloud gateway optionally waited for until provisioning ends), read, list with the
 * seed's filters, update, delete, environment mappings, health (the last recorded check, or a
 * live one) and metrics on demand. Live checks and metrics reads of one gateway that overlap
 * share one gateway call. Business logic only: every gateway call goes through `GatewayAdapter`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { actingAs } from '../domain/acting.js';
import { AdapterMismatchError, GatewayError, NotFoundError, PreconditionFailedError, ValidationError } from '../domain/errors.js';
import type {
  Environment,
  Gateway,
  GatewayFilter,
  GatewayHealth,
  GatewayMetricsReport,
  GatewayType,
  Page,
  WriteOptions,
} from '../domain/types.js';
import { environmentNotFound, gatewayNotFound } from '../domain/not-found.js';
import { canonicalUrl, checkDisplayName, checkFreeformObject, checkGatewayType, checkName, FieldErrors } from '../domain/validation.js';
import { EnvironmentRepository, type EnvironmentRecord } from '../store/repositories/environments.js';
import { duplicateControlPlaneUrl } from '../domain/refusals.js';
import { appendEvent, inTransaction } from '../store/repositories/events.js';
import { gatewayExists, GatewayRepository, type GatewayRecord, type ReadOptions } from '../store/repositories/gateways.js';
import { MappingRepository } from '../store/repositories/mappings.js';
import { perOwner } from '../store/per-owner.js';
import type { ServiceContext } from './context.js';
import { adapterView, assertCredentialsFollow, boundTo, mergeAdapterConfig, openSecrets, sealSecrets, SECRET_FIELDS, toTarget } from './credentials.js';
import { DeploymentService } from './deployments/index.js';
import { eventOf } from './event-of.js';
import { checkNow, readMetrics } from './gateway-checks.js';
import { rejectUnknownFields } from './input.js';
import { presentEnvironment, presentGateway } from './present.js';
import { decodeCursor, encodeCursor, parseLimit } from './pagination.js';
import { SingleFlight } from './single-flight.js';

export interface RegisterGatewayInput {
  name: string;
  displayName?: string;
  gatewayType: GatewayType;
  environmentIds?: string[];
  adapterConfig?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** Register it even though another gateway has the same control-plane URL. */
  allowDuplicateUrl?: boolean;
}

export interface UpdateGatewayInput {
  displayName?: string;
  adapterConfig?: Record<string, unknown>;
}

export interface RegisterOptions {
  /**
   * How long to wait for a gateway that is still provisioning (a cloud one) to become ACTIVE or
   * fail, checking it live every `pollIntervalMs`; absent or 0: answer at once with PROVISIONING.
   */
  waitMs?: number;
  pollIntervalMs?: number;
  /** A gateway whose provisioning failed is kept in ERROR instead of being released and forgotten. */
  keepFailed?: boolean;
}

export interface DeleteGatewayOptions extends WriteOptions {
  /** Undeploy every resource from the gateway first, instead of refusing to delete it. */
  drain?: boolean;
}

export interface ListGatewaysOptions {
  limit?: number;
  cursor?: string;
}

export class GatewayService {
  private readonly gateways: GatewayRepository;
  private readonly environments: EnvironmentRepository;
  private readonly mappings: MappingRepository;

  constructor(private readonly context: ServiceContext) {
    this.gateways = new GatewayRepository(context.store, context.organizationId);
    this.environments = new EnvironmentRepository(context.store, context.organizationId);
    this.mappings = new MappingRepository(context.store);
  }

  async register(input: RegisterGatewayInput, options: RegisterOptions = {}): Promise<Gateway> {
    rejectUnknownFields(input, ['name', 'displayName', 'gatewayType', 'environmentIds', 'adapterConfig', 'metadata', 'allowDuplicateUrl'], 'gateway');
    const errors = new FieldErrors();
    checkName(errors, 'name', input.name);
    if (input.displayName !== undefined) checkDisplayName(errors, 'displayName', input.displayName);
    checkGatewayType(errors, 'gatewayType', input.gatewayType);
    const environmentIds = input.environmentIds ?? [];
    if (!Array.isArray(environmentIds) || environmentIds.some((id) => typeof id !== 'string')) {
      errors.add('environmentIds', 'must be a list of environment ids or names');
    }
    if (input.adapterConfig !== undefined) checkFreeformObject(errors, 'adapterConfig', input.adapterConfig, this.context.limits);
    if (input.metadata !== undefined) checkFreeformObject(errors, 'metadata', input.metadata, this.context.limits);
    errors.throwIfAny('gateway');

    const environments = await this.resolveEnvironments(environmentIds);
    // Checked early so a duplicate fails before a slow connectivity check; the unique
    // constraint still decides races.
    if (await this.gateways.find(input.name)) throw gatewayExists(input.name);
    const { adapter } = this.context;
    const given = mergeAdapterConfig({ config: {}, secrets: {} }, input.adapterConfig ?? {});
    const validated = adapter.validateConfig(adapterView(given.config, given.secrets).adapterConfig);
    const merged = { config: given.config, secrets: boundTo(given.secrets, stringOrNull(validated.controlPlaneUrl)) };
    const view = adapterView({ ...merged.config, ...validated }, merged.secrets);
    // One controller under two names makes each report the other's resources as unexpected drift.
    const controlPlaneUrl = stringOrNull(view.adapterConfig.controlPlaneUrl);
    if (controlPlaneUrl !== null && input.allowDuplicateUrl !== true) {
      const same = await this.gateways.namesWithControlPlaneUrl(controlPlaneUrl);
      // A registration racing its own twin (same name) lost to it: that is the name's conflict.
      if (same.includes(input.name)) throw gatewayExists(input.name);
      if (same.length > 0) throw duplicateControlPlaneUrl(controlPlaneUrl, same);
    }
    const result = await adapter.registerGateway({
      name: input.name,
      type: input.gatewayType,
      adapterType: adapter.type,
      controlPlaneUrl: stringOrNull(view.adapterConfig.controlPlaneUrl),
      endpoint: stringOrNull(view.adapterConfig.endpoint),
      region: stringOrNull(view.adapterConfig.region),
      adapterConfig: view.adapterConfig,
      credentials: view.credentials,
    });
    const storedConfig = withFindings({ ...merged.config, ...validated }, result.adapterConfig);
    const record = await this.insertRegistered(
      {
        name: input.name,
        displayName: input.displayName ?? input.name,
        type: input.gatewayType,
        status: result.status,
        controlPlaneUrl: result.controlPlaneUrl,
        endpoint: result.endpoint,
        region: result.region,
        adapterType: adapter.type,
        adapterConfig: storedConfig,
        metadata: input.metadata ?? {},
        credentials: sealSecrets(merged.secrets, this.context.secrets),
        lastHeartbeat: result.health?.healthy ? result.health.checkedAt : null,
        responseTimeMs: result.health?.responseTimeMs ?? null,
      },
      environments.map((e) => e.uuid),
    );
    if (record.status !== 'PROVISIONING' || options.waitMs === undefined || options.waitMs <= 0) return this.present(record);
    return this.awaitProvisioning(record, options.waitMs, options.pollIntervalMs ?? DEFAULT_PROVISIONING_POLL_MS, options.keepFailed === true);
  }

  /**
   * Checks a provisioning gateway live until it settles or `waitMs` runs out (it is then returned
   * still PROVISIONING). A gateway whose provisioning ended in ERROR is released at the provider
   * and deleted, unless `keepFailed`; either way the failure is thrown with the provider's reason.
   */
  private async awaitProvisioning(record: GatewayRecord, waitMs: number, pollIntervalMs: number, keepFailed: boolean): Promise<Gateway> {
    const deadline = Date.now() + waitMs;
    let health = await this.health(record.uuid);
    while (health.status === 'PROVISIONING' && Date.now() + pollIntervalMs <= deadline) {
      await sleep(pollIntervalMs);
      health = await this.health(record.uuid);
    }
    const current = await this.require(record.uuid, { withEnvironments: true });
    if (current.status !== 'ERROR') return this.present(current);
    const reason = current.errorMessage ?? 'the provider gave no reason';
    let hint = `it is kept in ERROR, as asked; remove it with: agentgw gateway delete ${current.name}`;
    let kept = keepFailed;
    if (!keepFailed) {
      try {
        await this.delete(current.uuid);
        hint = 'what was provisioned was released and nothing was stored; pass --keep-failed to keep a failed gateway for inspection';
      } catch (error) {
        kept = true;
        hint = `it could not be released (${error instanceof Error ? error.message : String(error)}), so it is kept in ERROR; retry with: agentgw gateway delete ${current.name}`;
      }
    }
    throw new GatewayError('AGW_PROVISIONING_FAILED', `gateway "${current.name}" failed to provision: ${reason}`, {
      hint,
      details: { gateway: current.name, kept },
    });
  }

  /**
   * Stores a gateway the adapter has just registered. If storing fails (a name taken by a
   * concurrent registration, an environment deleted meanwhile), the registration is undone, so a
   * provisioned cloud gateway is not left running unknown to the control plane.
   */
  private async insertRegistered(input: Parameters<GatewayRepository['insert']>[0], environmentUuids: string[]): Promise<GatewayRecord> {
    try {
      return await this.gateways.insert(input, environmentUuids, this.context.clock(), (uuid) =>
        eventOf(this.context, 'gateway.registered', { kind: 'gateway', uuid, name: input.name }, {
          gatewayType: input.type,
          adapterType: input.adapterType,
          controlPlaneUrl: input.controlPlaneUrl,
          environmentIds: environmentUuids,
          status: input.status,
        }),
      );
    } catch (error) {
      const { adapterConfig, credentials } = adapterView(input.adapterConfig, {});
      await this.context.adapter
        .deregisterGateway({ ...input, uuid: '', adapterConfig, credentials: { ...credentials } })
        .catch((undo: unknown) => this.context.logger.warn(`could not undo the registration of ${input.name}: ${(undo as Error).message}`));
      throw error;
    }
  }

  async get(ref: string): Promise<Gateway> {
    return this.present(await this.require(ref, { withEnvironments: true }));
  }

  async version(ref: string): Promise<number> {
    return (await this.require(ref)).version;
  }

  async list(filter: GatewayFilter = {}): Promise<Gateway[]> {
    return this.presentMany(await this.gateways.list(filter, { withEnvironments: true }));
  }

  async listPage(filter: GatewayFilter, options: ListGatewaysOptions): Promise<Page<Gateway>> {
    const limit = parseLimit(options.limit);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const records = await this.gateways.list(filter, { limit: limit + 1, withEnvironments: true, ...(after === undefined ? {} : { after }) });
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await this.presentMany(page),
      nextCursor: records.length > limit && last ? encodeCursor(last.name) : null,
    };
  }

  /**
   * Updates the display name and/or merges adapterConfig. When anything the adapter connects
   * with changed (URLs, credentials, TLS), the new settings are checked against the gateway
   * before they are stored.
   */
  async update(ref: string, input: UpdateGatewayInput, options: WriteOptions = {}): Promise<Gateway> {
    rejectUnknownFields(input, ['displayName', 'adapterConfig'], 'gateway update');
    if (input.displayName === undefined && (input.adapterConfig === undefined || (isPlainObject(input.adapterConfig) && Object.keys(input.adapterConfig).length === 0))) {
      throw new ValidationError('nothing to update: give a displayName or adapterConfig settings', [], {
        hint: 'pass --display-name, --control-plane-url, --password-stdin, …',
      });
    }
    const errors = new FieldErrors();
    if (input.displayName !== undefined) checkDisplayName(errors, 'displayName', input.displayName);
    if (input.adapterConfig !== undefined) checkFreeformObject(errors, 'adapterConfig', input.adapterConfig, this.context.limits);
    errors.throwIfAny('gateway update');
    const current = await this.require(ref);
    if (options.ifVersion !== undefined && options.ifVersion !== current.version) throw await this.writeConflict(ref, options.ifVersion);

    const changes: Parameters<GatewayRepository['update']>[1] = {};
    if (input.displayName !== undefined) changes.displayName = input.displayName;
    if (input.adapterConfig !== undefined && Object.keys(input.adapterConfig).length > 0) {
      this.assertAdapter(current);
      const stored = openSecrets(current.credentials, this.context.secrets);
      const patched = mergeAdapterConfig({ config: current.adapterConfig, secrets: stored }, input.adapterConfig);
      // Each update may add keys: the limits hold for what would be stored, not only for the patch.
      const fits = new FieldErrors();
      checkFreeformObject(fits, 'adapterConfig', { ...patched.config, ...patched.secrets }, this.context.limits);
      fits.throwIfAny('gateway update');
      const validated = this.context.adapter.validateConfig(adapterView(patched.config, patched.secrets).adapterConfig);
      const controlPlaneUrl = stringOrNull(validated.controlPlaneUrl) ?? current.controlPlaneUrl;
      assertCredentialsFollow(stored, current.controlPlaneUrl, controlPlaneUrl, input.adapterConfig);
      // Secrets given in this request are for the URL it sets; the others stay bound where they
      // were (an envelope from before origins were recorded: where they have been used).
      const givesSecrets = SECRET_FIELDS.some((field) => typeof input.adapterConfig?.[field] === 'string');
      const bindTo = givesSecrets ? controlPlaneUrl : stored.origin === undefined ? current.controlPlaneUrl : null;
      const merged = { config: patched.config, secrets: bindTo === null ? patched.secrets : boundTo(patched.secrets, bindTo) };
      const view = adapterView({ ...merged.config, ...validated }, merged.secrets);
      const result = await this.context.adapter.updateGateway({
        ...toTarget(current, this.context.secrets),
        controlPlaneUrl,
        adapterConfig: view.adapterConfig,
        credentials: view.credentials,
      });
      changes.adapterConfig = withFindings({ ...merged.config, ...validated }, result.adapterConfig);
      changes.controlPlaneUrl = result.controlPlaneUrl;
      changes.endpoint = result.endpoint;
      changes.region = result.region;
      changes.credentials = sealSecrets(merged.secrets, this.context.secrets);
    }
    const updated = await inTransaction(this.context.store, async (tx) => {
      const changed = await new GatewayRepository(tx, this.context.organizationId).update(current.uuid, changes, this.context.clock(), options.ifVersion ?? current.version);
      // What changed, never a secret: the credentials only say that they did.
      const said = { ...changes, ...(changes.credentials === undefined ? {} : { credentials: 'changed' }) };
      if (changed) await appendEvent(tx.db, tx.codec, eventOf(this.context, 'gateway.updated', gatewaySubject(changed), { changes: said, version: changed.version }));
      return changed;
    });
    if (!updated) throw await this.writeConflict(ref, options.ifVersion ?? current.version);
    return this.present(updated);
  }

  /**
   * Deletes a gateway; a cloud gateway is deprovisioned first, so nothing is left running unseen.
   * Refused (409) while deployments may still be on it, unless `drain` undeploys them first.
   */
  async delete(ref: string, options: DeleteGatewayOptions = {}): Promise<void> {
    const current = await this.require(ref);
    if (options.ifVersion !== undefined && options.ifVersion !== current.version) throw await this.writeConflict(ref, options.ifVersion);
    this.assertAdapter(current);
    await actingAs(this.context.actor, new DeploymentService(this.context)).decommissionGateway(current, {
      drain: options.drain === true,
      deregister: () => this.context.adapter.deregisterGateway(toTarget(current, this.context.secrets)),
    });
  }

  async environmentsOf(ref: string): Promise<Environment[]> {
    const gateway = await this.require(ref);
    const summaries = (await this.mappings.environmentsOf([gateway.uuid])).get(gateway.uuid) ?? [];
    const records = await this.environments.findMany(summaries.map((s) => s.uuid));
    return summaries.flatMap((s) => {
      const record = records.get(s.uuid);
      return record ? [presentEnvironment(record)] : [];
    });
  }

  /** Maps a gateway to an environment; true when the mapping is new. */
  async addEnvironment(ref: string, environmentRef: string): Promise<boolean> {
    const gateway = await this.require(ref);
    const environment = await this.requireEnvironment(environmentRef);
    return inTransaction(this.context.store, async (tx) => {
      const added = await new MappingRepository(tx).add(gateway.uuid, environment.uuid, this.context.clock());
      if (added) await appendEvent(tx.db, tx.codec, eventOf(this.context, 'gateway.environment_added', gatewaySubject(gateway), { environment: environmentOf(environment) }));
      return added;
    });
  }

  async removeEnvironment(ref: string, environmentRef: string): Promise<void> {
    const gateway = await this.require(ref);
    const environment = await this.requireEnvironment(environmentRef);
    const removed = await inTransaction(this.context.store, async (tx) => {
      const gone = await new MappingRepository(tx).remove(gateway.uuid, environment.uuid);
      if (gone) await appendEvent(tx.db, tx.codec, eventOf(this.context, 'gateway.environment_removed', gatewaySubject(gateway), { environment: environmentOf(environment) }));
      return gone;
    });
    if (!removed) {
      throw new NotFoundError('mapping', `${gateway.name} → ${environment.name}`, {
        hint: `gateway "${gateway.name}" is not in environment "${environment.name}"`,
      });
    }
  }

  /** The last check recorded (by the monitor, a live check or registration): no gateway call, no write. */
  async lastHealth(ref: string): Promise<GatewayHealth> {
    const current = await this.require(ref);
    return {
      gatewayId: current.uuid,
      status: current.status,
      lastHeartbeat: current.lastHeartbeat,
      responseTime: current.responseTimeMs === null ? null : `${current.responseTimeMs}ms`,
      responseTimeMs: current.responseTimeMs,
      errorMessage: current.errorMessage,
      errorClass: current.errorClass,
      checkedAt: current.lastCheckedAt,
    };
  }

  /**
   * Checks a gateway now, through the adapter, and records the result like the monitor does.
   * Callers asking about the same gateway while a check is in flight get that check's result.
   */
  async health(ref: string): Promise<GatewayHealth> {
    const current = await this.require(ref);
    this.assertAdapter(current);
    return flightsOf(this.context.store).run(`health ${current.uuid}`, () => checkNow(this.context, this.gateways, current));
  }

  /** Metrics read from the gateway now; callers asking while a read is in flight share it. */
  async metrics(ref: string): Promise<GatewayMetricsReport> {
    const current = await this.require(ref);
    this.assertAdapter(current);
    return flightsOf(this.context.store).run(`metrics ${current.uuid}`, () => readMetrics(this.context, current));
  }

  async require(ref: string, options: ReadOptions = {}): Promise<GatewayRecord> {
    const found = await this.gateways.find(ref, options);
    if (!found) throw gatewayNotFound(ref);
    return found;
  }

  private async requireEnvironment(ref: string): Promise<EnvironmentRecord> {
    const found = await this.environments.find(ref);
    if (!found) throw environmentNotFound(ref);
    return found;
  }

  /** A gateway registered under another adapter cannot be reached by the active one. */
  private assertAdapter(record: GatewayRecord): void {
    if (record.adapterType !== this.context.adapter.type) {
      throw new AdapterMismatchError(record.name, record.adapterType, this.context.adapter.type);
    }
  }

  private async resolveEnvironments(refs: readonly string[], path = 'environmentIds'): Promise<EnvironmentRecord[]> {
    const unique = [...new Set(refs)];
    const found = await this.environments.findMany(unique);
    const missing = unique.filter((ref) => !found.has(ref));
    if (missing.length > 0) {
      throw new ValidationError(
        `unknown environment${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`,
        missing.map((ref) => ({ path, message: `environment "${ref}" does not exist` })),
        { hint: 'list environments with: agentgw env list, or create one with: agentgw env create NAME' },
      );
    }
    const byUuid = new Map<string, EnvironmentRecord>();
    for (const record of found.values()) byUuid.set(record.uuid, record);
    return [...byUuid.values()];
  }

  private async writeConflict(ref: string, ifVersion: number | undefined): Promise<Error> {
    const now = await this.gateways.find(ref);
    if (!now) return new NotFoundError('gateway', ref);
    return new PreconditionFailedError(`gateway "${now.name}" changed since version ${ifVersion}; it is now at version ${now.version}`, {
      hint: 'read it again and retry',
    });
  }

  /** A record read with its environments is presented as is; others cost one more query. */
  private async present(record: GatewayRecord): Promise<Gateway> {
    if (record.environments !== undefined) return presentGateway(record, record.environments);
    const environments = await this.mappings.environmentsOf([record.uuid]);
    return presentGateway(record, environments.get(record.uuid) ?? []);
  }

  private async presentMany(records: GatewayRecord[]): Promise<Gateway[]> {
    if (records.every((record) => record.environments !== undefined)) return records.map((record) => presentGateway(record, record.environments!));
    const environments = await this.mappings.environmentsOf(records.map((r) => r.uuid));
    return records.map((record) => presentGateway(record, environments.get(record.uuid) ?? []));
  }
}

/** Live checks and metrics reads in flight, one set per database (so per runtime). */
const flightsOf = perOwner(() => new SingleFlight());

/** Between two live checks of a provisioning gateway, when the caller gives no interval. */
const DEFAULT_PROVISIONING_POLL_MS = 2_000;

/** The config with what the adapter found applied; a null from the adapter removes a setting it had found before. */
function withFindings(config: Record<string, unknown>, findings: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...config };
  for (const [key, value] of Object.entries(findings)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? canonicalUrlIfUrl(value) : null;
}

function canonicalUrlIfUrl(value: string): string {
  return /^https?:\/\//.test(value) ? canonicalUrl(value) : value;
}

function gatewaySubject(record: { uuid: string; name: string }) {
  return { kind: 'gateway' as const, uuid: record.uuid, name: record.name };
}

function environmentOf(record: { uuid: string; name: string }) {
  return { uuid: record.uuid, name: record.name };
}
