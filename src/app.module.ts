import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import {
  SessionAuthExceptionFilter,
  SessionAuthModule,
  type SessionAuthObserver,
} from '@session-service/nestjs';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The service: the library's sessions on the environment's settings, its own database, health,
 * docs and webhooks. Every route answers failures in the contract's shape, the service's own
 * (404s, health) included: the library's filter serves the whole app here. `observer` (the
 * metrics) is told of the library's outcomes.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, observer?: SessionAuthObserver): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        HealthModule,
        SessionAuthModule.forRoot({ ...config.sessionAuthOptions, observer }),
        WebhooksModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: SessionAuthExceptionFilter }],
    };
  }
}
