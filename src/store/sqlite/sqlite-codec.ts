/** SQLite's side of the codec (see ../codec.ts). */
import { errorCode, sharedCodec, type Codec } from '../codec.js';

export const sqliteCodec: Codec = {
  dialect: 'sqlite',
  ...sharedCodec,
  time: (date) => date.toISOString(),
  json: (value) => JSON.stringify(value),
  isUniqueViolation: (error) => errorCode(error) === 'SQLITE_CONSTRAINT_UNIQUE' || errorCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  // An ON DELETE RESTRICT key fails as SQLITE_CONSTRAINT_TRIGGER, not as a FOREIGNKEY error.
  isForeignKeyViolation: (error) =>
    errorCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY' ||
    (errorCode(error) === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY constraint failed/.test((error as Error).message)),
};
