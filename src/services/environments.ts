/**
 * Environment management (the seed's five environment endpoints plus "gateways of an
 * environment"). Deployment-agnostic: no adapter is involved.
 */
import { sql } from 'kysely';
import { NotFoundError, PreconditionFailedError, ValidationError } from '../domain/errors.js';
import { environmentHasDeployments, environmentInUse } from '../domain/refusals.js';
import type { Environment, Gateway } from '../domain/types.js';
import { checkDescription, checkDisplayName, checkName, FieldErrors } from '../domain/validation.js';
import { DeploymentRepository } from '../store/repositories/deployments.js';
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

export interface WriteOptions {
  /** The version the caller last read (from an ETag); the write fails with 412 if it moved on. */
  ifVersion?: number;
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
   * `force` removes the mappings first. The refusal is enforced inside the delete statement, so a
   * gateway mapped concurrently is never silently unmapped.
   */
  async delete(ref: string, options: DeleteEnvironmentOptions = {}): Promise<void> {
    const current = await this.require(ref);
    if (options.ifVersion !== undefined && options.ifVersion !== current.version) throw await this.writeConflict(ref, options.ifVersion);
    const deleted = await this.context.store.db.transaction().execute(async (trx) => {
      const live = await new DeploymentRepository(this.context.store, this.context.organizationId).liveOnEnvironment(trx, current.uuid);
      if (live.length > 0) {
        throw environmentHasDeployments(current.name, live);
      }
      if (options.force) {
        await trx.deleteFrom('gateway_environment_mappings').where('environment_uuid', '=', current.uuid).execute();
      }
      const result = await trx
        .deleteFrom('environments')
        .where('uuid', '=', current.uuid)
        .where('organization_uuid', '=', this.context.organizationId)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('gateway_environment_mappings').select(sql.lit(1).as('one')).where('environment_uuid', '=', current.uuid))),
        )
        .executeTakeFirst();
      const gone = Number(result.numDeletedRows) > 0;
      if (gone) await appendEvent(trx, this.context.store.codec, eventOf(this.context, 'environment.deleted', subjectOf(current), { force: options.force === true }));
      return gone;
    });
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
    if (!found) throw new NotFoundError('environment', ref, { hint: 'list environments with: agentgw env list' });
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
