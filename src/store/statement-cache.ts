import { CompiledQuery, type Compilable } from 'kysely';
import type { SqlStatement, Store } from './database.js';

/**
 * Kysely builds and compiles a query on every call (a few hundred microseconds for a list), so
 * the hot reads compile theirs once per dialect and shape: with a placeholder where each value
 * goes, run later with the values in their places. A shape whose compiled parameters are not
 * exactly its placeholders is kept as null, and built each time.
 *
 * A CLI command is a process of its own, which would compile its statements on every run, with
 * Kysely loaded for that alone: the launcher keeps what a command's first run compiled beside its
 * code cache (src/launcher/code-cache.ts), and gives it to the later runs (`remember`).
 */
export class StatementCache {
  readonly #statements = new Map<string, CompiledShape | null>();
  /** Whether a statement was compiled since the cache was created or given its statements. */
  #compiledSince = false;

  /** The statement of `key` with `values` as its parameters, or undefined when it must be built. */
  statement(key: string, build: (placeholder: <T>(name: string) => T) => Compilable, values: object): SqlStatement | undefined {
    const byName = values as Record<string, unknown>;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      const { sql: text, parameters } = build((name) => `${PLACEHOLDER}${name}` as never).compile();
      const names = parameters.map((parameter) => (typeof parameter === 'string' && parameter.startsWith(PLACEHOLDER) ? parameter.slice(1) : null));
      statement = names.every((name): name is string => name !== null && name in byName) ? { sql: text, names } : null;
      this.#statements.set(key, statement);
      this.#compiledSince = true;
    }
    return statement === null ? undefined : { sql: statement.sql, parameters: statement.names.map((name) => byName[name]) };
  }

  /** statement(), as the query Kysely runs. */
  compiled(key: string, build: (placeholder: <T>(name: string) => T) => Compilable, values: object): CompiledQuery | undefined {
    const statement = this.statement(key, build, values);
    return statement === undefined ? undefined : CompiledQuery.raw(statement.sql, [...statement.parameters]);
  }

  /** Every statement compiled, as JSON for `remember`; undefined when none was compiled since it was last given them. */
  toRemember(): string | undefined {
    return this.#compiledSince ? JSON.stringify(Object.fromEntries(this.#statements)) : undefined;
  }

  /** Takes the statements an earlier run of the same build compiled (`toRemember`); text of any other shape is ignored. */
  remember(text: string): void {
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch {
      return;
    }
    if (entries === null || typeof entries !== 'object') return;
    for (const [key, statement] of Object.entries(entries)) {
      if (statement === null || isCompiledShape(statement)) this.#statements.set(key, statement);
    }
    this.#compiledSince = false;
  }
}

interface CompiledShape {
  sql: string;
  names: string[];
}

function isCompiledShape(value: unknown): value is CompiledShape {
  const shape = value as Partial<CompiledShape> | null;
  return typeof shape === 'object' && shape !== null && typeof shape.sql === 'string' && Array.isArray(shape.names) && shape.names.every((name) => typeof name === 'string');
}

/** Starts a placeholder: no value of ours holds a NUL (PostgreSQL text cannot). */
const PLACEHOLDER = '\u0000';

/** The statements of the hot reads, for every repository. */
export const STATEMENTS = new StatementCache();

/**
 * The rows of a read whose statement is compiled once per shape (`key`, for each dialect) and
 * kept (above): on the embedded store, read on its connection without Kysely.
 */
export async function readCompiled<Row>(store: Store, key: string, build: (placeholder: <T>(name: string) => T) => Compilable<Row>, values: Record<string, unknown>): Promise<Row[]> {
  const statement = STATEMENTS.statement(`${key}:${store.dialect}`, build, values) ?? build((name) => values[name] as never).compile();
  if (store.directReads !== null) return (await store.directReads.rows(statement)) as Row[];
  return (await store.db.executeQuery<Row>(CompiledQuery.raw(statement.sql, [...statement.parameters]))).rows;
}
