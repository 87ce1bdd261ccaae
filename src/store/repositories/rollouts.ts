/**
 * Rollouts of one organization: a progressive deploy's plan (waves, gates, the revision each
 * gateway ran before) and progress (what each wave did). State changes are compare-and-set on
 * the state and the owner, so a pause, an abort and a resume never overwrite one another.
 */
import type { Kysely, Selectable } from 'kysely';
import type { NewEvent } from '../../domain/events.js';
import type { Store } from '../database.js';
import type { Database, RolloutTable } from '../schema.js';
import { appendEvents } from './events.js';

export interface RolloutRecord<Plan = unknown, Progress = unknown> {
  uuid: string;
  organizationId: string;
  resourceUuid: string;
  revision: number;
  state: string;
  currentWave: number;
  plan: Plan;
  progress: Progress;
  message: string | null;
  owner: string | null;
  actor: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RolloutChange {
  state?: string;
  currentWave?: number;
  progress?: unknown;
  message?: string | null;
  owner?: string | null;
}

const COLUMNS = [
  'uuid',
  'organization_uuid',
  'resource_uuid',
  'revision',
  'state',
  'current_wave',
  'plan',
  'progress',
  'message',
  'owner',
  'actor',
  'created_at',
  'updated_at',
] as const;

export class RolloutRepository {
  constructor(
    private readonly store: Store,
    private readonly organizationId: string,
  ) {}

  /** Stores a new rollout, and `events` with it in one transaction. */
  async create(record: Omit<RolloutRecord, 'organizationId' | 'createdAt' | 'updatedAt'>, now: Date, events: readonly NewEvent[] = []): Promise<void> {
    const { codec } = this.store;
    await this.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('rollouts')
        .values({
          uuid: record.uuid,
          organization_uuid: this.organizationId,
          resource_uuid: record.resourceUuid,
          revision: record.revision,
          state: record.state,
          current_wave: record.currentWave,
          plan: codec.json(record.plan),
          progress: codec.json(record.progress),
          message: record.message,
          owner: record.owner,
          actor: record.actor,
          created_at: codec.time(now),
          updated_at: codec.time(now),
        })
        .execute();
      await appendEvents(trx, codec, events);
    });
  }

  async find(uuid: string): Promise<RolloutRecord | undefined> {
    const row = await this.store.db.selectFrom('rollouts').select(COLUMNS).where('organization_uuid', '=', this.organizationId).where('uuid', '=', uuid).executeTakeFirst();
    return row && this.toRecord(row);
  }

  /** Newest first; with `states`, only those. */
  async list(states?: readonly string[]): Promise<RolloutRecord[]> {
    let query = this.store.db.selectFrom('rollouts').select(COLUMNS).where('organization_uuid', '=', this.organizationId);
    if (states !== undefined) query = query.where('state', 'in', [...states]);
    return (await query.orderBy('created_at', 'desc').orderBy('uuid').execute()).map((row) => this.toRecord(row));
  }

  /**
   * Writes `change` when the row is still in one of `states` (and, with `owner`, still owned by
   * it). Returns whether it did: false means someone else changed it first.
   */
  async update(uuid: string, expected: { states: readonly string[]; owner?: string | null }, change: RolloutChange, now: Date, events: readonly NewEvent[] = []): Promise<boolean> {
    const { codec } = this.store;
    // The events of a step are written with it, or not at all (a pause or abort won the row); a
    // renewal without events needs no transaction.
    const write = async (db: Kysely<Database>) => {
      let query = db
        .updateTable('rollouts')
        .set({
          ...(change.state === undefined ? {} : { state: change.state }),
          ...(change.currentWave === undefined ? {} : { current_wave: change.currentWave }),
          ...(change.progress === undefined ? {} : { progress: codec.json(change.progress) }),
          ...(change.message === undefined ? {} : { message: change.message }),
          ...(change.owner === undefined ? {} : { owner: change.owner }),
          updated_at: codec.time(now),
        })
        .where('organization_uuid', '=', this.organizationId)
        .where('uuid', '=', uuid)
        .where('state', 'in', [...expected.states]);
      if (expected.owner !== undefined) query = expected.owner === null ? query.where('owner', 'is', null) : query.where('owner', '=', expected.owner);
      const written = Number((await query.executeTakeFirst()).numUpdatedRows) > 0;
      if (written) await appendEvents(db, codec, events);
      return written;
    };
    return events.length === 0 ? write(this.store.db) : this.store.db.transaction().execute(write);
  }

  private toRecord(row: Selectable<RolloutTable>): RolloutRecord {
    const { codec } = this.store;
    return {
      uuid: row.uuid,
      organizationId: row.organization_uuid,
      resourceUuid: row.resource_uuid,
      revision: Number(row.revision),
      state: row.state,
      currentWave: Number(row.current_wave),
      plan: codec.readJson(row.plan),
      progress: codec.readJson(row.progress),
      message: row.message,
      owner: row.owner,
      actor: row.actor,
      createdAt: codec.readTime(row.created_at),
      updatedAt: codec.readTime(row.updated_at),
    };
  }
}
