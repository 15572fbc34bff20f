import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher';
import { UsersController } from './users.controller';
import { SecurityEventsRepository, UsersRepository } from '@session-service/nestjs/internal';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, SecurityEventsRepository, PasswordHasher],
  exports: [UsersService, UsersRepository, SecurityEventsRepository],
})
export class UsersModule {}
