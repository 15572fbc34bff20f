import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { SessionAuthError } from '../core/errors';
import { observeRefreshFailure } from '../core/observer';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { SessionCookies } from './cookies';
import { Credentials } from './credentials';
import { httpStatusOf } from './errors/error-status';
import type { HttpRequest, HttpResponse } from './request';
import { ACCESS_STRATEGY, REFRESH_STRATEGY, RefreshTokenStrategy } from './strategies';

/**
 * Puts the verified refresh token on `request.user` for the refresh route. A token refused here
 * (missing, forged, expired) is a refresh outcome too, counted as the rotation's are. The check is
 * RefreshTokenStrategy's, called directly and synchronously rather than through Passport's
 * `AuthGuard`, whose per-request machinery (a context, closures, patched request methods, a chain
 * of awaits) measured 1–4 µs of CPU per refresh over the same check, and kept the rate limiter's
 * verification behind promises.
 */
@Injectable()
export class RefreshTokenGuard implements CanActivate {
  constructor(
    private readonly strategy: RefreshTokenStrategy,
    private readonly sessionAuth: ResolvedSessionAuthOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    try {
      request.user = this.strategy.authenticateRequest(request);
      return true;
    } catch (error) {
      observeRefreshFailure(this.sessionAuth.observer, error);
      throw error;
    }
  }
}

/**
 * Logout takes whichever credential the client still has: a refresh token (body, or the cookie of
 * the browser's own session) when one is sent, otherwise the access token. The route is
 * `@Public()` for the global guard; this guard is what authenticates it.
 */
@Injectable()
export class LogoutGuard implements CanActivate {
  private readonly refresh = new (AuthGuard(REFRESH_STRATEGY))();
  private readonly access = new (AuthGuard(ACCESS_STRATEGY))();

  constructor(
    private readonly credentials: Credentials,
    private readonly cookies: SessionCookies,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const guard = this.credentials.presentedRefreshToken(http.getRequest<HttpRequest>())
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
        this.cookies.clear(http.getResponse<HttpResponse>());
      }
      throw error;
    }
  }
}
