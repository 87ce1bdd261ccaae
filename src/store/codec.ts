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
  /** A timestamp read back as ISO 8601 text, as Date.prototype.toISOString prints it (readIsoTime). */
  readIsoTime(value: unknown): string;
  readIsoTimeOrNull(value: unknown): string | null;
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

/**
 * toISOString's form, for a day that every month has (1 to 28): such text is the time it names,
 * printed as toISOString prints it.
 */
const ISO_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * A timestamp as ISO 8601 text, the form the REST resources carry. SQLite holds times in that
 * form already (sqlite-codec.ts writes toISOString's text, the triggers strftime's
 * '%Y-%m-%dT%H:%M:%fZ'): that text is returned as it is, instead of a Date parsed from it and
 * printed again, ~6,000 instructions a time: `gateway list --all -o json` over 1,000 gateways
 * reads 5,000 of them, 32 M of its 287 M instructions. Anything else (a Date from PostgreSQL,
 * the 29th to the 31st of a month, text in another form) goes through a Date, which also refuses
 * what is not a time, as toISOString always did.
 */
function readIsoTime(value: unknown): string {
  return typeof value === 'string' && ISO_TIME.test(value) ? value : readDate(value).toISOString();
}

/** What both dialects read alike. */
export const sharedCodec = {
  readTime: readDate,
  readTimeOrNull: (value: unknown): Date | null => (value === null || value === undefined ? null : readDate(value)),
  readIsoTime,
  readIsoTimeOrNull: (value: unknown): string | null => (value === null || value === undefined ? null : readIsoTime(value)),
  count: (value: unknown): number => Number(value ?? 0),
  readJson: <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T,
};
