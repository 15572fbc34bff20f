import { Module } from '@nestjs/common';
import { SessionsService } from '@session-service/nestjs';
import {
  RefreshTokens,
  RevocationListener,
  RevocationListenerOptions,
  RevokedSessions,
  SessionsRepository,
  UserRoleChangesRepository,
} from '@session-service/nestjs/internal';
import { AppConfig } from '../config/app-config';
import { LimitsModule } from '../limits/limits.module';
import { UsersModule } from '../users/users.module';
import { AdminSessionsController } from './admin-sessions.controller';
import { HousekeepingService } from './housekeeping.service';
import { SessionsController } from './sessions.controller';

@Module({
  imports: [UsersModule, LimitsModule],
  controllers: [SessionsController, AdminSessionsController],
  providers: [
    SessionsService,
    SessionsRepository,
    UserRoleChangesRepository,
    RefreshTokens,
    RevokedSessions,
    RevocationListener,
    {
      provide: RevocationListenerOptions,
      useFactory: (config: AppConfig): RevocationListenerOptions => ({
        connectionString: config.databaseUrl ?? undefined,
      }),
      inject: [AppConfig],
    },
    HousekeepingService,
  ],
  exports: [SessionsService, RefreshTokens, RevokedSessions],
})
export class SessionsModule {}
