import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordHasher } from './password-hasher';
import { SecurityEvent } from './security-event.entity';
import { SecurityEventsRepository } from './security-events.repository';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, SecurityEvent])],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, SecurityEventsRepository, PasswordHasher],
  exports: [UsersService, UsersRepository, SecurityEventsRepository],
})
export class UsersModule {}
