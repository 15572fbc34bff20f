import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import type { SecurityEventType } from './entities/security-event.entity';
import type { RevocationReason } from '../core/observer';
import type { Session } from './entities/session.entity';
import { REVOCATION_LOG_LOCK } from './revocation-log.repository';
import { PgPool, Sql, type Batches } from './pg-pool';
import { RECORD_SECURITY_EVENT } from './security-events.repository';
import { REVOKED_BEFORE } from './sessions-revoked-before';

/** Where a revocation is announced to every instance (see RevokedSessions). */
export const REVOCATION_CHANNEL = 'session_revoked';

/** The live refresh token a session starts or rotates to: its `jti` and `exp`. */
export interface NewRefreshToken {
  id: string;
  expiresAt: Date;
}

export interface NewSession {
  id: string;
  userId: string;
  createdAt: Date;
  absoluteExpiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** False with `rememberMe: false`: the cookies then end with the browser. */
  persistent: boolean;
}

/** The security event a new session is recorded with (the session's user, id and address). */
export interface SessionEvent {
  type: SecurityEventType;
  /** As the client sent it: the session keeps a truncated copy. */
  userAgent: string | null;
}

/** The session as a refresh decides on it: its state and its live token's. */
interface RotationColumns {
  session_id: string;
  user_id: string;
  revoked_at: Date | null;
  absolute_expires_at: Date;
  /** The live token's `exp`. */
  expires_at: Date;
  persistent: boolean;
  /** When the session last proved the password: every access token of it carries this. */
  auth_time: Date;
  current_token_id: string | null;
  previous_token_id: string | null;
  /** When the live token was issued, to the millisecond (its `iat` is this in whole seconds). */
  current_issued_at: Date;
}

/** The user's columns, which the rotation read joins with the built-in accounts only. */
interface JoinedUserColumns {
  email: string;
  display_name: string | null;
  roles: string[];
  user_created_at: Date;
}

/**
 * What the rotation statements return: with the built-in accounts, the user too (`email` set);
 * with the app's own users, none of the user's columns (`email` undefined), since no table of ours
 * has them.
 */
export type RotationRow = RotationColumns & (JoinedUserColumns | { email?: undefined });

export interface RevocationEvent {
  type: SecurityEventType;
  /** One event naming each revoked session, or one event for the whole operation. */
  perSession: boolean;
  ip: string | null;
  userAgent: string | null;
  /**
   * The one event names this session (the caller's) and is recorded even when nothing was revoked:
   * the operation happened whatever other sessions there were.
   */
  actor?: { userId: string; sessionId: string };
}

/** Which sessions a revocation targets; always live ones only. */
export type RevocationTarget =
  { sessionId: string; userId?: string } | { userId: string; exceptSessionId?: string };

/** A session created before a revoke-all reads as revoked at that moment. */
const ROTATION_COLUMNS = `s.id AS session_id, s.user_id,
        coalesce(s.revoked_at, (SELECT at FROM sessions_revoked_before WHERE at > s.created_at))
          AS revoked_at,
        s.absolute_expires_at, s.expires_at, s.persistent, s.auth_time, s.current_token_id,
        s.previous_token_id, s.current_issued_at`;

const USER_COLUMNS = `u.email, u.display_name, u.roles, u.created_at AS user_created_at`;

/**
 * Parameter: session id. The session, locked: every decision other than the plain rotation (replay,
 * reuse, the refusals) and logout by refresh token is taken under this lock, on the newest row.
 * With the built-in accounts the user is joined, so that a replay answers with it.
 */
const LOCK_FOR_ROTATION = `SELECT ${ROTATION_COLUMNS}, ${USER_COLUMNS}
   FROM sessions s
   JOIN users u ON u.id = s.user_id
  WHERE s.id = $1
    FOR UPDATE OF s`;

const LOCK_FOR_ROTATION_OWN_USERS = `SELECT ${ROTATION_COLUMNS}
   FROM sessions s
  WHERE s.id = $1
    FOR UPDATE OF s`;

