import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type Duration, durationMs } from '../core/duration';
import { SessionAuthError } from '../core/errors';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import type { AuthenticatedUser } from '../core/types';
import { ErrorResponseDto } from './dto/error-response.dto';
import { contractBodyOf, SessionAuthHttpException } from './errors/contract-body';
import { headerOf, type HttpRequest, type HttpResponse } from './request';
import { AccessTokenStrategy } from './strategies';

/** The metadata the decorators set, for tools that list who may call which route. */
export const IS_PUBLIC_KEY = 'session-auth:public';
export const NEEDS_AUTH_KEY = 'session-auth:auth';
export const ROLES_KEY = 'session-auth:roles';
export const RECENT_AUTH_KEY = 'session-auth:recent-auth';

/** What `@RecentAuth()` stores: its own maximum age, or none for the module's `reauthMaxAge`. */
export interface RecentAuthRequirement {
  maxAgeMs?: number;
}

/** The OpenAPI security schemes the library's routes name: the app's document defines them. */
export const BEARER_SCHEME = 'bearer';
export const ACCESS_COOKIE_SCHEME = 'access-cookie';

/** Opens a route (or a whole controller) to callers without an access token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * The route needs a valid access token (Bearer or the access cookie). With `globalGuard: true`
 * every route does already, and this documents it; with `false` it is what closes the route.
 */
export function Auth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(NEEDS_AUTH_KEY, true),
    ApiBearerAuth(BEARER_SCHEME),
    ApiCookieAuth(ACCESS_COOKIE_SCHEME),
    ApiUnauthorizedResponse({
      type: ErrorResponseDto,
      description:
        'access_token_missing, access_token_invalid, access_token_expired or session_revoked',
    }),
  );
}

/** Requires an access token whose `roles` include at least one of these. */
export function Roles(...roles: string[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    Auth(),
    ApiForbiddenResponse({
      type: ErrorResponseDto,
      description: `forbidden: needs ${roles.join(' or ')}`,
    }),
  );
}

/**
 * Requires an access token whose session proved the password (sign-in or `POST
 * /auth/reauthenticate`) within `maxAge`, by default the module's `reauthMaxAge`; an older one is
 * answered 401 `reauthentication_required` with RFC 9470's challenge, whose `max_age` tells the
 * client how recent it must be. A bad `maxAge` fails at start, not on a request.
 */
export function RecentAuth(maxAge?: Duration): MethodDecorator & ClassDecorator {
  const maxAgeMs = maxAge === undefined ? undefined : durationMs(maxAge);
  if (maxAgeMs === null || (maxAgeMs !== undefined && maxAgeMs < 1_000)) {
    throw new TypeError(`@RecentAuth(): ${String(maxAge)} is not a duration of 1s or more`);
  }
  return applyDecorators(
    SetMetadata(RECENT_AUTH_KEY, { maxAgeMs } satisfies RecentAuthRequirement),
    Auth(),
    ApiUnauthorizedResponse({
      type: ErrorResponseDto,
      description:
        'access_token_missing, access_token_invalid, access_token_expired, session_revoked, or ' +
        'reauthentication_required: `WWW-Authenticate: Bearer error="insufficient_user_authentication", ' +
        'max_age=…`; prove the password with POST /auth/reauthenticate and retry',
    }),
  );
}

/**
 * A request the guard let through: `@Req() request: AuthenticatedRequest` reads the same user as
 * `@CurrentUser()`. Nest runs the global pipes on every custom parameter decorator, which costs a
 * very hot route a few microseconds; such a route may take the request instead.
 */
export type AuthenticatedRequest = HttpRequest & { user: AuthenticatedUser };

/**
 * The caller, as the guard verified it. Using it on a route that no guard authenticates is a
 * programming error, and fails loudly.
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser => {
    const user = context.switchToHttp().getRequest<HttpRequest>().user;
    if (!user) throw new Error('@CurrentUser() used on a route without an authenticated user');
    return user as AuthenticatedUser;
  },
);

/**
 * The one guard of the app's routes: `@Public()` passes; otherwise (every route with
 * `globalGuard`, else only those marked `@Auth()`, `@Roles()` or `@RecentAuth()`) the access token
 * is verified, then the roles checked, then how recent its authentication is. A refusal is Nest's own HttpException with the contract's body and headers,
 * so the app needs no filter of ours to answer in our shape.
 */
@Injectable()
export class SessionAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: AccessTokenStrategy,
    private readonly options: ResolvedSessionAuthOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    if (
      !this.options.globalGuard &&
      !this.reflector.getAllAndOverride<boolean>(NEEDS_AUTH_KEY, targets)
    ) {
      return true;
    }
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, targets);
    const recent = this.reflector.getAllAndOverride<RecentAuthRequirement | undefined>(
      RECENT_AUTH_KEY,
      targets,
    );
    const request = context.switchToHttp().getRequest<HttpRequest>();
    try {
      const user = this.strategy.authenticateRequest(request);
      if (user instanceof Promise) {
        return user
          .then((verified) => this.admit(request, verified, roles, recent))
          .catch((error: unknown) => this.refuse(context, error));
      }
      return this.admit(request, user, roles, recent);
    } catch (error) {
      return this.refuse(context, error);
    }
  }

  private admit(
    request: HttpRequest,
    user: AuthenticatedUser,
    roles?: string[],
    recent?: RecentAuthRequirement,
  ): true {
    request.user = user;
    if (roles?.length && !roles.some((role) => user.roles.includes(role))) {
      throw new SessionAuthError('forbidden', 'You are not allowed to do this.');
    }
    if (recent) {
      const maxAgeMs = recent.maxAgeMs ?? this.options.reauthMaxAgeMs;
      if (Date.now() - user.authTime.getTime() > maxAgeMs) {
        throw new SessionAuthError(
          'reauthentication_required',
          'This needs a recent sign-in: prove your password again.',
          { maxAgeSeconds: Math.floor(maxAgeMs / 1000) },
        );
      }
    }
    return true;
  }

  /** Sets the answer's headers (WWW-Authenticate, Cache-Control) and throws it as Nest's own. */
  private refuse(context: ExecutionContext, error: unknown): never {
    if (!(error instanceof SessionAuthError)) throw error;
    const http = context.switchToHttp();
    const answer = contractBodyOf(error, headerOf(http.getRequest<HttpRequest>(), 'authorization'));
    const response = http.getResponse<HttpResponse>();
    for (const [name, value] of Object.entries(answer.headers)) {
      this.adapterHost.httpAdapter.setHeader(response, name, value);
    }
    throw new SessionAuthHttpException(answer);
  }
}
