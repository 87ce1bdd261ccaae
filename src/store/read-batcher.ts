/**
 * Reads that arrive together go to the database together. Under load the daemon parses many
 * requests in one turn of the event loop; each would otherwise be a statement of its own, and
 * a statement's fixed costs (a round trip, PostgreSQL's per-statement work, the driver's
 * messages, two system calls) are most of what a read of one row costs. A batch is sent at the
 * end of the turn (setImmediate), so a read is never answered from a statement that started
 * before it was asked: every reader sees every write that finished before its read began.
 */
import { perOwner } from './per-owner.js';

export class ReadBatcher {
  readonly #pending = new Map<string, PendingBatch>();

  constructor(private readonly maxBatch = 100) {}

  /**
   * Adds `item` to the batch of `group` (reads that one statement can answer together) and
   * resolves with its own result: `run` gets the items of the batch and returns their results in
   * the same order, a FailedRead for a read that fails alone. A batch that fails fails each of its
   * reads with the same error.
   */
  read<Item, Result>(group: string, item: Item, run: (items: Item[]) => Promise<Array<Result | FailedRead>>): Promise<Result> {
    const batch = (this.#pending.get(group) as PendingBatch<Item, Result> | undefined) ?? this.#open(group, run);
    const promise = new Promise<Result>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    batch.items.push(item);
    // A full batch goes now; the next read of the group starts another.
    if (batch.items.length >= this.maxBatch) this.#send(group, batch, run);
    return promise;
  }

  #open<Item, Result>(group: string, run: (items: Item[]) => Promise<Array<Result | FailedRead>>): PendingBatch<Item, Result> {
    const batch: PendingBatch<Item, Result> = { items: [], waiters: [] };
    this.#pending.set(group, batch as PendingBatch);
    setImmediate(() => this.#send(group, batch, run));
    return batch;
  }

  #send<Item, Result>(group: string, batch: PendingBatch<Item, Result>, run: (items: Item[]) => Promise<Array<Result | FailedRead>>): void {
    if (this.#pending.get(group) !== batch) return;
    this.#pending.delete(group);
    // run() is called inside the promise chain: a synchronous throw fails the batch like a rejection.
    void Promise.resolve(batch.items).then(run).then(
      (results) =>
        batch.waiters.forEach((waiter, i) => {
          const result = results[i];
          if (result instanceof FailedRead) waiter.reject(result.error);
          else waiter.resolve(result as Result);
        }),
      (error: unknown) => batch.waiters.forEach((waiter) => waiter.reject(error)),
    );
  }
}

/** The result of a read of a batch that failed on its own, the others being answered. */
export class FailedRead {
  constructor(readonly error: unknown) {}
}

interface PendingBatch<Item = unknown, Result = unknown> {
  items: Item[];
  waiters: Array<{ resolve(result: Result): void; reject(error: unknown): void }>;
}

/** The batcher of `owner`'s reads (one per database, so only reads of the same one are batched). */
export const readBatcherOf = perOwner(() => new ReadBatcher());
