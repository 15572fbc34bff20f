import { RequestMethod, Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import {
  IS_PUBLIC_KEY,
  RECENT_AUTH_KEY,
  type RecentAuthRequirement,
  ROLES_KEY,
} from '@session-service/nestjs';

export interface RouteEntry {
  method: string;
  path: string;
  /** `public`, or the global guard's name. */
  access: string;
  roles: string[];
  /** `recent auth` (within REAUTH_MAX_AGE) or `recent auth: <duration>` for `@RecentAuth()`. */
  recentAuth: string | null;
  guards: string[];
}

/**
 * Every route with who may call it: public or the access-token guard, the roles it requires and
 * any route guards. A change in this table is a permission change.
 */
export function routeTable(app: INestApplicationContext): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown>;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name] as object;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (name === 'constructor' || method === undefined) continue;
        const read = <T>(key: string): T | undefined =>
          Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
        const recent = read<RecentAuthRequirement>(RECENT_AUTH_KEY);
        const guards = [
          ...((Reflect.getMetadata(GUARDS_METADATA, controller) ?? []) as Type[]),
          ...((Reflect.getMetadata(GUARDS_METADATA, handler) ?? []) as Type[]),
        ].map((guard) => guard.name);
        entries.push({
          method: RequestMethod[method],
          path: joinPath(base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')),
          access: read<boolean>(IS_PUBLIC_KEY) ? 'public' : 'SessionAuthGuard',
          roles: read<string[]>(ROLES_KEY) ?? [],
          recentAuth: !recent
            ? null
            : recent.maxAgeMs === undefined
              ? 'recent auth'
              : `recent auth: ${recent.maxAgeMs / 1000}s`,
          guards,
        });
      }
    }
  }
  return entries.sort((x, y) => x.path.localeCompare(y.path) || x.method.localeCompare(y.method));
}

export function formatRouteTable(entries: RouteEntry[]): string {
  return entries
    .map((entry) =>
      [
        `${entry.method.padEnd(6)} ${entry.path}`.padEnd(42),
        entry.access.padEnd(17),
        entry.roles.length ? `roles: ${entry.roles.join(', ')}` : '',
        ...(entry.recentAuth ? [entry.recentAuth] : []),
        entry.guards.length ? `guards: ${entry.guards.join(', ')}` : '',
      ]
        .join(' ')
        .trimEnd(),
    )
    .join('\n');
}

function joinPath(base: string, path: string): string {
  return `/${[base, path]
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
}
