import { Module } from '@nestjs/common';
import { LimitsModule } from '../limits/limits.module';
import { UsersModule } from '../users/users.module';
import { AdminSessionsController } from './admin-sessions.controller';
import { HousekeepingService } from './housekeeping.service';
import { RevokedSessions } from './revoked-sessions.service';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from '@session-service/nestjs/internal';
import { SessionsService } from './sessions.service';

@Module({
  imports: [UsersModule, LimitsModule],
  controllers: [SessionsController, AdminSessionsController],
  providers: [SessionsService, SessionsRepository, RevokedSessions, HousekeepingService],
  exports: [SessionsService, RevokedSessions],
})
export class SessionsModule {}
