import type { DataSource } from 'typeorm';
import { type Duration, durationMs } from '../../core/duration';
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
 * `lifetime`: the app's `accessTokenTtl` and `clockTolerance`, for how long the revocation feed
 * keeps the `revoked-all` event.
 */
export async function revokeAllSessions(
  dataSource: DataSource,
  lifetime: { accessTokenTtl?: Duration; clockTolerance?: Duration } = {},
): Promise<Date> {
  // The defaults are the module's: an access token lives 15 minutes, with no clock tolerance.
  const ttlMs = durationMs(lifetime.accessTokenTtl ?? '15m');
  const toleranceMs = durationMs(lifetime.clockTolerance ?? 0);
  if (ttlMs === null || toleranceMs === null) {
    throw new TypeError('revokeAllSessions: accessTokenTtl and clockTolerance are durations');
  }
  const lifetimeMs = ttlMs + toleranceMs;
  const sql = new PgPool(dataSource);
  const [{ now }] = await sql.query<{ now: number }>(
    'SELECT extract(epoch FROM clock_timestamp())::float8 AS now',
  );
  const at = await recordSessionsRevokedBefore(sql, Math.ceil(now) + 1, lifetimeMs);
  await sql.query('SELECT pg_sleep(greatest(0, $1 - extract(epoch FROM clock_timestamp())))', [at]);
  return new Date(at * 1000);
}
