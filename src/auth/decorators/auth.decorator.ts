import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/errors/error-response.dto';
import { ACCESS_COOKIE_SCHEME, BEARER_SCHEME } from '../../docs/swagger';

/**
 * Documents a route as needing an access token (Bearer or the access cookie). Every route is
 * closed by the global guard anyway; this keeps the OpenAPI document truthful about it.
 */
export function Auth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiCookieAuth(ACCESS_COOKIE_SCHEME),
    ApiUnauthorizedResponse({
      type: ErrorResponseDto,
      description:
        'access_token_missing, access_token_invalid, access_token_expired or session_revoked',
    }),
  );
}
