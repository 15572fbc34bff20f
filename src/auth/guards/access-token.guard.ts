import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { ACCESS_STRATEGY } from '../strategies/access-token.strategy';

/** The global guard: every route needs a valid access token unless marked `@Public()`. */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic ? true : (super.canActivate(context) as Promise<boolean>);
  }
}
