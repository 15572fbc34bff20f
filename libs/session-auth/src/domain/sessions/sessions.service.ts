import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { SessionAuthError } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import type {
  ClientInfo,
  IssuedRefreshToken,
  PresentedRefreshToken,
  RefreshClaims,
  SessionUser,
} from '../../core/types';
import { isUuid } from '../../core/uuid';
import type { SecurityEventType } from '../../persistence/entities/security-event.entity';
import type { RevocationReason } from '../../core/observer';
import type { Session } from '../../persistence/entities/session.entity';
import type { Sql } from '../../persistence/pg-pool';
import {
  type NewRefreshToken,
  type RevocationEvent,
  type RevocationTarget,
  type RotationRow,
  SessionsRepository,
} from '../../persistence/sessions.repository';
import { UserRoleChangesRepository } from '../../persistence/user-role-changes.repository';
import { RefreshTokens } from '../tokens/refresh-tokens';
import { deviceLabel } from './device-label';
import { RevokedSessions } from './revoked-sessions';
import { decideRotation } from './rotation';

/** What a rotation hands back: the session's user and the successor token. */
export interface RotationResult {
  sessionId: string;
  /**
   * The session's user as of this refresh, read with the session, with the built-in accounts;
   * null with the app's own users, whom the caller asks (`SessionAuthUsers.findById`).
   */
  user: SessionUser | null;
  refresh: IssuedRefreshToken;
  /** The session's absolute end, which no token of it outlives. */
  absoluteExpiresAt: Date;
  /** False for a session begun with `rememberMe: false`. */
  persistent: boolean;
  /** When the session last proved the password: carried into every access token of it. */
  authTime: Date;
  /** True when this is the successor already issued, handed out again inside the grace window. */
  replayed: boolean;
}

/** A session as its user (or an admin) sees it in a list. */
export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  absoluteExpiresAt: string;
  userAgent: string | null;
  ip: string | null;
  /** Whether this is the session of the calling token. */
  current: boolean;
  /** A short label from the user agent ("Chrome on macOS"), or null. */
  device: string | null;
  /** False for a session begun with `rememberMe: false`, whose cookies end with the browser. */
  persistent: boolean;
}

/** What a refresh token's session is looked up by: the verified claims and the token itself. */
type Presented = Pick<PresentedRefreshToken, 'userId' | 'sessionId' | 'tokenId'>;

const MAX_USER_AGENT = 512;

