import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { SessionAuthError } from '@session-service/nestjs';
import {
  AccessClaims,
  AccessTokens,
  AuthenticatedUser,
  RevokedSessions,
} from '@session-service/nestjs/internal';
import { accessCredential } from './extract-token';
import { TokenStrategy } from './token.strategy';

export const ACCESS_STRATEGY = 'jwt';

/**
 * The access token, from `Authorization: Bearer` or the `__Host-access_token` cookie, whichever the
 * transport chose for the request (see chooseCredential, which also decided its CSRF check). Reads no
 * database row: the signature, the claims and the in-memory set of revoked sessions decide.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(TokenStrategy, ACCESS_STRATEGY) {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly revoked: RevokedSessions,
  ) {
    super({
      extract: (request: FastifyRequest) => accessCredential(request)?.token ?? null,
      missing: missingToken,
    });
  }

  async validate(request: FastifyRequest, token: string): Promise<AuthenticatedUser> {
    const claims = await this.accessTokens.verify(token);
    return this.accept(claims, accessCredential(request)!.via);
  }

  /**
   * The same extraction and check that Passport runs through `authenticate()`, for the global
   * guard to call directly: on a request whose token is remembered (see AccessTokens), Passport's
   * per-request machinery, and even a chain of awaits, cost more than the check itself, which is
   * then synchronous.
   */
  authenticateRequest(request: FastifyRequest): AuthenticatedUser | Promise<AuthenticatedUser> {
    const credential = accessCredential(request);
    if (!credential) throw missingToken();
    const { token, via } = credential;
    const remembered = this.accessTokens.remembered(token);
    if (remembered) return this.accept(remembered, via);
    return this.accessTokens.verify(token).then((claims) => this.accept(claims, via));
  }

  /**
   * Verified claims are accepted unless their session has been revoked since; of the token's roles,
   * only those the user still has count (a removed role stops at once, a granted one waits for the
   * next refresh). Each request gets its own object, built as one literal (a spread costs more than
   * the rest of a remembered check).
   */
  private accept(claims: AccessClaims, via: AuthenticatedUser['via']): AuthenticatedUser {
    if (this.revoked.has(claims.sessionId)) {
      throw new SessionAuthError('session_revoked', 'This session has been revoked.');
    }
    const current = this.revoked.currentRoles(claims.userId);
    return {
      id: claims.userId,
      sessionId: claims.sessionId,
      roles: current ? claims.roles.filter((role) => current.has(role)) : claims.roles,
      tokenId: claims.tokenId,
      expiresAt: new Date(claims.exp * 1000),
      via,
    };
  }
}

function missingToken(): SessionAuthError {
  return new SessionAuthError('access_token_missing', 'An access token is required.');
}
