import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../common/errors/app-error';
import { RevokedSessions } from '../../sessions/revoked-sessions.service';
import { TokenService } from '../tokens/token.service';
import { AuthenticatedUser } from '../tokens/token.types';
import { ACCESS_COOKIE, bearerToken, cookie } from './extract-token';
import { TokenStrategy } from './token.strategy';

export const ACCESS_STRATEGY = 'jwt';

/**
 * The access token, from `Authorization: Bearer` or the `__Host-access_token` cookie. Reads no
 * database row: the signature, the claims and the in-memory set of revoked sessions decide.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(TokenStrategy, ACCESS_STRATEGY) {
  constructor(
    private readonly tokens: TokenService,
    private readonly revoked: RevokedSessions,
  ) {
    super({
      extract: (request: FastifyRequest) => bearerToken(request) ?? cookie(request, ACCESS_COOKIE),
      missing: () => AppError.unauthorized('access_token_missing', 'An access token is required.'),
    });
  }

  async validate(request: FastifyRequest, token: string): Promise<AuthenticatedUser> {
    const claims = await this.tokens.verifyAccessToken(token);
    if (this.revoked.has(claims.sessionId)) {
      throw AppError.unauthorized('session_revoked', 'This session has been revoked.');
    }
    return { ...claims, id: claims.userId, via: bearerToken(request) ? 'bearer' : 'cookie' };
  }
}
