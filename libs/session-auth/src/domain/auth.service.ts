import { Inject, Injectable, Optional } from '@nestjs/common';
import { SessionAuthError } from '../core/errors';
import { observeLoginFailure, observeRefreshFailure } from '../core/observer';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import type {
  AuthenticatedUser,
  ClientInfo,
  IssuedRefreshToken,
  PresentedRefreshToken,
  SessionUser,
} from '../core/types';
import { SESSION_AUTH_USERS, type SessionAuthUsers } from '../core/users';
import {
  SECURITY_EVENT_TYPES,
  type SecurityEventType,
} from '../persistence/entities/security-event.entity';
import { SecurityEventsRepository } from '../persistence/security-events.repository';
import { UsersService } from '../users/builtin/users.service';
import { LoginLockout, type PasswordAttempt } from './limits/login-lockout';
import { SessionsService } from './sessions/sessions.service';
import { AccessTokens } from './tokens/access-tokens';

export { SECURITY_EVENT_TYPES, type SecurityEventType };

/** Everything a sign-in, a refresh or a replay hands back to the client. */
export interface IssuedTokens {
  sessionId: string;
  user: SessionUser;
  accessToken: string;
  accessTokenExpiresAt: Date;
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  /** False for a session begun with `rememberMe: false`: cookies that end with the browser. */
  persistent: boolean;
}

/** A sign-in: its tokens, and the device cookie that gives this browser its own lockout allowance. */
export interface SignedIn {
  issued: IssuedTokens;
  deviceCookie: string;
}

/** A session's password proved again: a fresh access token whose `auth_time` is now. */
export interface Reauthenticated {
  accessToken: string;
  accessTokenExpiresAt: Date;
  expiresIn: number;
  authTime: Date;
  /** False for a session begun with `rememberMe: false`: its cookies end with the browser. */
  persistent: boolean;
}

