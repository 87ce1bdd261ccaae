/**
 * Environment management (the seed's five environment endpoints plus "gateways of an
 * environment"). Deployment-agnostic: no adapter is involved.
 */
import { NotFoundError, PreconditionFailedError, ValidationError } from '../domain/errors.js';
import { environmentNotFound } from '../domain/not-found.js';
import { environmentHasDeployments, environmentInUse } from '../domain/refusals.js';
import type { Environment, Gateway, WriteOptions } from '../domain/types.js';
import { checkDescription, checkDisplayName, checkName, FieldErrors } from '../domain/validation.js';
import { EnvironmentRepository, type EnvironmentRecord } from '../store/repositories/environments.js';
import { MappingRepository } from '../store/repositories/mappings.js';
import { appendEvent, inTransaction } from '../store/repositories/events.js';
import type { ServiceContext } from './context.js';
import { eventOf } from './event-of.js';
import { GatewayService } from './gateways.js';
import { presentEnvironment } from './present.js';
import { rejectUnknownFields } from './input.js';

export interface CreateEnvironmentInput {
  name: string;
  displayName?: string;
  description?: string | null;
}

export interface UpdateEnvironmentInput {
  displayName?: string;
  description?: string | null;
}

export interface DeleteEnvironmentOptions extends WriteOptions {
  /** Remove the environment's gateway mappings instead of refusing. */
  force?: boolean;
}

export class EnvironmentService {
  private readonly environments: EnvironmentRepository;
  private readonly mappings: MappingRepository;

  constructor(private readonly context: ServiceContext) {
    this.environments = new EnvironmentRepository(context.store, context.organizationId);
    this.mappings = new MappingRepository(context.store);
  }

  async create(input: CreateEnvironmentInput): Promise<Environment> {
    rejectUnknownFields(input, ['name', 'displayName', 'description'], 'environment');
    const errors = new FieldErrors();
    checkName(errors, 'name', input.name);
    if (input.displayName !== undefined) checkDisplayName(errors, 'displayName', input.displayName);
    if (input.description !== undefined) checkDescription(errors, 'description', input.description);
    errors.throwIfAny('environment');
    const record = await inTransaction(this.context.store, async (tx) => {
      const inserted = await new EnvironmentRepository(tx, this.context.organizationId).insert(
        { name: input.name, displayName: input.displayName ?? input.name, description: input.description ?? null },
        this.context.clock(),
      );
      await appendEvent(tx.db, tx.codec, eventOf(this.context, 'environment.created', subjectOf(inserted), { displayName: inserted.displayName }));
      return inserted;
    });
    return presentEnvironment(record);
  }

  async list(): Promise<Environment[]> {
    return (await this.environments.list()).map(presentEnvironment);
  }

  async get(ref: string): Promise<Environment> {
    return presentEnvironment(await this.require(ref));
  }

  /** The environment with its stored version, for an ETag (the resource itself carries none). */
  async getVersioned(ref: string): Promise<{ environment: Environment; version: number }> {
    const record = await this.require(ref);
    return { environment: presentEnvironment(record), version: record.version };
  }

  /** The stored version of an environment, for ETags. */
  async version(ref: string): Promise<number> {
    return (await this.require(ref)).version;
  }

  async update(ref: string, input: UpdateEnvironmentInput, options: WriteOptions = {}): Promise<Environment> {
    rejectUnknownFields(input, ['displayName', 'description'], 'environment update');
    if (input.displayName === undefined && input.description === undefined) {
      throw new ValidationError('nothing to update: give a displayName or a description', [], { hint: 'pass --display-name or --description' });
    }
    const errors = new FieldErrors();
    if (input.displayName !== undefined) checkDisplayName(errors, 'displayName', input.displayName);
    if (input.description !== undefined) checkDescription(errors, 'description', input.description);
    errors.throwIfAny('environment update');
    const current = await this.require(ref);
    const updated = await inTransaction(this.context.store, async (tx) => {
      const changed = await new EnvironmentRepository(tx, this.context.organizationId).update(current.uuid, input, this.context.clock(), options.ifVersion);
      if (changed) await appendEvent(tx.db, tx.codec, eventOf(this.context, 'environment.updated', subjectOf(changed), { changes: input, version: changed.version }));
      return changed;
    });
    if (!updated) throw await this.writeConflict(ref, options.ifVersion);
    return presentEnvironment(updated);
  }

  /**
   * Deletes an environment. While gateways are mapped to it the delete is refused, naming them;
   * `force` removes the mappings first. Refused too while deployments are live on its gateways.
   */
  async delete(ref: string, options: DeleteEnvironmentOptions = {}): Promise<void> {
    const current = await this.require(ref);
    if (options.ifVersion !== undefined && options.ifVersion !== current.version) throw await this.writeConflict(ref, options.ifVersion);
    const deletedEvent = eventOf(this.context, 'environment.deleted', subjectOf(current), { force: options.force === true });
    const { deleted, liveDeployments } = await this.environments.deleteUnlessInUse(current.uuid, { force: options.force === true, event: deletedEvent });
    if (liveDeployments.length > 0) throw environmentHasDeployments(current.name, liveDeployments);
    if (deleted) return;
    const gateways = await this.mappings.gatewayNamesOf(current.uuid);
    if (gateways.length === 0) throw new NotFoundError('environment', ref);
    throw environmentInUse(current.name, gateways);
  }

  async gateways(ref: string): Promise<Gateway[]> {
    const environment = await this.require(ref);
    return new GatewayService(this.context).list({ environment: environment.uuid });
  }

  async require(ref: string): Promise<EnvironmentRecord> {
    const found = await this.environments.find(ref);
    if (!found) throw environmentNotFound(ref);
    return found;
  }

  private async writeConflict(ref: string, ifVersion: number | undefined): Promise<Error> {
    const now = await this.environments.find(ref);
    if (!now) return new NotFoundError('environment', ref);
    return new PreconditionFailedError(`environment "${now.name}" changed since version ${ifVersion}; it is now at version ${now.version}`, {
      hint: 'read it again and retry',
    });
  }
}

function subjectOf(record: EnvironmentRecord) {
  return { kind: 'environment' as const, uuid: record.uuid, name: record.name };
}
