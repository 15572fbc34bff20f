import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { SessionAuthError } from '../core/errors';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { RateLimiter } from '../domain/limits/rate-limit';
import { RefreshTokens } from '../domain/tokens/refresh-tokens';
import { clientAddress } from './client-address';
import { Credentials } from './credentials';
import { ErrorResponseDto } from './dto/error-response.dto';
import { type HttpRequest, type HttpResponse, nodeResponse } from './request';

const RATE_LIMIT_KEY = 'session-auth:rateLimit';

type Handler = ReturnType<ExecutionContext['getHandler']>;

/**
 * How a route is counted against `authRateLimit`: `request` counts every request; `login` too,
 * and a refusal is a sign-in outcome (`rate_limited`) for the observer; `refresh` counts each
 * refresh token once, so that replays of one token inside its grace window (two tabs, a retry)
 * are never limited.
 */
export type RateLimitKind = 'request' | 'login' | 'refresh';

/** Puts the route under `authRateLimit` per client address, counted apart from other routes. */
export function RateLimit(kind: RateLimitKind = 'request'): MethodDecorator {
  return applyDecorators(
    SetMetadata(RATE_LIMIT_KEY, kind),
    ApiTooManyRequestsResponse({
      type: ErrorResponseDto,
      description: 'too_many_requests, with Retry-After: AUTH_RATE_LIMIT per client address',
    }),
  );
}

/**
 * Applies `@RateLimit()`. Registered globally before the authentication guard, so that every
 * request counts, authenticated or not; routes without the decorator pass untouched. The client
 * address is the platform's (`request.ip`, which follows X-Forwarded-For only as far as the app's
 * trust-proxy setting allows).
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** Each handler's `@RateLimit()` kind (null: none), read once: the guard runs on every request. */
  private readonly kinds = new Map<object, RateLimitKind | null>();

  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    private readonly refreshTokens: RefreshTokens,
    private readonly credentials: Credentials,
    private readonly options: ResolvedSessionAuthOptions,
  ) {}

  /** Synchronous for the routes without `@RateLimit()`: most requests need no await here. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const kind = this.kindOf(context.getHandler());
    return kind ? this.limit(context, kind) : true;
  }

  private kindOf(handler: Handler): RateLimitKind | null {
    let kind = this.kinds.get(handler);
    if (kind === undefined) {
      kind = this.reflector.get<RateLimitKind | undefined>(RATE_LIMIT_KEY, handler) ?? null;
      this.kinds.set(handler, kind);
    }
    return kind;
  }

  private async limit(context: ExecutionContext, kind: RateLimitKind): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const route = `${context.getClass().name}.${context.getHandler().name}`;
    const address = clientAddress(request);
    const tokenId = kind === 'refresh' ? this.presentedRefreshTokenId(request) : null;
    if (!tokenId) {
      try {
        await this.limiter.count(route, address);
      } catch (error) {
        if (kind === 'login' && isRateLimited(error)) this.options.observer.login('rate_limited');
        throw error;
      }
      return true;
    }
    const claim = await this.limiter.countRefresh(route, address, tokenId);
    const response = nodeResponse(http.getResponse<HttpResponse>());
    // A 5xx keeps the claim: a retry may yet succeed.
    response.once('finish', () => {
      if (response.statusCode >= 400 && response.statusCode < 500) this.limiter.releaseClaim(claim);
    });
    return true;
  }

  /** The jti of a genuine, unexpired refresh token in the request; null for anything else. */
  private presentedRefreshTokenId(request: HttpRequest): string | null {
    try {
      const token = this.credentials.presentedRefreshToken(request)?.token;
      if (!token) return null;
      const claims = this.refreshTokens.verifyOnce(request, token);
      return claims.expired ? null : claims.tokenId;
    } catch {
      return null;
    }
  }
}

function isRateLimited(error: unknown): boolean {
  return error instanceof SessionAuthError && error.reason === 'too_many_requests';
}
