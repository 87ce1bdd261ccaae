/** "No such gateway / environment", said the same way by every layer that looks one up. */
import { NotFoundError } from './errors.js';

export function gatewayNotFound(ref: string): NotFoundError {
  return new NotFoundError('gateway', ref, { hint: 'list gateways with: agentgw gateway list' });
}

export function environmentNotFound(ref: string): NotFoundError {
  return new NotFoundError('environment', ref, { hint: 'list environments with: agentgw env list' });
}
