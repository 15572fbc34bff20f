import type { DataSource } from 'typeorm';
import { LoginFailure } from './entities/login-failure.entity';
import { SecurityEvent } from './entities/security-event.entity';
import { Session } from './entities/session.entity';
import { SessionRevocation } from './entities/session-revocation.entity';
import { SessionsRevokedBefore } from './entities/sessions-revoked-before.entity';
import { User } from './entities/user.entity';
import { UserRoleChange } from './entities/user-role-change.entity';
import { InitialSchema1764086400000 } from './migrations/1764086400000-initial-schema';
import { RolesChangedAt1765000000000 } from './migrations/1765000000000-roles-changed-at';
import { LoginFailures1796536800000 } from './migrations/1796536800000-login-failures';
import { SessionAuthCoreSchema1796540400000 } from './migrations/1796540400000-session-auth-core-schema';
import { SessionRevocations1796544000000 } from './migrations/1796544000000-session-revocations';
import { SessionPolicies1796545800000 } from './migrations/1796545800000-session-policies';
import { SessionAuthTime1796547600000 } from './migrations/1796547600000-session-auth-time';
import { BoundedSessionStorage1796553000000 } from './migrations/1796553000000-bounded-session-storage';
import { ClosedAccounts1796553600000 } from './migrations/1796553600000-closed-accounts';
import { PgPool } from './pg-pool';

/**
 * The library's tables, for a host DataSource's `entities`. The repositories write them in SQL:
 * the entities describe the schema to the host's tooling.
 */
export const SESSION_AUTH_ENTITIES = [
  User,
  SecurityEvent,
  Session,
  LoginFailure,
  SessionRevocation,
  SessionsRevokedBefore,
];

/**
 * The migrations that create those tables, for a host DataSource's `migrations`. Their class names
 * and timestamps never change: deployed databases have them recorded.
 */
export const SESSION_AUTH_MIGRATIONS = [
  InitialSchema1764086400000,
  RolesChangedAt1765000000000,
  LoginFailures1796536800000,
  SessionRevocations1796544000000,
  SessionPolicies1796545800000,
  SessionAuthTime1796547600000,
  BoundedSessionStorage1796553000000,
  ClosedAccounts1796553600000,
];

/**
 * The library's tables for an app with its own users (the `users` option): no `users` table, and
 * `user_role_changes` in place of its `roles_changed_at` column.
 */
export const SESSION_AUTH_CORE_ENTITIES = [
  SecurityEvent,
  Session,
  LoginFailure,
  UserRoleChange,
  SessionRevocation,
  SessionsRevokedBefore,
];

/** The migration that creates SESSION_AUTH_CORE_ENTITIES' tables, for a host DataSource's `migrations`. */
export const SESSION_AUTH_CORE_MIGRATIONS = [
  SessionAuthCoreSchema1796540400000,
  SessionRevocations1796544000000,
  SessionPolicies1796545800000,
  SessionAuthTime1796547600000,
  BoundedSessionStorage1796553000000,
];

const BUILTIN_TABLES = [
  'users',
  'sessions',
  'security_events',
  'login_failures',
  'session_revocations',
  'sessions_revoked_before',
];
/** Columns of the built-in `users` that a host's own table of that name is unlikely to have. */
const BUILTIN_USER_COLUMNS = ['password_hash', 'roles', 'roles_changed_at'];
const CORE_TABLES = [
  'sessions',
  'security_events',
  'login_failures',
  'user_role_changes',
  'session_revocations',
  'sessions_revoked_before',
];

/**
 * Parameters: the tables the mode needs, the columns its `users` table needs (none with the app's
 * own users). The tables the connection's search_path does not find, in the order given, and the
 * columns missing from a `users` table that exists.
 */
const MISSING = `SELECT
   ARRAY(SELECT name FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n)
          WHERE to_regclass(name) IS NULL ORDER BY n) AS tables,
   ARRAY(SELECT name FROM unnest($2::text[]) WITH ORDINALITY AS c(name, n)
          WHERE to_regclass('users') IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM pg_attribute
                             WHERE attrelid = to_regclass('users') AND attname = c.name
                               AND NOT attisdropped)
          ORDER BY n) AS user_columns`;

/**
 * Fails the start when the DataSource's database lacks a table the library needs in this users
 * mode, naming the migrations that create it: a host that forgot them would otherwise learn of it
 * from the first sign-in's 500. With the built-in accounts, a `users` table that is the host's own
 * (the `users` option forgotten) fails too. `dataSource` must be initialised (its migrations run).
 */
export async function assertSessionAuthSchema(
  dataSource: DataSource,
  builtinUsers: boolean,
): Promise<void> {
  const [missing] = await new PgPool(dataSource).query<{
    tables: string[];
    user_columns: string[];
  }>(MISSING, builtinUsers ? [BUILTIN_TABLES, BUILTIN_USER_COLUMNS] : [CORE_TABLES, []]);
  const migrations = builtinUsers ? 'SESSION_AUTH_MIGRATIONS' : 'SESSION_AUTH_CORE_MIGRATIONS';
  if (missing.tables.length > 0) {
    const names = quoted(missing.tables);
    throw new Error(
      `SessionAuthModule: ${missing.tables.length === 1 ? `table ${names} is` : `tables ${names} are`} ` +
        `missing: add ${migrations} to your DataSource's migrations`,
    );
  }
  if (missing.user_columns.length > 0) {
    throw new Error(
      `SessionAuthModule: table "users" is not the built-in accounts' (no column ${quoted(missing.user_columns)}): ` +
        `add ${migrations} to your DataSource's migrations, or pass your own accounts as the "users" option ` +
        `with SESSION_AUTH_CORE_MIGRATIONS`,
    );
  }
}

function quoted(names: string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}
