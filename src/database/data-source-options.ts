import type { DataSourceOptions } from 'typeorm';
import { SESSION_AUTH_ENTITIES, SESSION_AUTH_MIGRATIONS } from '@session-service/nestjs';
import { WebhookOutbox1796551200000 } from './migrations/1796551200000-webhook-outbox';
import { WebhookOutboxPruneIndexes1796554200000 } from './migrations/1796554200000-webhook-outbox-prune-indexes';
import { TypeOrmLogger } from './typeorm-logger';

/** The service's own tables, after the library's (TypeORM runs them in timestamp order). */
const SERVICE_MIGRATIONS = [WebhookOutbox1796551200000, WebhookOutboxPruneIndexes1796554200000];

/**
 * How long the service waits for any one answer from PostgreSQL. Without it, a query sent on a
 * pooled connection during a network partition waits forever, and so does its request. Every
 * query of the service takes milliseconds; migrations run at start are bound by it too (a longer
 * one runs through `npm run migration:run`, which has no such limit).
 */
export const SERVICE_QUERY_TIMEOUT_MS = 5_000;

/**
 * One definition of the connection, shared by the app, the commands and the migrations. It never
 * migrates on connecting: `runMigrations` does, over DATABASE_DIRECT_URL.
 */
export function dataSourceOptions(url: string, queryTimeoutMs?: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: SESSION_AUTH_ENTITIES,
    migrations: [...SESSION_AUTH_MIGRATIONS, ...SERVICE_MIGRATIONS],
    migrationsRun: false,
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