/**
 * The whole rotation of a live token in one statement and one round trip. Parameters: session id,
 * presented token id (its `jti`), its `sub`, now, the successor's id, the successor's `exp` before
 * the session's absolute end caps it.
 *
 * Done only while the presented token is the session's live one, unexpired, the session is not
 * revoked (nor by a revoke-all) and not past its absolute end: the UPDATE takes the session's row
 * lock, and once it is granted PostgreSQL re-checks those conditions on the newest row version, so
 * a rotation or revocation that committed first makes it write nothing. The live token becomes the
 * predecessor; nothing else about the used token is kept (see rotation.ts). Returns the row the
 * successor is signed from (its `exp` is the new `expires_at`), with the built-in user; no row when
 * nothing was written, and the caller decides again under the lock. `bench/` runs this statement.
 */
const ROTATE = (withUser: boolean) => `WITH rotated AS (
   UPDATE sessions s
      SET previous_token_id = s.current_token_id, current_token_id = $5, current_issued_at = $4,
          last_used_at = $4, expires_at = LEAST($6::timestamptz, s.absolute_expires_at)
    WHERE s.id = $1 AND s.current_token_id = $2 AND s.user_id = $3 AND s.revoked_at IS NULL
      AND s.expires_at > $4 AND s.absolute_expires_at > $4
      AND s.created_at >= coalesce(${REVOKED_BEFORE}, '-infinity')
   RETURNING s.id AS session_id, s.user_id, NULL::timestamptz AS revoked_at, s.absolute_expires_at,
             s.expires_at, s.persistent, s.auth_time, s.current_token_id, s.previous_token_id,
             s.current_issued_at
 )
 SELECT s.*${withUser ? `, ${USER_COLUMNS}` : ''}
   FROM rotated s${withUser ? ' JOIN users u ON u.id = s.user_id' : ''}`;

/** The rotation with the built-in accounts (see ROTATE). */
export const ROTATE_LIVE_TOKEN = ROTATE(true);
const ROTATE_LIVE_TOKEN_OWN_USERS = ROTATE(false);

const SESSION_COLUMNS = `id, user_id AS "userId", created_at AS "createdAt",
   last_used_at AS "lastUsedAt", expires_at AS "expiresAt",
   absolute_expires_at AS "absoluteExpiresAt", auth_time AS "authTime", revoked_at AS "revokedAt",
   revoked_reason AS "revokedReason", current_token_id AS "currentTokenId",
   previous_token_id AS "previousTokenId", current_issued_at AS "currentIssuedAt",
   user_agent AS "userAgent", ip, persistent`;

/** Parameters: user id, now. What makes a session live, for listing and for the session limit. */
const LIVE = `user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND absolute_expires_at > $2
    AND created_at >= coalesce(${REVOKED_BEFORE}, '-infinity')`;

/** Parameters: user id, now. Newest first. */
const LIST_LIVE = `SELECT ${SESSION_COLUMNS} FROM sessions
  WHERE ${LIVE}
  ORDER BY created_at DESC, id DESC`;

/** Parameters: user id, now. Least recently used first: the order in which the limit evicts. */
const LIVE_IDS_BY_LAST_USE = `SELECT id FROM sessions
  WHERE ${LIVE}
  ORDER BY last_used_at, created_at, id`;

/**
 * Parameter: user id. Serialises the sign-ins of one of the app's own users (no row of ours to
 * lock); the prefix keeps these locks apart from the app's own advisory locks.
 */
const LOCK_OWN_USER = `SELECT pg_advisory_xact_lock(hashtextextended('session-auth:' || $1, 0))`;

/**
 * Parameter: user id. Serialises a built-in account's sign-ins on its row: taken first, before
 * any session row, so that it orders with a password change (which updates this row, then
 * revokes sessions) instead of deadlocking with it.
 */
const LOCK_BUILTIN_USER = `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`;

const FIND_OWNED = `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1 AND user_id = $2`;

/**
 * Parameters: session id, user id, the new auth time, client address, user agent. Only a live
 * session proves the password again; the event is recorded in the same statement.
 */
