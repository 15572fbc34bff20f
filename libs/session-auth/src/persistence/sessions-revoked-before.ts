import { PgPool, type Sql } from './pg-pool';
import { REVOCATION_LOG_LOCK } from './revocation-log.repository';

/** Where a revoke-all is announced to every instance; each then reads the moment itself. */
export const REVOKED_BEFORE_CHANNEL = 'sessions_revoked_before';

/**
 * The moment of the last revoke-all as an SQL expression (null when there was none). Sessions
 * created before it count as revoked wherever a statement asks whether a session is live.
 */
export const REVOKED_BEFORE = '(SELECT at FROM sessions_revoked_before)';

/** The moment in seconds, for the instances' catch-up read. */
export const REVOKED_BEFORE_SECONDS = `(SELECT extract(epoch FROM at)::float8
   FROM sessions_revoked_before)`;

/**
 * Parameters: the moment, in seconds; how long after it the last access token issued before it may
 * still be accepted (ms). A later moment never gives way to an earlier one. The revocation feed's
 * `revoked-all` event goes in its log in the same statement, under the log's lock (see
 * SessionsRepository.revoke). The notification carries nothing: databases shared by several
 * schemas deliver it to all of them, so each instance reads the moment from its own table (see
 * RevocationListener).
 */
const RECORD = `WITH moment AS (
   INSERT INTO sessions_revoked_before (singleton, at) VALUES (true, to_timestamp($1))
   ON CONFLICT (singleton) DO UPDATE SET at = greatest(sessions_revoked_before.at, excluded.at)
   RETURNING at
 ), locked AS (
   SELECT pg_advisory_xact_lock(${REVOCATION_LOG_LOCK}) FROM moment
 ), logged AS (
   INSERT INTO session_revocations (seq, kind, session_id, revoked_at, until)
   SELECT nextval('session_revocations_seq'), 'revoked-all', NULL, m.at,
          m.at + $2::int * interval '1 millisecond'
     FROM moment m CROSS JOIN locked
 )
 SELECT extract(epoch FROM at)::float8 AS at, pg_notify('${REVOKED_BEFORE_CHANNEL}', '') FROM moment`;

/**
 * Records the revoke-all moment (seconds) and notifies the instances at commit; returns the moment
 * now stored. `accessTokenLifetimeMs`: the access-token lifetime plus the clock tolerance, after
 * which the feed's event can be forgotten.
 */
export function recordSessionsRevokedBefore(
  sql: PgPool,
  atSeconds: number,
  accessTokenLifetimeMs: number,
): Promise<number> {
  return sql.transaction(async (tx: Sql) => {
    const [{ at }] = await tx.query<{ at: number }>(RECORD, [atSeconds, accessTokenLifetimeMs]);
    return at;
  });
}
