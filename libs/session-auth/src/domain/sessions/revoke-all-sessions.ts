import type { DataSource } from 'typeorm';
import { PgPool } from '../../persistence/pg-pool';
import { recordSessionsRevokedBefore } from '../../persistence/sessions-revoked-before';

/**
 * Revokes every session of every user, on an initialised DataSource outside any app (the
 * `sessions:revoke-all` command): each refresh token then answers 401 `session_revoked`, and each
 * access token issued before the returned moment is refused on every running instance. Nothing is
 * written per session and no instance keeps anything per session: one moment, stored once,
 * compared with a session's creation at refresh and with an access token's `iat` on every request.
 *
 * The moment is a whole second (as `iat` is) at least a second after the database's clock now,
 * so that every instance has it before it comes; the call returns once it has passed, so that a
 * sign-in after it is never caught. A sign-in in that second itself is revoked with the rest.
 */
export async function revokeAllSessions(dataSource: DataSource): Promise<Date> {
  const sql = new PgPool(dataSource);
  const [{ now }] = await sql.query<{ now: number }>(
    'SELECT extract(epoch FROM clock_timestamp())::float8 AS now',
  );
  const at = await recordSessionsRevokedBefore(sql, Math.ceil(now) + 1);
  await sql.query('SELECT pg_sleep(greatest(0, $1 - extract(epoch FROM clock_timestamp())))', [at]);
  return new Date(at * 1000);
}
