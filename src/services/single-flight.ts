/**
 * Calls that would ask a gateway the same question at the same time share one answer: while a
 * call for a key is in flight, later callers for that key get its promise instead of making
 * their own. Nothing is kept once it settles, so the next caller asks afresh.
 *
 * @example
 * const flights = new SingleFlight();
 * const [a, b] = await Promise.all([flights.run('health gw-1', check), flights.run('health gw-1', check)]); // one check
 */
export class SingleFlight {
  readonly #inFlight = new Map<string, Promise<unknown>>();

  run<T>(key: string, call: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running as Promise<T>;
    const started = call().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }
}
