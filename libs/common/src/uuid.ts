const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in uuid columns are checked first: Postgres rejects a malformed uuid with an error, not a miss. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
