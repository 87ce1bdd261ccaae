const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a uuid. Refs that are not uuids are names: PostgreSQL rejects a non-uuid compared to
 * a uuid column, so lookups pick the column from the shape of the ref.
 */
export function isUuid(ref: string): boolean {
  return UUID.test(ref);
}
