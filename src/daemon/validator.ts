/**
 * Fastify's validator, built on TypeBox's compiler instead of Ajv: request bodies are checked as
 * sent (no type coercion: `{"name": 123}` is an error, not "123"), query strings and path
 * parameters are converted first ("limit=10" is a number). Failures become the same
 * ValidationError the services throw, with one `{path, message}` per bad field.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';
import { ValidationError, type FieldError } from '../domain/errors.js';
import { CHECKED_BY_SERVICE } from './schemas.js';

const MAX_REPORTED = 20;
const PART_NAMES: Record<string, string> = { body: 'request body', querystring: 'query', params: 'path' };

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(withoutServiceChecks(schema));
  const part = PART_NAMES[httpPart ?? 'body'] ?? httpPart ?? 'request';
  const convert = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
  const integers = convert ? integerProperties(schema) : [];
  return (input: unknown) => {
    const value = convert ? Value.Convert(schema, withoutLooseIntegers(input, integers)) : input;
    if (check.Check(value)) return { value };
    const errors = fieldErrors(check.Errors(value));
    const summary = errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('; ');
    return { error: new ValidationError(`invalid ${part}: ${summary}`, errors) };
  };
};

/** The names of a schema's top-level integer properties (query strings' and paths' numbers). */
function integerProperties(schema: TSchema): string[] {
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  return Object.keys(properties).filter((name) => properties[name]!.type === 'integer');
}

/**
 * TypeBox converts "2.5", "1e2" and " 2" to integers; a query string's integer is written in
 * digits. Anything else is made NaN, which the check then reports as not an integer.
 */
function withoutLooseIntegers(input: unknown, integers: readonly string[]): unknown {
  if (integers.length === 0 || input === null || typeof input !== 'object') return input;
  const loose = integers.filter((name) => {
    const raw = (input as Record<string, unknown>)[name];
    return typeof raw === 'string' && !/^[0-9]+$/.test(raw);
  });
  return loose.length === 0 ? input : { ...input, ...Object.fromEntries(loose.map((name) => [name, Number.NaN])) };
}

/** One message per path (the first and most specific TypeBox reports), in the services' wording. */
function fieldErrors(iterator: Iterable<ValueError>): FieldError[] {
  const byPath = new Map<string, string>();
  for (const error of iterator) {
    const path = error.path.replace(/^\//, '').replace(/\//g, '.').replace(/~1/g, '/').replace(/~0/g, '~');
    if (!byPath.has(path)) byPath.set(path, describe(error));
    if (byPath.size >= MAX_REPORTED) break;
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

function describe(error: ValueError): string {
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.Object:
      return 'must be a JSON object';
    case ValueErrorType.Union: {
      const literals = (error.schema.anyOf as TSchema[] | undefined)?.filter((s) => s[Kind] === 'Literal').map((s) => String(s.const));
      if (literals && literals.length > 0) return `must be one of ${literals.join(', ')}`;
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
    }
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

/** A copy of the schema without the string rules that the services check and word themselves. */
function withoutServiceChecks<T extends TSchema>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((item) => withoutServiceChecks(item)) as unknown as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(schema)) copy[key] = withoutServiceChecks((schema as Record<string | symbol, unknown>)[key] as TSchema);
  if (copy[CHECKED_BY_SERVICE] === true) {
    delete copy.pattern;
    delete copy.minLength;
    delete copy.maxLength;
  }
  return copy as T;
}
