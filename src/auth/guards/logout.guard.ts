import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ACCESS_STRATEGY } from '../strategies/access-token.strategy';
import { presentedRefreshToken } from '../strategies/extract-token';
import { REFRESH_STRATEGY } from '../strategies/refresh-token.strategy';

/**
 * Logout takes whichever credential the client still has: a refresh token (body, or the cookie of
 * the browser's own session) when one is sent, otherwise the access token. The route is
 * `@Public()` for the global guard; this guard is what authenticates it.
 */
@Injectable()
export class LogoutGuard implements CanActivate {
  private readonly refresh = new (AuthGuard(REFRESH_STRATEGY))();
  private readonly access = new (AuthGuard(ACCESS_STRATEGY))();

  canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const guard = presentedRefreshToken(request) ? this.refresh : this.access;
    return guard.canActivate(context) as Promise<boolean>;
  }
}
