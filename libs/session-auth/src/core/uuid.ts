const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A UUID in its canonical text form: what every id the library issues is. Ids that arrive in
 * token claims are checked with it before any query, so that a malformed one is a 401, never
 * PostgreSQL's "invalid input syntax for type uuid".
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
