import { httpStatusOf } from '@session-service/nestjs/internal';
import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionAuthError } from '@session-service/nestjs';
import { ACCESS_STRATEGY } from '../strategies/access-token.strategy';
import { presentedRefreshToken } from '../strategies/extract-token';
import { REFRESH_STRATEGY } from '../strategies/refresh-token.strategy';
import { clearSessionCookies } from '../transport/cookies';

/**
 * Logout takes whichever credential the client still has: a refresh token (body, or the cookie of
 * the browser's own session) when one is sent, otherwise the access token. The route is
 * `@Public()` for the global guard; this guard is what authenticates it.
 */
@Injectable()
export class LogoutGuard implements CanActivate {
  private readonly refresh = new (AuthGuard(REFRESH_STRATEGY))();
  private readonly access = new (AuthGuard(ACCESS_STRATEGY))();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const guard = presentedRefreshToken(http.getRequest<FastifyRequest>())
      ? this.refresh
      : this.access;
    try {
      return (await guard.canActivate(context)) as boolean;
    } catch (error) {
      // A client that asks to sign out with a credential that is expired, revoked or forged has
      // no session to end here, and must end up signed out all the same.
      if (
        error instanceof SessionAuthError &&
        httpStatusOf(error.reason) === HttpStatus.UNAUTHORIZED
      ) {
        clearSessionCookies(http.getResponse<FastifyReply>());
      }
      throw error;
    }
  }
}
