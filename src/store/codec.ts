/**
 * The few places where PostgreSQL and SQLite disagree, in one object, so repositories are
 * written once. Measured traps this covers: postgres.js turns a `JSON.stringify`d value into a
 * jsonb *string*; better-sqlite3 throws on Date, boolean and object parameters; `count(*)` is a
 * string on PostgreSQL; unique and foreign-key violations have different codes. Each dialect's
 * codec lives in its folder (postgres/postgres-codec.ts, sqlite/sqlite-codec.ts).
 */
import type { RawBuilder } from 'kysely';

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

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function readDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  throw new TypeError(`not a timestamp: ${String(value)}`);
}

/** What both dialects read alike. */
export const sharedCodec = {
  readTime: readDate,
  readTimeOrNull: (value: unknown): Date | null => (value === null || value === undefined ? null : readDate(value)),
  count: (value: unknown): number => Number(value ?? 0),
  readJson: <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T,
};
