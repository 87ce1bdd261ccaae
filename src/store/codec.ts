/**
 * The few places where PostgreSQL and SQLite disagree, in one object, so repositories are
 * written once. Measured traps this covers: postgres.js turns a `JSON.stringify`d value into a
 * jsonb *string*; better-sqlite3 throws on Date, boolean and object parameters; `count(*)` is a
 * string on PostgreSQL; unique and foreign-key violations have different codes.
 */
import { sql, type RawBuilder } from 'kysely';

export type Dialect = 'postgres' | 'sqlite';

export interface Codec {
  readonly dialect: Dialect;
  /** A timestamp as a parameter. */
  time(date: Date): Date | string;
  /** A timestamp read back (Date on PostgreSQL, ISO text on SQLite). */
  readTime(value: unknown): Date;
  readTimeOrNull(value: unknown): Date | null;
  /** A JSON value as a parameter. */
  json(value: unknown): RawBuilder<unknown> | string;
  readJson<T = unknown>(value: unknown): T;
  count(value: unknown): number;
  isUniqueViolation(error: unknown): boolean;
  isForeignKeyViolation(error: unknown): boolean;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function readDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

const shared = {
  readTime: readDate,
  readTimeOrNull: (value: unknown): Date | null => (value === null || value === undefined ? null : readDate(value)),
  count: (value: unknown): number => Number(value ?? 0),
};

export const postgresCodec: Codec = {
  dialect: 'postgres',
  ...shared,
  time: (date) => date,
  json: (value) => sql`cast(${JSON.stringify(value)} as jsonb)`,
  readJson: <T>(value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as T,
  isUniqueViolation: (error) => errorCode(error) === '23505',
  isForeignKeyViolation: (error) => errorCode(error) === '23503',
};

export const sqliteCodec: Codec = {
  dialect: 'sqlite',
  ...shared,
  time: (date) => date.toISOString(),
  json: (value) => JSON.stringify(value),
  readJson: <T>(value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as T,
  isUniqueViolation: (error) => errorCode(error) === 'SQLITE_CONSTRAINT_UNIQUE' || errorCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  // An ON DELETE RESTRICT key fails as SQLITE_CONSTRAINT_TRIGGER, not as a FOREIGNKEY error.
  isForeignKeyViolation: (error) =>
    errorCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY' ||
    (errorCode(error) === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY constraint failed/.test((error as Error).message)),
};
