import { Injectable, OnApplicationBootstrap, RequestMethod } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';

/** The library's routes whose requests the early checks inspect, by their first path segment. */
const LIBRARY_ROUTES = /^\/(?:auth|sessions|users\/me|admin\/users|\.well-known)(?:\/|$)/;

interface Resolved {
  /** The app's global prefix and `routePrefix`: where the library's routes are. */
  prefix: string;
  /** `routePrefix` alone: where a route the global prefix excludes is. */
  unprefixed: string;
  auth: string;
  refresh: string;
  logout: string;
}

/**
 * Where the library's routes are, under the app's global prefix (unless its `exclude` names them)
 * and `routePrefix`: the refresh and logout routes take the refresh cookie, which is scoped to the
 * auth path. Worked out on first use, since the app sets its global prefix after the module is
 * built, and checked when the app starts.
 */
@Injectable()
export class RoutePaths implements OnApplicationBootstrap {
  private resolved?: Resolved;

  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    private readonly app: ApplicationConfig,
  ) {}

  /** Refuses to start when the refresh cookie could not reach both of its routes. */
  onApplicationBootstrap(): void {
    this.paths();
  }

  /** The path the refresh cookie is scoped to: the auth routes'. */
  get auth(): string {
    return this.paths().auth;
  }

  /** Which of the two refresh-cookie routes a path is, if either. */
  refreshRouteOf(path: string): 'refresh' | 'logout' | null {
    const { refresh, logout } = this.paths();
    return path === refresh ? 'refresh' : path === logout ? 'logout' : null;
  }

  /** Whether a request's path is one of the library's own routes. */
  isLibraryRoute(path: string, method: string): boolean {
    const { prefix, unprefixed } = this.paths();
    if (path.startsWith(prefix) && LIBRARY_ROUTES.test(path.slice(prefix.length) || '/')) {
      return true;
    }
    return (
      prefix !== unprefixed &&
      path.startsWith(unprefixed) &&
      LIBRARY_ROUTES.test(path.slice(unprefixed.length) || '/') &&
      this.excludedFromGlobalPrefix(path, RequestMethod[method as keyof typeof RequestMethod])
    );
  }

  private paths(): Resolved {
    if (!this.resolved) {
      const unprefixed = joinPath(this.options.routePrefix);
      const prefix = joinPath(this.app.getGlobalPrefix(), this.options.routePrefix);
      const served = (route: string) =>
        prefix !== unprefixed &&
        this.excludedFromGlobalPrefix(`${unprefixed}${route}`, RequestMethod.POST)
          ? `${unprefixed}${route}`
          : `${prefix}${route}`;
      const refresh = served('/auth/refresh');
      const logout = served('/auth/logout');
      const auth = refresh.slice(0, -'/refresh'.length);
      if (logout !== `${auth}/logout`) {
        throw new Error(
          `SessionAuthModule: the app's global prefix is excluded from ${refresh} but not from ` +
            `${logout} (or the other way round), and the refresh cookie is scoped to one path ` +
            'that both must be under: exclude both routes or neither.',
        );
      }
      this.resolved = { prefix, unprefixed, auth, refresh, logout };
    }
    return this.resolved;
  }

  /**
   * Whether the app's `setGlobalPrefix(prefix, { exclude })` serves this path and method without
   * the prefix, decided as Nest decides it for the routes it mounts: the path as the route is
   * declared (here with `routePrefix`), against each exclusion's method and compiled path.
   */
  private excludedFromGlobalPrefix(path: string, method: RequestMethod | undefined): boolean {
    const excluded = this.app.getGlobalPrefixOptions().exclude ?? [];
    return excluded.some(
      (route) =>
        (route.requestMethod === RequestMethod.ALL || route.requestMethod === method) &&
        route.pathRegex.test(path),
    );
  }
}

/** `'/api/'` and `'v1'` → `'/api/v1'`; nothing → `''`. */
function joinPath(...parts: string[]): string {
  const segments = parts.flatMap((part) => part.split('/')).filter(Boolean);
  return segments.length ? `/${segments.join('/')}` : '';
}
