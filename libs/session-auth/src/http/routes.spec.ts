import { RequestMethod } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import type { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { RoutePaths } from './routes';

/** An exclusion as `app.setGlobalPrefix(prefix, { exclude })` compiles it for Nest's router. */
function exclusion(pattern: RegExp, requestMethod = RequestMethod.ALL) {
  return { path: pattern.source, pathRegex: pattern, requestMethod };
}

function routesOf(
  globalPrefix: string,
  exclude: ReturnType<typeof exclusion>[] = [],
  routePrefix = '',
): RoutePaths {
  const app = new ApplicationConfig();
  app.setGlobalPrefix(globalPrefix);
  app.setGlobalPrefixOptions({ exclude });
  return new RoutePaths({ routePrefix } as ResolvedSessionAuthOptions, app);
}

describe('RoutePaths', () => {
  it('puts the routes under the global prefix and routePrefix', () => {
    const routes = routesOf('/api/', [], 'v1');
    expect(routes.auth).toBe('/api/v1/auth');
    expect(routes.refreshRouteOf('/api/v1/auth/refresh')).toBe('refresh');
    expect(routes.refreshRouteOf('/api/v1/auth/logout')).toBe('logout');
    expect(routes.refreshRouteOf('/v1/auth/refresh')).toBeNull();
    expect(routes.isLibraryRoute('/api/v1/sessions', 'GET')).toBe(true);
    expect(routes.isLibraryRoute('/v1/sessions', 'GET')).toBe(false);
    expect(routes.isLibraryRoute('/api/v1/notes', 'GET')).toBe(false);
  });

  it('serves the routes the global prefix excludes without it, for the methods it names', () => {
    const routes = routesOf('api', [
      exclusion(/^\/auth(?:\/(.+))?\/?$/i),
      exclusion(/^\/sessions\/?$/i, RequestMethod.DELETE),
    ]);
    expect(routes.auth).toBe('/auth');
    expect(routes.refreshRouteOf('/auth/refresh')).toBe('refresh');
    expect(routes.refreshRouteOf('/auth/logout')).toBe('logout');
    expect(routes.refreshRouteOf('/api/auth/refresh')).toBeNull();
    expect(routes.isLibraryRoute('/auth/me', 'GET')).toBe(true);
    expect(routes.isLibraryRoute('/api/sessions', 'GET')).toBe(true);
    expect(routes.isLibraryRoute('/sessions', 'DELETE')).toBe(true);
    // Not excluded for GET: that path is nobody's.
    expect(routes.isLibraryRoute('/sessions', 'GET')).toBe(false);
  });

  it('refuses to start when the exclusion parts the refresh route from the logout route', () => {
    const routes = routesOf('api', [exclusion(/^\/auth\/refresh\/?$/i, RequestMethod.POST)]);
    expect(() => routes.onApplicationBootstrap()).toThrow(
      /excluded from \/auth\/refresh but not from \/api\/auth\/logout/,
    );
  });
});
