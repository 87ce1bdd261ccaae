/** PostgreSQL's side of the codec (see ../codec.ts). */
import { sql } from 'kysely';
import { errorCode, sharedCodec, type Codec } from '../codec.js';

export const postgresCodec: Codec = {
  dialect: 'postgres',
  ...sharedCodec,
  time: (date) => date,
  // Cast to text first: with `cast($1 as jsonb)` alone postgres.js types the parameter as jsonb and
  // encodes the JSON text once more, which stores a jsonb *string* (migration 015 repairs those).
  json: (value) => sql`cast(cast(${JSON.stringify(value)} as text) as jsonb)`,
  isUniqueViolation: (error) => errorCode(error) === '23505',
  isForeignKeyViolation: (error) => errorCode(error) === '23503',
};
