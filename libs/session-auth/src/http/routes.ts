import { Injectable } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';

/** The library's routes whose requests the early checks inspect, by their first path segment. */
const LIBRARY_ROUTES = /^\/(?:auth|sessions|users\/me|admin\/users|\.well-known)(?:\/|$)/;

/**
 * Where the library's routes are, under the app's global prefix and `routePrefix`: the refresh
 * and logout routes take the refresh cookie, which is scoped to the auth path. Worked out on first
 * use, since the app sets its global prefix after the module is built.
 */
@Injectable()
export class RoutePaths {
  private resolved?: { prefix: string; refresh: string; logout: string; auth: string };

  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    private readonly app: ApplicationConfig,
  ) {}

  /** The path the refresh cookie is scoped to: the auth routes'. */
  get auth(): string {
    return this.paths().auth;
  }

  /** Which of the two refresh-cookie routes a path is, if either. */
  refreshRouteOf(path: string): 'refresh' | 'logout' | null {
    const { refresh, logout } = this.paths();
    return path === refresh ? 'refresh' : path === logout ? 'logout' : null;
  }

  /** Whether a path is one of the library's own routes. */
  isLibraryRoute(path: string): boolean {
    const { prefix } = this.paths();
    return path.startsWith(prefix) && LIBRARY_ROUTES.test(path.slice(prefix.length) || '/');
  }

  private paths(): NonNullable<RoutePaths['resolved']> {
    if (!this.resolved) {
      const prefix = joinPath(this.app.getGlobalPrefix(), this.options.routePrefix);
      const auth = `${prefix}/auth`;
      this.resolved = { prefix, auth, refresh: `${auth}/refresh`, logout: `${auth}/logout` };
    }
    return this.resolved;
  }
}

/** `'/api/'` and `'v1'` → `'/api/v1'`; nothing → `''`. */
function joinPath(...parts: string[]): string {
  const segments = parts.flatMap((part) => part.split('/')).filter(Boolean);
  return segments.length ? `/${segments.join('/')}` : '';
}
