import type { DataSourceOptions } from 'typeorm';
import { LoginFailure } from '../limits/login-failure.entity';
import { RefreshToken } from '../sessions/refresh-token.entity';
import { Session } from '../sessions/session.entity';
import { SecurityEvent } from '../users/security-event.entity';
import { User } from '../users/user.entity';
import { TypeOrmLogger } from './typeorm-logger';
import { InitialSchema1764086400000 } from './migrations/1764086400000-initial-schema';
import { RolesChangedAt1765000000000 } from './migrations/1765000000000-roles-changed-at';
import { LoginFailures1796536800000 } from './migrations/1796536800000-login-failures';

export const ENTITIES = [User, SecurityEvent, Session, RefreshToken, LoginFailure];
export const MIGRATIONS = [
  InitialSchema1764086400000,
  RolesChangedAt1765000000000,
  LoginFailures1796536800000,
];

/**
 * How long the service waits for any one answer from PostgreSQL. Without it, a query sent on a
 * pooled connection during a network partition waits forever, and so does its request. Every
 * query of the service takes milliseconds; migrations run at start are bound by it too (a longer
 * one runs through `npm run migration:run`, which has no such limit).
 */
export const SERVICE_QUERY_TIMEOUT_MS = 5_000;

/** One definition of the connection, shared by the app and the migration command. */
export function dataSourceOptions(
  url: string,
  migrationsRun: boolean,
  queryTimeoutMs?: number,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logger: new TypeOrmLogger(),
    extra: {
      max: 20,
      // Fail fast while the database is unreachable, so that callers answer 503 promptly.
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      ...(queryTimeoutMs ? { query_timeout: queryTimeoutMs } : {}),
      application_name: 'session-service',
    },
  };
}
