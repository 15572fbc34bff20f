import type { DataSource } from 'typeorm';
import { LoginFailure } from './entities/login-failure.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { SecurityEvent } from './entities/security-event.entity';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { UserRoleChange } from './entities/user-role-change.entity';
import { InitialSchema1764086400000 } from './migrations/1764086400000-initial-schema';
import { RolesChangedAt1765000000000 } from './migrations/1765000000000-roles-changed-at';
import { LoginFailures1796536800000 } from './migrations/1796536800000-login-failures';
import { SessionAuthCoreSchema1796540400000 } from './migrations/1796540400000-session-auth-core-schema';
import { PgPool } from './pg-pool';

/**
 * The library's tables, for a host DataSource's `entities`. The repositories write them in SQL:
 * the entities describe the schema to the host's tooling.
 */
export const SESSION_AUTH_ENTITIES = [User, SecurityEvent, Session, RefreshToken, LoginFailure];

/**
 * The migrations that create those tables, for a host DataSource's `migrations`. Their class names
 * and timestamps never change: deployed databases have them recorded.
 */
export const SESSION_AUTH_MIGRATIONS = [
  InitialSchema1764086400000,
  RolesChangedAt1765000000000,
  LoginFailures1796536800000,
];

/**
 * The library's tables for an app with its own users (the `users` option): no `users` table, and
 * `user_role_changes` in place of its `roles_changed_at` column.
 */
export const SESSION_AUTH_CORE_ENTITIES = [
  SecurityEvent,
  Session,
  RefreshToken,
  LoginFailure,
  UserRoleChange,
];

/** The migration that creates SESSION_AUTH_CORE_ENTITIES' tables, for a host DataSource's `migrations`. */
export const SESSION_AUTH_CORE_MIGRATIONS = [SessionAuthCoreSchema1796540400000];

const BUILTIN_TABLES = ['users', 'sessions', 'refresh_tokens', 'security_events', 'login_failures'];
const CORE_TABLES = [
  'sessions',
  'refresh_tokens',
  'security_events',
  'login_failures',
  'user_role_changes',
];

/** The tables of `$1` that the connection's search_path does not find, in the order given. */
const MISSING_TABLES = `SELECT name FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n)
  WHERE to_regclass(name) IS NULL ORDER BY n`;

/**
 * Fails the start when the DataSource's database lacks a table the library needs in this users
 * mode, naming the migrations that create it: a host that forgot them would otherwise learn of it
 * from the first sign-in's 500. `dataSource` must be initialised (its migrations run).
 */
export async function assertSessionAuthSchema(
  dataSource: DataSource,
  builtinUsers: boolean,
): Promise<void> {
  const rows = await new PgPool(dataSource).query<{ name: string }>(MISSING_TABLES, [
    builtinUsers ? BUILTIN_TABLES : CORE_TABLES,
  ]);
  if (rows.length === 0) return;
  const names = rows.map((row) => `"${row.name}"`).join(', ');
  const migrations = builtinUsers ? 'SESSION_AUTH_MIGRATIONS' : 'SESSION_AUTH_CORE_MIGRATIONS';
  throw new Error(
    `SessionAuthModule: ${rows.length === 1 ? `table ${names} is` : `tables ${names} are`} ` +
      `missing: add ${migrations} to your DataSource's migrations`,
  );
}