const REAUTHENTICATE = `WITH proved AS (
   UPDATE sessions SET auth_time = $3
    WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND absolute_expires_at > $3
      AND created_at >= coalesce(${REVOKED_BEFORE}, '-infinity')
   RETURNING id, user_id, absolute_expires_at, persistent
 ), recorded AS (
   ${RECORD_SECURITY_EVENT}
   SELECT user_id, 'reauthenticated', id, $4, $5 FROM proved
 )
 SELECT absolute_expires_at AS "absoluteExpiresAt", persistent FROM proved`;

/**
 * Parameters: the cutoff, the batch size. Deletes up to a batch of sessions that ended (idle end
 * passed, or revoked) on a day before the cutoff's, found through the index on that day: whole
 * days, so that every row the index finds goes, and none is read twice (a session ended on the
 * cutoff's day goes a day later). SKIP
 * LOCKED: a session a refresh or revocation holds is left for the next pass, so housekeeping never
 * waits for a user, and instances running it at once take different rows. An absolute end before
 * the cutoff is an idle end before it too (a live token never outlives it).
 */
export const DELETE_ENDED_SESSIONS = `WITH doomed AS (
   SELECT id FROM sessions
    WHERE ended_on < ($1::timestamptz AT TIME ZONE 'UTC')::date
    LIMIT $2
      FOR UPDATE SKIP LOCKED
 ), deleted AS (
   DELETE FROM sessions s USING doomed d WHERE s.id = d.id
   RETURNING 1
 )
 SELECT count(*)::int AS deleted FROM deleted`;

/**
 * Parameters 1 to 9: the session and its first token (see SessionsRepository.create); with
 * `recordEvent`, the event type and user agent next; with `checkPasswordHash`, the verified hash
 * last. The check reads the user row FOR SHARE, so that the statement serialises with a password
 * change's UPDATE of it; without it (the app's own users) the session is inserted as it is.
 */
function createSessionStatement(checkPasswordHash: boolean, recordEvent: boolean): string {
  const hash = `$${recordEvent ? 12 : 10}`;
  const owner = checkPasswordHash
    ? `owner AS (
         SELECT id FROM users WHERE id = $2 AND password_hash = ${hash} FOR SHARE
       ), `
    : '';
  // The user id comes from the checked row, so that a failed check inserts nothing.
  const [userId, from] = checkPasswordHash ? ['id', '\n           FROM owner'] : ['$2::uuid', ''];
  const recorded = recordEvent
    ? `, recorded AS (
         ${RECORD_SECURITY_EVENT}
         SELECT user_id, $10::text, id, $8::text, $11::text FROM new_session
       )`
    : '';
  return `WITH ${owner}new_session AS (
         INSERT INTO sessions (id, user_id, created_at, last_used_at, auth_time, expires_at,
                               absolute_expires_at, current_token_id, current_issued_at,
                               user_agent, ip, persistent)
         SELECT $1::uuid, ${userId}, $3::timestamptz, $3::timestamptz, $3::timestamptz,
                $4::timestamptz, $5::timestamptz, $6::uuid, $3::timestamptz, $7::text, $8::text,
                $9::boolean${from}
         RETURNING id, user_id
       )${recorded}
       SELECT id FROM new_session`;
}

/**
 * The sessions (each with the state of its refresh tokens: constant in size, see rotation.ts),
 * and the security events a session change records with it:
 * SQL on the DataSource's pg pool, one statement per method. Where the statements differ between
 * the built-in accounts and the app's own users, the variant is chosen once, here.
 */
@Injectable()
export class SessionsRepository {
  private readonly sql: PgPool;
  private readonly builtinUsers: boolean;
  private readonly accessTokenTtlMs: number;
  private readonly clockToleranceMs: number;
  private readonly lockForRotationStatement: string;
  private readonly rotateStatement: string;
  private readonly createStatements: { withEvent: string; withoutEvent: string };
  private readonly lockUserStatement: string;

