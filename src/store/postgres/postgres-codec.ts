/** PostgreSQL's side of the codec (see ../codec.ts). */
import { sql } from 'kysely';
import { errorCode, sharedCodec, type Codec } from '../codec.js';

export const postgresCodec: Codec = {
  dialect: 'postgres',
  ...sharedCodec,
  time: (date) => date,
  json: (value) => sql`cast(${JSON.stringify(value)} as jsonb)`,
  isUniqueViolation: (error) => errorCode(error) === '23505',
  isForeignKeyViolation: (error) => errorCode(error) === '23503',
};
