import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SessionAuthError } from '@session-service/nestjs';
import { ROLES_KEY } from '../decorators/roles.decorator';
import type { AuthenticatedUser } from '@session-service/nestjs/internal';

/** Runs after the access-token guard; enforces `@Roles(...)` from the verified token's claims. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required?.length) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw new SessionAuthError('forbidden', 'You are not allowed to do this.');
  }
}
