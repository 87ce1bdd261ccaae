/**
 * The lookup both transports connect through (`guarded-agents.ts` for node:http,
 * `probe-exchange.ts` for health probes): a hostname resolves to the addresses the egress policy
 * allows and no others, at connect time, so DNS rebinding cannot slip past a check made earlier.
 */
import { promises as dns } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';

import { EgressBlockedError } from './egress-policy.js';
import type { EgressPolicy } from './egress-policy.js';

/** Resolves a hostname to all of its addresses. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

function familyOf(option: LookupOptions['family']): 0 | 4 | 6 {
  if (option === 4 || option === 'IPv4') return 4;
  if (option === 6 || option === 'IPv6') return 6;
  return 0;
}

/**
 * A `net.connect` lookup that hands the socket only addresses the policy allows. With mixed
 * answers the allowed ones are used (the socket can only reach what was vetted); with none, the
 * connection fails with the reason for the first refused address.
 */
export function createGuardedLookup(policy: EgressPolicy, resolve: Resolver | undefined): Lookup {
  return (hostname, options, callback) => {
    const family = familyOf(options.family);
    const answer = resolve === undefined ? dns.lookup(hostname, { ...options, all: true }) : resolve(hostname);
    answer.then(
      (addresses) => {
        const candidates = family === 0 ? addresses : addresses.filter((entry) => entry.family === family);
        let refusal: string | undefined;
        const allowed = candidates.filter((entry) => {
          const verdict = policy.checkAddress(entry.address);
          if (!verdict.allowed) refusal ??= verdict.reason;
          return verdict.allowed;
        });
        const first = allowed[0];
        if (first === undefined) {
          const reason = refusal === undefined ? 'it has no address of the requested family' : `it resolves to ${refusal}`;
          callback(new EgressBlockedError(`${hostname} is blocked: ${reason}`), '');
        } else if (options.all === true) {
          callback(null, allowed);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
