/**
 * Whether this process did work an installation does once: migrating a new or upgraded store.
 * The launcher then keeps no code cache from the run (src/launcher/launch.ts): the cache holds the
 * bytecode its run compiled, and every later run of the command would deserialise the migrations'
 * for nothing (`env list` after a first run that created the store: 1.06 MB of cache, not 0.94).
 */
let didOneOffWork = false;

export function noteOneOffWork(): void {
  didOneOffWork = true;
}

export function ranOneOffWork(): boolean {
  return didOneOffWork;
}
