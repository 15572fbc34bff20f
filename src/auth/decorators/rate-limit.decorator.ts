import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/errors/error-response.dto';

export const RATE_LIMIT_KEY = 'auth:rateLimit';

/**
 * How a route is counted against AUTH_RATE_LIMIT: `request` counts every request; `refresh`
 * counts each refresh token once, so that replays of one token inside its grace window (two tabs,
 * a retry) are never limited.
 */
export type RateLimitKind = 'request' | 'refresh';

/** Puts the route under AUTH_RATE_LIMIT per client address, counted apart from other routes. */
export function RateLimit(kind: RateLimitKind = 'request'): MethodDecorator {
  return applyDecorators(
    SetMetadata(RATE_LIMIT_KEY, kind),
    ApiTooManyRequestsResponse({
      type: ErrorResponseDto,
      description: 'too_many_requests, with Retry-After: AUTH_RATE_LIMIT per client address',
    }),
  );
}
