import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';
import { SessionAuthError } from '../core/errors';
import type { AuthenticatedUser, PresentedRefreshToken } from '../core/types';
import { RevokedSessions } from '../domain/sessions/revoked-sessions';
import type { AccessClaims } from '../domain/tokens/access-claims';
import { AccessTokens } from '../domain/tokens/access-tokens';
import { RefreshTokens } from '../domain/tokens/refresh-tokens';
import { Credentials } from './credentials';
import type { HttpRequest } from './request';

/** The Passport names of the two strategies, for `AuthGuard('jwt')` in an app's own guards. */
export const ACCESS_STRATEGY = 'jwt';
export const REFRESH_STRATEGY = 'jwt-refresh';

type Done = (error: unknown, user?: unknown) => void;
type Verify = (request: unknown, token: string, done: Done) => void;

interface TokenStrategyOptions {
  /** Finds the token in the request, or returns null (then `missing` is raised). */
  extract(request: HttpRequest): string | null;
  missing(): Error;
}

/**
 * A Passport strategy that extracts a token and hands it to `validate()`; the verification itself
 * (pinned algorithm, `typ`, issuer, audience, `kid`) is AccessTokens' and RefreshTokens'. Failures
 * travel as errors carrying the contract's code, so that the guard can answer with it.
 */
class TokenStrategy extends Strategy {
  constructor(
    private readonly options: TokenStrategyOptions,
    private readonly verifyToken: Verify,
  ) {
    super();
  }

  override authenticate(request: unknown): void {
    let token: string | null;
    try {
      token = this.options.extract(request as HttpRequest);
    } catch (error) {
      this.error(error as Error);
      return;
    }
    if (!token) {
      this.error(this.options.missing());
      return;
    }
    this.verifyToken(request, token, (error, user) => {
      if (error || !user) this.error(error instanceof Error ? error : this.options.missing());
      else this.success(user);
    });
  }
}

/**
 * The access token, from `Authorization: Bearer` or the `__Host-access_token` cookie, whichever
 * the transport chose for the request (see Credentials, which also decided its CSRF check). Reads
 * no database row: the signature, the claims and the in-memory set of revoked sessions decide.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(TokenStrategy, ACCESS_STRATEGY) {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly revoked: RevokedSessions,
    private readonly credentials: Credentials,
  ) {
    super({
      extract: (request: HttpRequest) => credentials.access(request)?.token ?? null,
      missing: missingAccessToken,
    });
  }

  async validate(request: HttpRequest, token: string): Promise<AuthenticatedUser> {
    const claims = await this.accessTokens.verify(token);
    return this.accept(claims, this.credentials.access(request)!.via);
  }

  /**
   * The same extraction and check that Passport runs through `authenticate()`, for the guard to
   * call directly: on a request whose token is remembered (see AccessTokens), Passport's
   * per-request machinery, and even a chain of awaits, cost more than the check itself, which is
   * then synchronous.
   */
  authenticateRequest(request: HttpRequest): AuthenticatedUser | Promise<AuthenticatedUser> {
    const credential = this.credentials.access(request);
    if (!credential) throw missingAccessToken();
    const { token, via } = credential;
    const remembered = this.accessTokens.remembered(token);
    if (remembered) return this.accept(remembered, via);
    return this.accessTokens.verify(token).then((claims) => this.accept(claims, via));
  }

  /**
   * Verified claims are accepted unless their session has been revoked since, or every session
   * was revoked after they were issued (one comparison, however many sessions that ended); of the
   * token's roles, only those the user still has count (a removed role stops at once, a granted
   * one waits for the next refresh). Each request gets its own object, built as one literal (a
   * spread costs more than the rest of a remembered check).
   */
  private accept(claims: AccessClaims, via: AuthenticatedUser['via']): AuthenticatedUser {
    if (claims.iat < this.revoked.notBefore || this.revoked.has(claims.sessionId)) {
      throw new SessionAuthError('session_revoked', 'This session has been revoked.');
    }
    const current = this.revoked.currentRoles(claims.userId);
    return {
      id: claims.userId,
      sessionId: claims.sessionId,
      roles: current ? claims.roles.filter((role) => current.has(role)) : claims.roles,
      tokenId: claims.tokenId,
      expiresAt: new Date(claims.exp * 1000),
      authTime: new Date(claims.authTime * 1000),
      via,
    };
  }
}

/**
 * The refresh token, from the JSON body or the `__Secure-refresh_token` cookie of the browser's
 * own session (the body wins, and is then answered in the body). Only the token itself is checked
 * here; whether it may rotate is the session's decision, under its row lock.
 */
@Injectable()
export class RefreshTokenStrategy extends PassportStrategy(TokenStrategy, REFRESH_STRATEGY) {
  constructor(
    private readonly refreshTokens: RefreshTokens,
    private readonly credentials: Credentials,
  ) {
    super({
      extract: (request: HttpRequest) => credentials.presentedRefreshToken(request)?.token ?? null,
      missing: missingRefreshToken,
    });
  }

  async validate(request: HttpRequest, token: string): Promise<PresentedRefreshToken> {
    return this.present(request, token, this.credentials.presentedRefreshToken(request)!.via);
  }

  /**
   * The same extraction and check that Passport runs through `authenticate()`, for the refresh
   * guard to call directly: the check is an HMAC, and Passport's per-request machinery (a context,
   * closures, patched request methods, a chain of awaits) cost more than the check itself.
   */
  authenticateRequest(request: HttpRequest): PresentedRefreshToken {
    const presented = this.credentials.presentedRefreshToken(request);
    if (!presented) throw missingRefreshToken();
    return this.present(request, presented.token, presented.via);
  }

  private present(
    request: HttpRequest,
    token: string,
    via: PresentedRefreshToken['via'],
  ): PresentedRefreshToken {
    const claims = this.refreshTokens.verifyOnce(request, token);
    return {
      userId: claims.userId,
      sessionId: claims.sessionId,
      tokenId: claims.tokenId,
      issuedAt: claims.issuedAt,
      expiresAt: claims.expiresAt,
      expired: claims.expired,
      raw: token,
      via,
    };
  }
}

function missingRefreshToken(): SessionAuthError {
  return new SessionAuthError('refresh_token_missing', 'A refresh token is required.');
}

function missingAccessToken(): SessionAuthError {
  return new SessionAuthError('access_token_missing', 'An access token is required.');
}