  constructor(@InjectDataSource() dataSource: DataSource, options: ResolvedSessionAuthOptions) {
    this.sql = new PgPool(dataSource);
    this.builtinUsers = options.builtinUsers;
    this.accessTokenTtlMs = options.accessTokenTtlMs;
    this.clockToleranceMs = options.clockToleranceMs;
    this.lockForRotationStatement = options.builtinUsers
      ? LOCK_FOR_ROTATION
      : LOCK_FOR_ROTATION_OWN_USERS;
    this.rotateStatement = options.builtinUsers ? ROTATE_LIVE_TOKEN : ROTATE_LIVE_TOKEN_OWN_USERS;
    this.createStatements = {
      withEvent: createSessionStatement(options.builtinUsers, true),
      withoutEvent: createSessionStatement(options.builtinUsers, false),
    };
    this.lockUserStatement = options.builtinUsers ? LOCK_BUILTIN_USER : LOCK_OWN_USER;
  }

  /**
   * A READ COMMITTED transaction for the statements that take `sql` (a lock, then the decision's
   * writes; or a password change and the revocation it causes).
   */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }

  /**
   * A new session and its first refresh token, in one statement. With the built-in accounts, only
   * while `passwordHash` is still the user's: false when it is not (changed, or the account gone),
   * and nothing was written. The user row is read FOR SHARE, so the statement serialises with a
   * password change's UPDATE of it: a change that committed first makes the re-checked condition
   * fail; one that comes after waits for this commit, and then revokes this session with the
   * others. With the app's own users there is no row of ours to check: `passwordHash` is null, and
   * revoking the sessions after a password change is the app's call. With `event`, the security
   * event that records the sign-in is written too, so that there is never one without the other.
   * `sql` is a transaction's, when the sign-in first made room under the session limit.
   */
  async create(
    session: NewSession,
    token: NewRefreshToken,
    passwordHash: string | null,
    event?: SessionEvent,
    sql: Sql = this.sql,
  ): Promise<boolean> {
    const params: unknown[] = [
      session.id,
      session.userId,
      session.createdAt,
      token.expiresAt,
      session.absoluteExpiresAt,
      token.id,
      session.userAgent,
      session.ip,
      session.persistent,
    ];
    if (event) params.push(event.type, event.userAgent);
    if (this.builtinUsers) params.push(passwordHash);
    const rows = await sql.query(
      event ? this.createStatements.withEvent : this.createStatements.withoutEvent,
      params,
    );
    return rows.length === 1;
  }

  /**
   * Locks the session row (refresh and every revocation serialise on it) and reads it, with the
   * built-in user. Waiting for the lock, the statement re-reads the locked row's newest version.
   */
  async lockForRotation(sql: Sql, sessionId: string): Promise<RotationRow | null> {
    const rows = await sql.query<RotationRow>(this.lockForRotationStatement, [sessionId]);
    return rows[0] ?? null;
  }

  /**
   * Rotates the session from `presented` (its live token, unexpired) to `successor`, in one
   * statement; the row the successor is signed from, or null when nothing was written (see ROTATE:
   * the presented token is not the live one, or the session cannot be refreshed). Outside a
   * transaction (`sql` omitted) it is the whole of a common refresh.
   */
  async rotateLive(
    presented: { sessionId: string; tokenId: string; userId: string },
    now: Date,
    successor: NewRefreshToken,
    sql: Sql = this.sql,
  ): Promise<RotationRow | null> {
    const rows = await sql.query<RotationRow>(this.rotateStatement, [
      presented.sessionId,
      presented.tokenId,
      presented.userId,
      now,
      successor.id,
      successor.expiresAt,
    ]);
    return rows[0] ?? null;
  }

  /**
   * Revokes the live sessions a target names, notifies every instance (delivered at commit),
   * records the security events and appends one row per session to the revocation feed's log, in
   * one statement. Returns the ids revoked now. `revoked_at` is the database's clock, the one the
   * other instances' catch-up reads compare it with.
   *
   * The log's advisory lock is taken after every row lock of the UPDATE (count(*) reads all its
   * rows first) and held until commit. So in a caller's transaction this must be the last
   * statement that takes row locks: one taken after it could wait for a transaction that waits
   * for the advisory lock, a deadlock. `until` counts from clock_timestamp(), after the row locks:
   * a refresh that committed while this statement waited for its lock minted access tokens later
   * than the transaction's now().
   */
  async revoke(
    target: RevocationTarget,
    reason: RevocationReason,
    event: RevocationEvent,
    sql: Sql = this.sql,
  ): Promise<string[]> {
    const conditions = ['revoked_at IS NULL'];
    const params: unknown[] = [
      reason,
      event.type,
      event.ip,
      event.userAgent,
      this.accessTokenTtlMs,
      this.clockToleranceMs,
    ];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if ('sessionId' in target) {
      add('id = ?', target.sessionId);
      if (target.userId) add('user_id = ?', target.userId);
    } else {
      add('user_id = ?', target.userId);
      if (target.exceptSessionId) add('id <> ?', target.exceptSessionId);
    }
    let events = event.perSession
      ? `SELECT user_id, $2, id, $3, $4 FROM revoked`
      : `SELECT DISTINCT ON (user_id) user_id, $2, NULL::uuid, $3, $4 FROM revoked`;
    if (event.actor) {
      params.push(event.actor.userId, event.actor.sessionId);
      events = `VALUES ($${params.length - 1}::uuid, $2, $${params.length}::uuid, $3, $4)`;
    }
    const rows = await sql.query<{ id: string }>(
      `WITH revoked AS (
         UPDATE sessions SET revoked_at = now(), revoked_reason = $1
          WHERE ${conditions.join(' AND ')}
         RETURNING id, user_id, revoked_at, absolute_expires_at
       ), recorded AS (
         ${RECORD_SECURITY_EVENT} ${events}
       ), locked AS (
         SELECT pg_advisory_xact_lock(${REVOCATION_LOG_LOCK}) FROM revoked HAVING count(*) > 0
       ), logged AS (
         INSERT INTO session_revocations (seq, kind, session_id, revoked_at, until)
         SELECT nextval('session_revocations_seq'), 'revoked', r.id, r.revoked_at,
                LEAST(clock_timestamp() + $5::int * interval '1 millisecond', r.absolute_expires_at)
                  + $6::int * interval '1 millisecond'
           FROM revoked r CROSS JOIN locked
       )
       SELECT id, pg_notify('${REVOCATION_CHANNEL}', id::text) FROM revoked`,
      params,
    );
    return rows.map((row) => row.id);
  }

  /**
   * Takes the lock that a user's sign-ins serialise on under the session limit, until the
   * transaction ends: the built-in account's row, or an advisory lock on the app's user id.
   */
  async lockUserSignIns(sql: Sql, userId: string): Promise<void> {
    await sql.query(this.lockUserStatement, [userId]);
  }

  /** The ids of the user's live sessions, least recently used first. */
  async liveIdsByLastUse(sql: Sql, userId: string, now: Date): Promise<string[]> {
    const rows = await sql.query<{ id: string }>(LIVE_IDS_BY_LAST_USE, [userId, now]);
    return rows.map((row) => row.id);
  }

  /**
   * Stamps a live session as having proved the password at `at`, and records `reauthenticated`.
   * The session's absolute end and whether it outlives the browser, or null when it is revoked or
   * ended (nothing written).
   */
  async reauthenticate(
    sessionId: string,
    userId: string,
    at: Date,
    client: { ip: string | null; userAgent: string | null },
  ): Promise<{ absoluteExpiresAt: Date; persistent: boolean } | null> {
    const rows = await this.sql.query<{ absoluteExpiresAt: Date; persistent: boolean }>(
      REAUTHENTICATE,
      [sessionId, userId, at, client.ip, client.userAgent],
    );
    return rows[0] ?? null;
  }

  /** The user's sessions that can still be refreshed, newest first. */
  listLive(userId: string, now = new Date()): Promise<Session[]> {
    return this.sql.query<Session>(LIST_LIVE, [userId, now]);
  }

  async findOwned(sessionId: string, userId: string): Promise<Session | null> {
    const rows = await this.sql.query<Session>(FIND_OWNED, [sessionId, userId]);
    return rows[0] ?? null;
  }

  /** Housekeeping: deletes the sessions that ended before the cutoff, `batches.size` a statement. */
  deleteEndedBefore(cutoff: Date, batches: Batches): Promise<number> {
    return this.sql.deleteInBatches(DELETE_ENDED_SESSIONS, [cutoff], batches);
  }
}
