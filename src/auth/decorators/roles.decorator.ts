import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/errors/error-response.dto';
import { Auth } from './auth.decorator';

export const ROLES_KEY = 'auth:roles';

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
