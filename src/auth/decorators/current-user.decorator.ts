import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedUser } from '../tokens/token.types';

/**
 * The caller, as the access-token guard verified it. Using it on a route that no guard
 * authenticates is a programming error, and fails loudly.
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser => {
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    if (!user) throw new Error('@CurrentUser() used on a route without an authenticated user');
    return user;
  },
);
