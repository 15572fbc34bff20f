/**
 * The route decorators of both entry points, `.` and `./resource-server`. They set metadata and
 * OpenAPI entries only, and import no strategy and nothing that reaches the database, so that an
 * app that only verifies tokens loads them without typeorm or pg.
 */
import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type Duration, durationMs } from '../core/duration';
import type { AuthenticatedUser } from '../core/types';
import { ErrorResponseDto } from './dto/error-response.dto';
import type { HttpRequest } from './request';

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