/**
 * Sessions and their refresh-token families: start, rotate (with reuse detection and the grace
 * window), revoke. Every read-then-write runs under the session's row lock.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    private readonly repository: SessionsRepository,
    private readonly refreshTokens: RefreshTokens,
    private readonly revoked: RevokedSessions,
    private readonly roleChanges: UserRoleChangesRepository,
  ) {}

  /**
   * Starts a session for the credential just verified. With the built-in accounts, `passwordHash`
   * is the user's password hash that was verified, and the session starts only if it is still the
   * user's: a password change that committed since refuses it (401 invalid_credentials). With the
   * app's own users it is null (the app checked the password; no row of ours holds it). With
   * `eventType`, records that security event in the same statement. A session that is not
   * `persistent` (`rememberMe: false`) ends within `shortSessionMaxAge`. Under
   * `maxSessionsPerUser`, the user's least recently used sessions are evicted to make room, or the
   * sign-in is refused (403 session_limit_reached).
   */
  async start(
    userId: string,
    passwordHash: string | null,
    client: ClientInfo,
    eventType?: SecurityEventType,
    persistent = true,
  ): Promise<IssuedRefreshToken & { sessionId: string; absoluteExpiresAt: Date; authTime: Date }> {
    if (passwordHash === null && this.options.builtinUsers) {
      // Without the hash the built-in sign-in would lose its guard against a password change.
      throw new Error(
        'SessionsService.start: the built-in accounts need the verified password hash',
      );
    }
    const now = new Date();
    const sessionId = randomUUID();
    const maxAgeMs = persistent
      ? this.options.sessionMaxAgeMs
      : Math.min(this.options.sessionMaxAgeMs, this.options.shortSessionMaxAgeMs);
    const absoluteExpiresAt = new Date(Math.floor((now.getTime() + maxAgeMs) / 1000) * 1000);
    const refresh = this.issue(userId, sessionId, now, absoluteExpiresAt);
    const create = (sql?: Sql) =>
      this.repository.create(
        {
          id: sessionId,
          userId,
          createdAt: now,
          absoluteExpiresAt,
          userAgent: client.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
          ip: client.ip,
          persistent,
        },
        toRow(refresh),
        passwordHash,
        eventType && { type: eventType, userAgent: client.userAgent },
        sql,
      );
    // Without a limit a sign-in stays one statement, outside any transaction.
    if (this.options.maxSessionsPerUser > 0) {
      await this.startWithinLimit(userId, now, client, create);
    } else if (!(await create())) {
      throw passwordNoLongerCurrent();
    }
    return { ...refresh, sessionId, absoluteExpiresAt, authTime: now };
  }

  /**
   * Counts the user's live sessions and evicts or refuses before `create`, all under the user's
   * sign-in lock: parallel sign-ins of one user take turns, so each counts what the previous one
   * left, and no number of them ever leaves more than the limit. Evictions go through the one
   * revocation statement (notified to every instance, recorded as `session_evicted`), and are
   * undone with the rest when `create` fails.
   */
  private async startWithinLimit(
    userId: string,
    now: Date,
    client: ClientInfo,
    create: (sql: Sql) => Promise<boolean>,
  ): Promise<void> {
    const evicted = await this.repository.transaction(async (sql) => {
      await this.repository.lockUserSignIns(sql, userId);
      const live = await this.repository.liveIdsByLastUse(sql, userId, now);
      const excess = live.length - this.options.maxSessionsPerUser + 1;
      const evicted: string[] = [];
      if (excess > 0) {
        if (this.options.sessionLimitPolicy === 'deny') {
          throw new SessionAuthError(
            'session_limit_reached',
            'This account has as many sessions as it may: sign out of one first.',
          );
        }
        for (const sessionId of live.slice(0, excess)) {
          const ids = await this.repository.revoke(
            { sessionId, userId },
            'session_limit',
            { type: 'session_evicted', perSession: true, ...client },
            sql,
          );
          evicted.push(...ids);
        }
      }
      // Thrown, it rolls the evictions back: a failed sign-in takes no other session's place.
      if (!(await create(sql))) throw passwordNoLongerCurrent();
      return evicted;
    });
    this.markRevoked(evicted, 'session_limit');
  }

  /**
   * Rotates a presented refresh token. The common case, the live token presented once, is one
   * statement, one round trip and no transaction: an UPDATE done only if the session still names
   * that token as its live one and can be refreshed (it takes the row lock, so it serialises with
   * every other rotation and revocation). Anything else, and a write that lost a race, is decided
   * again under the session's row lock.
   */
  async rotate(presented: Presented, client: ClientInfo): Promise<RotationResult> {
    const now = new Date();
    const successor = this.successorOf(presented, now);
    const row = await this.repository.rotateLive(presented, now, successor);
    if (row) return this.rotated(row, presented, false);
    return this.rotateUnderLock(presented, client);
  }

  /**
   * Decides under the session's row lock. Concurrent calls with one token wait for each other: the
   * first rotates, the rest inside the grace window get the same successor, so a session never
   * forks.
   */
  private async rotateUnderLock(presented: Presented, client: ClientInfo): Promise<RotationResult> {
    const outcome = await this.repository.transaction(async (sql) => {
      const row = await this.repository.lockForRotation(sql, presented.sessionId);
      const now = new Date();
      const decision = this.decide(row, presented, now);

      switch (decision.kind) {
        case 'rotate': {
          const successor = this.successorOf(presented, now);
          const rotated = await this.repository.rotateLive(presented, now, successor, sql);
          // Under the lock, with the decision just taken on the newest row, the write happens.
          if (!rotated) throw new Error('SessionsService: a decided rotation wrote nothing');
          return { kind: 'issued' as const, row: rotated, replayed: false };
        }
        case 'replay':
          // The live token is the successor this predecessor was answered with: the same again.
          return { kind: 'issued' as const, row: row!, replayed: true };
        case 'reuse': {
          const ids = await this.repository.revoke(
            { sessionId: presented.sessionId },
            'refresh_token_reused',
            { type: 'refresh_token_reused', perSession: true, ...client },
            sql,
          );
          return { kind: 'reused' as const, ids };
        }
        case 'reject':
          return { kind: 'rejected' as const, code: decision.code };
      }
    });

    if (outcome.kind === 'reused') {
      this.markRevoked(outcome.ids, 'refresh_token_reused');
      throw new SessionAuthError(
        'refresh_token_reused',
        'This refresh token was already used: the session has been revoked.',
      );
    }
    if (outcome.kind === 'rejected') {
      throw new SessionAuthError(outcome.code, REJECTION_MESSAGES[outcome.code]);
    }
    return this.rotated(outcome.row, presented, outcome.replayed);
  }

  /** The live token of a session row, signed again from what the row keeps of it. */
  private rotated(row: RotationRow, presented: Presented, replayed: boolean): RotationResult {
    const claims: RefreshClaims = {
      userId: presented.userId,
      sessionId: presented.sessionId,
      tokenId: row.current_token_id!,
      issuedAt: seconds(row.current_issued_at),
      expiresAt: seconds(row.expires_at),
    };
    return {
      sessionId: presented.sessionId,
      user: userOf(row),
      refresh: { token: this.refreshTokens.sign(claims), claims },
      absoluteExpiresAt: row.absolute_expires_at,
      persistent: row.persistent,
      authTime: row.auth_time,
      replayed,
    };
  }

  /**
   * A successor's id and its `exp` before the session's absolute end caps it (the database caps
   * it, in the rotation's statement, and the token is signed from the row it returns).
   */
  private successorOf(presented: Presented, now: Date): NewRefreshToken {
    return {
      id: randomUUID(),
      expiresAt: new Date(
        (seconds(now) + Math.floor(this.options.refreshTokenTtlMs / 1000)) * 1000,
      ),
    };
  }

  private decide(row: RotationRow | null, presented: Presented, now: Date) {
    return decideRotation({
      session: row && {
        userId: row.user_id,
        revokedAt: row.revoked_at,
        absoluteExpiresAt: row.absolute_expires_at,
        expiresAt: row.expires_at,
        currentTokenId: row.current_token_id,
        previousTokenId: row.previous_token_id,
        currentIssuedAt: row.current_issued_at,
      },
      presented,
      now,
      graceMs: this.options.refreshReuseGraceMs,
    });
  }

  /**
   * Logout with a genuine refresh token ends its session whatever the token's state (live, used,
   * expired). A used one that a refresh would treat as reuse is recorded as reuse, as a refresh
   * would; any other is a plain logout. Decided under the session's row lock, so that a rotation
   * cannot slip between the decision and the revocation.
   */
  async revokeByRefreshToken(presented: Presented, client: ClientInfo): Promise<void> {
    const revoked = await this.repository.transaction(async (sql) => {
      const row = await this.repository.lockForRotation(sql, presented.sessionId);
      if (!row || row.revoked_at || row.user_id !== presented.userId) return null;
      const reused = this.decide(row, presented, new Date()).kind === 'reuse';
      const reason: RevocationReason = reused ? 'refresh_token_reused' : 'logout';
      const ids = await this.repository.revoke(
        { sessionId: presented.sessionId, userId: presented.userId },
        reason,
        { type: reused ? 'refresh_token_reused' : 'session_revoked', perSession: true, ...client },
        sql,
      );
      return { ids, reason };
    });
    if (revoked) this.markRevoked(revoked.ids, revoked.reason);
  }

  /** Revokes one session of a user (a no-op when it is already revoked). */
  async revokeOne(
    sessionId: string,
    userId: string,
    reason: RevocationReason,
    client: ClientInfo,
  ): Promise<void> {
    await this.revoke({ sessionId, userId }, reason, {
      type: 'session_revoked',
      perSession: true,
      ...client,
    });
  }

  /** Revokes every live session of a user, or every one but `exceptSessionId`. */
  async revokeAllOfUser(
    userId: string,
    reason: RevocationReason,
    eventType: SecurityEventType,
    client: ClientInfo,
    exceptSessionId?: string,
  ): Promise<string[]> {
    return this.revoke({ userId, exceptSessionId }, reason, {
      type: eventType,
      perSession: eventType === 'session_revoked',
      ...client,
    });
  }

  /**
   * Changes the password (`changePassword` writes the new hash) and revokes every other session of
   * the user in one transaction, so that no crash can leave the new password with the old sessions
   * alive; records one `password_changed` naming the caller's session, whether or not there was
   * another. The hash is written first: its row lock waits for every sign-in that proved the old
   * hash and is still creating its session, and the revocation, a later statement, sees those
   * sessions (see SessionsRepository.create).
   */
  async revokeOthersOnPasswordChange(
    userId: string,
    sessionId: string,
    client: ClientInfo,
    changePassword: (sql: Sql) => Promise<void>,
  ): Promise<string[]> {
    const ids = await this.repository.transaction(async (sql) => {
      await changePassword(sql);
      return this.repository.revoke(
        { userId, exceptSessionId: sessionId },
        'password_changed',
        {
          type: 'password_changed',
          perSession: false,
          ...client,
          actor: { userId, sessionId },
        },
        sql,
      );
    });
    this.markRevoked(ids, 'password_changed');
    return ids;
  }

  /**
   * Revokes every session of a user whose account is being deleted, in one transaction with
   * `closeAccount`, which runs first: its write of the user row waits for any sign-in still
   * creating a session, which then either committed (and this revocation sees it) or fails its
   * password re-check (see SessionsRepository.create), as with a password change. Returns one
   * `revocationPropagation` after the commit: the deletion that follows removes the revoked rows,
   * which an instance that missed the notification reads in its catch-up, so they stay until every
   * instance has had its window to read them.
   */
  async revokeAllForAccountDeletion(
    userId: string,
    client: ClientInfo,
    closeAccount: (sql: Sql) => Promise<void>,
  ): Promise<void> {
    const ids = await this.repository.transaction(async (sql) => {
      await closeAccount(sql);
      return this.repository.revoke(
        { userId },
        'account_deleted',
        { type: 'session_revoked', perSession: true, ...client },
        sql,
      );
    });
    this.markRevoked(ids, 'account_deleted');
    await delay(this.options.revocationPropagationMs);
  }

  /**
   * Records that the caller's session proved the password again at `at` (whole seconds: the
   * access tokens' `auth_time`), with a `reauthenticated` event; every later refresh carries it.
   * Returns the session's absolute end; 401 session_revoked when it is no longer live.
   */
  async reauthenticate(
    sessionId: string,
    userId: string,
    at: Date,
    client: ClientInfo,
  ): Promise<{ absoluteExpiresAt: Date; persistent: boolean }> {
    const session = await this.repository.reauthenticate(sessionId, userId, at, client);
    if (!session) {
      throw new SessionAuthError('session_revoked', REJECTION_MESSAGES.session_revoked);
    }
    return session;
  }

  /**
   * For apps with their own users: call it after changing a user's roles (removing one, above all),
   * with the roles the user has now. Access tokens minted before carry the old roles until they
   * expire; from this call on, every instance counts only `roles` for them, within
   * `revocationPropagation` (a granted role shows from the user's next refresh or sign-in). The
   * built-in accounts' role changes announce themselves (UsersRepository.changeRole).
   */
  async rolesChanged(userId: string, roles: string[]): Promise<void> {
    if (this.options.builtinUsers) {
      throw new Error(
        'SessionsService.rolesChanged is for apps with their own users: the built-in accounts announce their role changes themselves',
      );
    }
    if (!isUuid(userId)) throw new TypeError('SessionsService.rolesChanged: userId must be a UUID');
    const change = await this.roleChanges.record(userId, roles);
    // This instance counts the new roles before the call returns; the others from the notification.
    this.revoked.applyRoleChange(change);
  }

  /**
   * The user's live sessions, newest first, as the contract shows them; `currentSessionId` marks
   * the caller's own (null when the caller is not the user, as for an admin).
   */
  async list(userId: string, currentSessionId: string | null): Promise<SessionView[]> {
    const sessions = await this.repository.listLive(userId);
    return sessions.map((session) => toView(session, currentSessionId));
  }

  async findOwned(sessionId: string, userId: string): Promise<Session> {
    const session = isUuid(sessionId) ? await this.repository.findOwned(sessionId, userId) : null;
    if (!session) throw new SessionAuthError('session_not_found', 'There is no such session.');
    return session;
  }

  private async revoke(
    target: RevocationTarget,
    reason: RevocationReason,
    event: RevocationEvent,
  ): Promise<string[]> {
    const ids = await this.repository.revoke(target, reason, event);
    this.markRevoked(ids, reason);
    return ids;
  }

  /**
   * This instance stops honouring the sessions' access tokens before it answers (others within
   * the window, from the notification), and counts them where they were revoked: here.
   */
  private markRevoked(ids: string[], reason: RevocationReason): void {
    this.revoked.add(ids);
    if (ids.length > 0) this.options.observer.sessionsRevoked(reason, ids.length);
  }

  private issue(
    userId: string,
    sessionId: string,
    now: Date,
    absoluteExpiresAt: Date,
  ): IssuedRefreshToken {
    const issuedAt = seconds(now);
    const claims: RefreshClaims = {
      userId,
      sessionId,
      tokenId: randomUUID(),
      issuedAt,
      expiresAt: Math.min(
        issuedAt + Math.floor(this.options.refreshTokenTtlMs / 1000),
        seconds(absoluteExpiresAt),
      ),
    };
    return { token: this.refreshTokens.sign(claims), claims };
  }
}

