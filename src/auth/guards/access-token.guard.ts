import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { AccessTokenStrategy } from '../strategies/access-token.strategy';
import type { AuthenticatedUser } from '@session-service/nestjs/internal';

/**
 * The global guard: every route needs a valid access token unless marked `@Public()`. It asks the
 * `jwt` strategy directly rather than through Passport's `authenticate()`, which on every request
 * built closures, a strategy object and promises that cost more than the remembered-token check,
 * synchronous (see AccessTokenStrategy.authenticateRequest); other guards still use Passport.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: AccessTokenStrategy,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context
      .switchToHttp()
      .getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    const user = this.strategy.authenticateRequest(request);
    if (user instanceof Promise) {
      return user.then((verified) => {
        request.user = verified;
        return true;
      });
    }
    request.user = user;
    return true;
  }
}
