import { ValidationError } from '../domain/errors.js';

/** Unknown fields are refused rather than ignored: a typo must not look like success. */
export function rejectUnknownFields(input: object, known: readonly string[], what: string): void {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError(`invalid ${what}: expected a JSON object`, [{ path: '', message: 'expected an object' }]);
  }
  const unknown = Object.keys(input).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new ValidationError(
      `invalid ${what}: unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`,
      unknown.map((path) => ({ path, message: `unknown field; known fields: ${known.join(', ')}` })),
    );
  }
}