const REJECTION_MESSAGES = {
  refresh_token_invalid: 'The refresh token is not valid.',
  refresh_token_expired: 'The refresh token has expired: sign in again.',
  session_revoked: 'This session has been revoked: sign in again.',
  session_expired: 'This session has reached its maximum age: sign in again.',
} as const;

/** The verified password hash is no longer the user's (changed meanwhile): no session. */
function passwordNoLongerCurrent(): SessionAuthError {
  return new SessionAuthError('invalid_credentials', 'The email or password is wrong.');
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The live token a new session starts with. */
function toRow(refresh: IssuedRefreshToken): NewRefreshToken {
  return { id: refresh.claims.tokenId, expiresAt: new Date(refresh.claims.expiresAt * 1000) };
}

/** The user the built-in rotation read joined; the app's own users are not in our tables. */
function userOf(row: RotationRow): SessionUser | null {
  if (row.email === undefined) return null;
  return {
    id: row.user_id,
    email: row.email,
    displayName: row.display_name,
    roles: row.roles,
    createdAt: row.user_created_at,
  };
}

function toView(session: Session, currentSessionId: string | null): SessionView {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    absoluteExpiresAt: session.absoluteExpiresAt.toISOString(),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
    device: deviceLabel(session.userAgent),
    persistent: session.persistent,
  };
}
