import type { DataSourceOptions } from 'typeorm';
import { RefreshToken } from '../sessions/refresh-token.entity';
import { Session } from '../sessions/session.entity';
import { SecurityEvent } from '../users/security-event.entity';
import { User } from '../users/user.entity';
import { InitialSchema1764086400000 } from './migrations/1764086400000-initial-schema';

export const ENTITIES = [User, SecurityEvent, Session, RefreshToken];
export const MIGRATIONS = [InitialSchema1764086400000];

/** One definition of the connection, shared by the app and the migration command. */
export function dataSourceOptions(url: string, migrationsRun: boolean): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error', 'migration'],
    extra: {
      max: 20,
      // Fail fast while the database is unreachable, so that callers answer 503 promptly.
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      application_name: 'session-service',
    },
  };
}
