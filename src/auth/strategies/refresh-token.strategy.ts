import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { SessionAuthError } from '@session-service/nestjs';
import { PresentedRefreshToken, RefreshTokens } from '@session-service/nestjs/internal';
import { presentedRefreshToken } from './extract-token';
import { TokenStrategy } from './token.strategy';

export const REFRESH_STRATEGY = 'jwt-refresh';

/**
 * The refresh token, from the JSON body or the `__Secure-refresh_token` cookie of the browser's own
 * session (the body wins, and is then answered in the body; see presentedRefreshToken). Only the token itself is checked here; whether it may rotate is
 * the session's decision, under its row lock.
 */
@Injectable()
export class RefreshTokenStrategy extends PassportStrategy(TokenStrategy, REFRESH_STRATEGY) {
  constructor(private readonly refreshTokens: RefreshTokens) {
    super({
      extract: (request: FastifyRequest) => presentedRefreshToken(request)?.token ?? null,
      missing: () => new SessionAuthError('refresh_token_missing', 'A refresh token is required.'),
    });
  }

  async validate(request: FastifyRequest, token: string): Promise<PresentedRefreshToken> {
    const claims = await this.refreshTokens.verifyOnce(request, token);
    return { ...claims, raw: token, via: presentedRefreshToken(request)!.via };
  }
}
