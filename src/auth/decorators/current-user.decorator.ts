import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '@session-service/nestjs/internal';

/**
 * A request the access-token guard let through: `@Req() request: AuthenticatedRequest` reads the
 * same user as `@CurrentUser()`. Nest runs the global pipes on every custom parameter decorator,
 * an async chain that cost a remembered-token request about 5 µs of its 60 here; a very hot route
 * (GET /auth/me) takes the request instead.
 */
export type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

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
