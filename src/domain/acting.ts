/**
 * Who a change is made for, where a service cannot pass it down by hand: the deployment service
 * builds its repositories itself, and the repository writes the deployment events. The caller
 * runs the service's calls "acting as" the actor; work nobody asked for (a reconciliation at
 * start-up) is agentgw's own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const actors = new AsyncLocalStorage<string>();

export const SYSTEM_ACTOR = 'system';

export function currentActor(): string {
  return actors.getStore() ?? SYSTEM_ACTOR;
}

/** `service` with every method run as `actor`. */
export function actingAs<T extends object>(actor: string, service: T): T {
  return new Proxy(service, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => actors.run(actor, () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

/** Runs `work` as `actor`. */
export function runAs<T>(actor: string, work: () => T): T {
  return actors.run(actor, work);
}
