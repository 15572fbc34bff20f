import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LimitsModule } from '../limits/limits.module';
import { UsersModule } from '../users/users.module';
import { AdminSessionsController } from './admin-sessions.controller';
import { HousekeepingService } from './housekeeping.service';
import { RefreshToken } from './refresh-token.entity';
import { RevokedSessions } from './revoked-sessions.service';
import { Session } from './session.entity';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken]), UsersModule, LimitsModule],
  controllers: [SessionsController, AdminSessionsController],
  providers: [SessionsService, SessionsRepository, RevokedSessions, HousekeepingService],
  exports: [SessionsService, RevokedSessions],
})
export class SessionsModule {}
