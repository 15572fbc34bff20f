import { Injectable } from '@nestjs/common';
import { SessionAuthError, SessionsService } from '@session-service/nestjs';
import { ClientInfo } from '../common/client-info';
import { LoginDto, RegisterDto } from './dto/credentials.dto';
import {
  AccessTokens,
  AuthenticatedUser,
  IssuedRefreshToken,
  LoginLockout,
  PasswordAttempt,
  PresentedRefreshToken,
  SecurityEventType,
  SessionUser,
  UsersService,
} from '@session-service/nestjs/internal';

/** Everything a sign-in, a refresh or a replay hands back to the client. */
export interface IssuedTokens {
  sessionId: string;
  user: SessionUser;
  accessToken: string;
  accessTokenExpiresAt: Date;
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

/** A sign-in: its tokens, and the device cookie that gives this browser its own lockout allowance. */
export interface SignedIn {
  issued: IssuedTokens;
  deviceCookie: string;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokens,
    private readonly lockout: LoginLockout,
  ) {}

  async register(input: RegisterDto, client: ClientInfo): Promise<IssuedTokens> {
    const user = await this.users.register(input, client);
    return this.startSession(user, user.passwordHash, client);
  }

  /**
   * Signs in; a client locked out of the account is refused (429) before its password is even
   * checked. `deviceCookie` is the browser's, if it sent one.
   */
  async login(input: LoginDto, client: ClientInfo, deviceCookie: string | null): Promise<SignedIn> {
    const attempt = await this.lockout.begin(input.email, { ip: client.ip, deviceCookie });
    const user = await this.users.authenticate(input.email, input.password, client);
    if (!user) {
      await this.countFailure(attempt, client);
      throw new SessionAuthError('invalid_credentials', 'The email or password is wrong.');
    }
    await this.lockout.succeeded(attempt);
    const issued = await this.startSession(user, user.passwordHash, client, 'login');
    return { issued, deviceCookie: this.lockout.deviceCookie(attempt) };
  }

  async refresh(presented: PresentedRefreshToken, client: ClientInfo): Promise<IssuedTokens> {
    const rotated = await this.sessions.rotate(presented, client);
    return this.withAccessToken(
      // The built-in accounts always come with the rotation; the fallback only types it.
      rotated.user ?? (await this.users.profile(presented.userId)),
      rotated.sessionId,
      rotated.refresh,
      rotated.absoluteExpiresAt,
    );
  }

  /**
   * Ends the session of the credential presented. A refresh token is checked against its session
   * (a spent one still ends it, and may be reuse); an access token needs no such check.
   */
  logout(principal: AuthenticatedUser | PresentedRefreshToken, client: ClientInfo): Promise<void> {
    if ('raw' in principal) return this.sessions.revokeByRefreshToken(principal, client);
    return this.sessions.revokeOne(principal.sessionId, principal.id, 'logout', client);
  }

  async logoutAll(userId: string, client: ClientInfo): Promise<void> {
    await this.sessions.revokeAllOfUser(userId, 'logout_all', 'logout_all', client);
  }

  /**
   * Changes the password and revokes every other session; the caller's session goes on. A wrong
   * current password counts toward the lockout as a failed sign-in does, so that a stolen access
   * token is no oracle for the password.
   */
  async changePassword(
    userId: string,
    sessionId: string,
    current: string,
    next: string,
    client: ClientInfo,
    deviceCookie: string | null,
  ): Promise<void> {
    const { email } = await this.users.profile(userId);
    const attempt = await this.lockout.begin(email, { ip: client.ip, deviceCookie });
    let change: Awaited<ReturnType<UsersService['preparePasswordChange']>>;
    try {
      change = await this.users.preparePasswordChange(userId, current, next);
    } catch (error) {
      if (error instanceof SessionAuthError && error.reason === 'current_password_invalid') {
        await this.users.recordLoginFailed(userId, client);
        await this.countFailure(attempt, client);
      }
      throw error;
    }
    await this.lockout.succeeded(attempt);
    await this.sessions.revokeOthersOnPasswordChange(userId, sessionId, client, (sql) =>
      this.users.commitPasswordChange(userId, change, sql),
    );
  }

  /** Counts a wrong password; the failure that locks the client out is recorded as such. */
  private async countFailure(attempt: PasswordAttempt, client: ClientInfo): Promise<void> {
    if (await this.lockout.failed(attempt)) {
      await this.users.recordLoginLocked(attempt.email, client);
    }
  }

  /** `passwordHash` is the credential just verified: the session exists only while it is current. */
  private async startSession(
    user: SessionUser,
    passwordHash: string,
    client: ClientInfo,
    eventType?: SecurityEventType,
  ): Promise<IssuedTokens> {
    const started = await this.sessions.start(user.id, passwordHash, client, eventType);
    return this.withAccessToken(user, started.sessionId, started, started.absoluteExpiresAt);
  }

  private async withAccessToken(
    user: SessionUser,
    sessionId: string,
    refresh: IssuedRefreshToken,
    sessionEndsAt: Date,
  ): Promise<IssuedTokens> {
    const access = this.accessTokens.sign({
      userId: user.id,
      sessionId,
      roles: user.roles,
      sessionEndsAt,
    });
    return {
      sessionId,
      user,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      expiresIn: access.expiresIn,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: new Date(refresh.claims.expiresAt * 1000),
    };
  }
}
