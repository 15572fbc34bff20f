import { LoginFailure } from './entities/login-failure.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { SecurityEvent } from './entities/security-event.entity';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';
import { InitialSchema1764086400000 } from './migrations/1764086400000-initial-schema';
import { RolesChangedAt1765000000000 } from './migrations/1765000000000-roles-changed-at';
import { LoginFailures1796536800000 } from './migrations/1796536800000-login-failures';

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
