import { expect } from 'vitest';
import { AgentgwError } from '../../src/domain/errors.js';

/** The AgentgwError a call fails with; the test fails if the call succeeds or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<AgentgwError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AgentgwError);
    return error as AgentgwError;
  }
  throw new Error('expected the call to fail');
}
