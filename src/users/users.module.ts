import { Module } from '@nestjs/common';
import {
  PasswordHasher,
  SecurityEventsRepository,
  UsersRepository,
  UsersService,
} from '@session-service/nestjs/internal';
import { UsersController } from './users.controller';

@Module({
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, SecurityEventsRepository, PasswordHasher],
  exports: [UsersService, UsersRepository, SecurityEventsRepository],
})
export class UsersModule {}
