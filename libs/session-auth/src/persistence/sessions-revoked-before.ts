import { PgPool, type Sql } from './pg-pool';

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
 * Parameter: the moment, in seconds. A later moment never gives way to an earlier one. The
 * notification carries nothing: databases shared by several schemas deliver it to all of them, so
 * each instance reads the moment from its own table (see RevocationListener).
 */
const RECORD = `INSERT INTO sessions_revoked_before (singleton, at) VALUES (true, to_timestamp($1))
 ON CONFLICT (singleton) DO UPDATE SET at = greatest(sessions_revoked_before.at, excluded.at)
 RETURNING extract(epoch FROM at)::float8 AS at, pg_notify('${REVOKED_BEFORE_CHANNEL}', '')`;

/**
 * Records the revoke-all moment (seconds) and notifies the instances at commit; returns the moment
 * now stored. The one place where a revoke-all is written: whatever else must record it (a
 * revocation log) belongs in this transaction.
 */
export function recordSessionsRevokedBefore(sql: PgPool, atSeconds: number): Promise<number> {
  return sql.transaction(async (tx: Sql) => {
    const [{ at }] = await tx.query<{ at: number }>(RECORD, [atSeconds]);
    return at;
  });
}
