import { CanActivate, ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { SessionAuthError } from '../core/errors';
import type { AuthenticatedUser } from '../core/types';
import {
  IS_PUBLIC_KEY,
  NEEDS_AUTH_KEY,
  RECENT_AUTH_KEY,
  type RecentAuthRequirement,
  ROLES_KEY,
} from './decorators';
import { contractBodyOf, SessionAuthHttpException } from './errors/contract-body';
import { headerOf, type HttpRequest, type HttpResponse } from './request';

/**
 * Who a request's access token says is calling, or a SessionAuthError saying why not. Synchronous
 * when it can be: on a token verified before, even one await costs more than the check itself.
 */
export interface RequestAuthenticator {
  authenticateRequest(request: HttpRequest): AuthenticatedUser | Promise<AuthenticatedUser>;
}

/**
 * What the guards of both entry points decide alike: `@Public()` passes; otherwise (every route
 * with `globalGuard`, else only those marked `@Auth()`, `@Roles()` or `@RecentAuth()`) the entry
 * point's authenticator checks the request, then the roles are checked, then how recent its
 * authentication is. A refusal is Nest's own HttpException with the
 * contract's body and headers, so the app needs no filter of ours to answer in our shape.
 */
export abstract class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    private readonly settings: { globalGuard: boolean; reauthMaxAgeMs: number },
    private readonly authenticator: RequestAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    if (
      !this.settings.globalGuard &&
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
      const user = this.authenticator.authenticateRequest(request);
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
      const maxAgeMs = recent.maxAgeMs ?? this.settings.reauthMaxAgeMs;
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
