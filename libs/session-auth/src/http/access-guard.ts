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

type Handler = ReturnType<ExecutionContext['getHandler']>;

/** What a route asks of its callers, as its decorators say. */
interface RoutePolicy {
  /** False: `@Public()`, or (without `globalGuard`) no `@Auth()`, `@Roles()` or `@RecentAuth()`. */
  guarded: boolean;
  roles: string[] | undefined;
  recent: RecentAuthRequirement | undefined;
}

/**
 * What the guards of both entry points decide alike: `@Public()` passes; otherwise (every route
 * with `globalGuard`, else only those marked `@Auth()`, `@Roles()` or `@RecentAuth()`) the entry
 * point's authenticator checks the request, then the roles are checked, then how recent its
 * authentication is. A refusal is Nest's own HttpException with the
 * contract's body and headers, so the app needs no filter of ours to answer in our shape.
 */
export abstract class AccessGuard implements CanActivate {
  private readonly policies = new Map<Handler, { controller: Handler; policy: RoutePolicy }>();

  constructor(
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    private readonly settings: { globalGuard: boolean; reauthMaxAgeMs: number },
    private readonly authenticator: RequestAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (context.getType() !== 'http') return true;
    const policy = this.policyOf(context);
    if (!policy.guarded) return true;
    const { roles, recent } = policy;
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

  /**
   * The route's policy, read from its metadata once per handler and class: the guard runs on
   * every request, and four metadata lookups (each through reflect-metadata, on the handler and
   * then the class) cost more than a remembered token's whole check.
   */
  private policyOf(context: ExecutionContext): RoutePolicy {
    const handler = context.getHandler();
    const controller = context.getClass();
    const known = this.policies.get(handler);
    if (known?.controller === controller) return known.policy;
    const policy = this.readPolicy([handler, controller]);
    this.policies.set(handler, { controller, policy });
    return policy;
  }

  private readPolicy(targets: [Handler, Handler]): RoutePolicy {
    const guarded =
      !this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) &&
      (this.settings.globalGuard ||
        !!this.reflector.getAllAndOverride<boolean>(NEEDS_AUTH_KEY, targets));
    return {
      guarded,
      roles: this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, targets),
      recent: this.reflector.getAllAndOverride<RecentAuthRequirement | undefined>(
        RECENT_AUTH_KEY,
        targets,
      ),
    };
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
