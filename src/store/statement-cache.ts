import { CompiledQuery, type Compilable } from 'kysely';

/**
 * Kysely builds and compiles a query on every call (a few hundred microseconds for a list), so
 * the hot reads compile theirs once per dialect and shape: with a placeholder where each value
 * goes, run later with the values in their places. A shape whose compiled parameters are not
 * exactly its placeholders is kept as null, and built each time.
 */
export class StatementCache {
  readonly #statements = new Map<string, { sql: string; names: string[] } | null>();

  /** The statement of `key` with `values` as its parameters, or undefined when it must be built. */
  compiled(key: string, build: (placeholder: <T>(name: string) => T) => Compilable, values: object): CompiledQuery | undefined {
    const byName = values as Record<string, unknown>;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      const { sql: text, parameters } = build((name) => `${PLACEHOLDER}${name}` as never).compile();
      const names = parameters.map((parameter) => (typeof parameter === 'string' && parameter.startsWith(PLACEHOLDER) ? parameter.slice(1) : null));
      statement = names.every((name): name is string => name !== null && name in byName) ? { sql: text, names } : null;
      this.#statements.set(key, statement);
    }
    return statement === null ? undefined : CompiledQuery.raw(statement.sql, statement.names.map((name) => byName[name]));
  }
}

/** Starts a placeholder: no value of ours holds a NUL (PostgreSQL text cannot). */
const PLACEHOLDER = '\u0000';