/** One entry of a user's security history, as `GET /users/me/security-events` shows it. */
export interface SecurityEventView {
  type: SecurityEventType;
  at: string;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Sign-in, refresh, sign-out and password change: the accounts (built-in, or the app's own through
 * `SessionAuthUsers`), the sessions, the tokens and the lockout together. Knows no HTTP.
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    @Inject(SESSION_AUTH_USERS) private readonly users: SessionAuthUsers,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokens,
    private readonly lockout: LoginLockout,
    private readonly events: SecurityEventsRepository,
    /** Present with the built-in accounts only. */
    @Optional() @Inject(UsersService) private readonly builtin: UsersService | null,
  ) {}

  /** Built-in accounts only: creates the account and signs in. */
  async register(
    input: { email: string; password: string; displayName?: string | null; rememberMe?: boolean },
    client: ClientInfo,
  ): Promise<IssuedTokens> {
    const user = await this.builtinUsers().register(input, client);
    return this.startSession(user, user.passwordHash, client, input.rememberMe ?? true);
  }

  /**
   * Signs in; a client locked out of the account is refused (429) before its password is even
   * checked. `deviceCookie` is the browser's, if it sent one.
   */
  async login(
    input: { email: string; password: string; rememberMe?: boolean },
    client: ClientInfo,
    deviceCookie: string | null,
  ): Promise<SignedIn> {
    try {
      const signedIn = await this.signIn(input, client, deviceCookie);
      this.options.observer.login('success');
      return signedIn;
    } catch (error) {
      observeLoginFailure(this.options.observer, error);
      throw error;
    }
  }

  private async signIn(
    input: { email: string; password: string; rememberMe?: boolean },
    client: ClientInfo,
    deviceCookie: string | null,
  ): Promise<SignedIn> {
    const attempt = await this.lockout.begin(input.email, { ip: client.ip, deviceCookie });
    const verified = await this.users.verifyCredentials(input.email, input.password, client);
    if (!verified) {
      await this.countFailure(attempt, client);
      throw new SessionAuthError('invalid_credentials', 'The email or password is wrong.');
    }
    await this.lockout.succeeded(attempt);
    // The built-in accounts bind the session to the password hash just verified (see
    // SessionsService.start); the app's own accounts answer for their own password changes.
    const passwordHash = this.builtin
      ? (verified as unknown as { passwordHash: string }).passwordHash
      : null;
    const issued = await this.startSession(
      verified,
      passwordHash,
      client,
      input.rememberMe ?? true,
      'login',
    );
    return { issued, deviceCookie: this.lockout.deviceCookie(attempt) };
  }

  async refresh(presented: PresentedRefreshToken, client: ClientInfo): Promise<IssuedTokens> {
    try {
      const rotated = await this.sessions.rotate(presented, client);
      const user = rotated.user ?? (await this.users.findById(presented.userId));
      if (!user) throw new SessionAuthError('session_revoked', 'This account no longer exists.');
      const issued = this.withAccessToken(user, rotated.sessionId, rotated.refresh, rotated);
      this.options.observer.refresh(rotated.replayed ? 'replayed' : 'rotated');
      return issued;
    } catch (error) {
      observeRefreshFailure(this.options.observer, error);
      throw error;
    }
  }

  /**
   * Ends the session of the credential presented. A refresh token is checked against its session
   * (a spent one still ends it, and may be reuse); an access token needs no such check.
   */
  logout(principal: AuthenticatedUser | PresentedRefreshToken, client: ClientInfo): Promise<void> {
    if ('raw' in principal) return this.sessions.revokeByRefreshToken(principal, client);
    return this.sessions.revokeOne(principal.sessionId, principal.id, 'logout', client);
  }

  /**
   * Changes the password and revokes every other session; the caller's session goes on. A wrong
   * current password counts toward the lockout as a failed sign-in does, so that a stolen access
   * token is no oracle for the password.
   */
  async changePassword(
    user: AuthenticatedUser,
    current: string,
    next: string,
    client: ClientInfo,
    deviceCookie: string | null,
  ): Promise<void> {
    const { email } = await this.profile(user.id);
    const attempt = await this.lockout.begin(email, { ip: client.ip, deviceCookie });
    const wrongPassword = async (): Promise<never> => {
      await this.events.record({ userId: user.id, type: 'login_failed', ...client });
      await this.countFailure(attempt, client);
      throw new SessionAuthError(
        'current_password_invalid',
        'The current password is not correct.',
      );
    };
    if (!this.builtin) {
      if (!(await this.users.changePassword!(user.id, current, next))) await wrongPassword();
      await this.lockout.succeeded(attempt);
      await this.sessions.revokeOthersOnPasswordChange(user.id, user.sessionId, client, () =>
        Promise.resolve(),
      );
      return;
    }
    const builtin = this.builtin;
    let change: Awaited<ReturnType<UsersService['preparePasswordChange']>>;
    try {
      change = await builtin.preparePasswordChange(user.id, current, next);
    } catch (error) {
      if (error instanceof SessionAuthError && error.reason === 'current_password_invalid') {
        await wrongPassword();
      }
      throw error;
    }
    await this.lockout.succeeded(attempt);
    await this.sessions.revokeOthersOnPasswordChange(user.id, user.sessionId, client, (sql) =>
      builtin.commitPasswordChange(user.id, change, sql),
    );
  }

  /**
   * Proves the password again for the caller's session (step-up): a new access token with
   * `auth_time` now, which every later refresh of the session carries. A wrong password is 403
   * and counts toward the lockout as a failed sign-in does; a locked-out client gets 429 first.
   */
  async reauthenticate(
    user: AuthenticatedUser,
    password: string,
    client: ClientInfo,
    deviceCookie: string | null,
  ): Promise<Reauthenticated> {
    const profile = await this.profile(user.id);
    const attempt = await this.lockout.begin(profile.email, { ip: client.ip, deviceCookie });
    if (!(await this.users.verifyPassword!(user.id, password))) {
      await this.events.record({
        userId: user.id,
        type: 'login_failed',
        sessionId: user.sessionId,
        ...client,
      });
      await this.countFailure(attempt, client);
      throw new SessionAuthError('current_password_invalid', 'The password is not correct.');
    }
    await this.lockout.succeeded(attempt);
    // Whole seconds, as the claim carries it: the answer's authTime is the token's auth_time.
    const authTime = new Date(Math.floor(Date.now() / 1000) * 1000);
    const session = await this.sessions.reauthenticate(user.sessionId, user.id, authTime, client);
    const access = this.accessTokens.sign({
      userId: user.id,
      sessionId: user.sessionId,
      roles: profile.roles,
      sessionEndsAt: session.absoluteExpiresAt,
      authTime,
    });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      expiresIn: access.expiresIn,
      authTime,
      persistent: session.persistent,
    };
  }

  /**
   * Built-in accounts only: deletes the caller's account. Every session is revoked first and that
   * revocation reaches every instance before the account's rows go (see
   * SessionsService.revokeAllForAccountDeletion); then the email can register again.
   */
  deleteAccount(user: AuthenticatedUser, client: ClientInfo): Promise<void> {
    return this.builtinUsers().deleteAccount(user.id, (close) =>
      this.sessions.revokeAllForAccountDeletion(user.id, client, close),
    );
  }

  /** The account's current profile; 404 once it no longer exists. */
  async profile(userId: string): Promise<SessionUser> {
    const user = await this.users.findById(userId);
    if (!user) throw new SessionAuthError('not_found', 'This account no longer exists.');
    return user;
  }

  /** The user's last 50 security events, newest first. */
  async securityEvents(userId: string): Promise<SecurityEventView[]> {
    return (await this.events.latestForUser(userId, 50)).map((event) => ({
      type: event.type,
      at: event.at.toISOString(),
      sessionId: event.sessionId,
      ip: event.ip,
      userAgent: event.userAgent,
    }));
  }

  /** Counts a wrong password; the failure that locks the client out is recorded as such. */
  private async countFailure(attempt: PasswordAttempt, client: ClientInfo): Promise<void> {
    if ((await this.lockout.failed(attempt)) && this.builtin) {
      await this.builtin.recordLoginLocked(attempt.email, client);
    }
  }

  private builtinUsers(): UsersService {
    if (!this.builtin) throw new Error('Registration belongs to the built-in accounts.');
    return this.builtin;
  }

  /** `passwordHash` is the credential just verified: the session exists only while it is current. */
  private async startSession(
    user: SessionUser,
    passwordHash: string | null,
    client: ClientInfo,
    persistent: boolean,
    eventType?: SecurityEventType,
  ): Promise<IssuedTokens> {
    const started = await this.sessions.start(
      user.id,
      passwordHash as string,
      client,
      eventType,
      persistent,
    );
    return this.withAccessToken(user, started.sessionId, started, { ...started, persistent });
  }

  private withAccessToken(
    user: SessionUser,
    sessionId: string,
    refresh: IssuedRefreshToken,
    session: { absoluteExpiresAt: Date; authTime: Date; persistent: boolean },
  ): IssuedTokens {
    const access = this.accessTokens.sign({
      userId: user.id,
      sessionId,
      roles: user.roles,
      sessionEndsAt: session.absoluteExpiresAt,
      authTime: session.authTime,
    });
    return {
      sessionId,
      user,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      expiresIn: access.expiresIn,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: new Date(refresh.claims.expiresAt * 1000),
      persistent: session.persistent,
    };
  }
}
