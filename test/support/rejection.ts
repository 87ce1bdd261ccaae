import { expect } from 'vitest';
import { AgentgwError } from '../../src/domain/errors.js';
import { HttpFailure } from '../../src/adapters/http/types.js';

/** The error of class `type` a call fails with; the test fails if the call succeeds or throws anything else. */
async function rejectionOf<T>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error('expected the call to fail');
}

/** The AgentgwError a call fails with. */
export const rejection = (promise: Promise<unknown>): Promise<AgentgwError> => rejectionOf(promise, AgentgwError);

/** The HttpFailure an outbound HTTP request fails with. */
export const failureOf = (promise: Promise<unknown>): Promise<HttpFailure> => rejectionOf(promise, HttpFailure);
