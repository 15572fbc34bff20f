import { Injectable } from '@nestjs/common';
import type { ClientInfo } from '../../core/types';
import type { SessionAuthUsers } from '../../core/users';
import type { User } from '../../persistence/entities/user.entity';
import { UsersRepository } from '../../persistence/users.repository';
import { UsersService } from './users.service';

/**
 * The built-in accounts as the rest of the library sees accounts. The user a sign-in verifies
 * keeps its `passwordHash`, which the session to start is bound to (see SessionsService.start).
 */
@Injectable()
export class BuiltinUsers implements SessionAuthUsers {
  constructor(
    private readonly service: UsersService,
    private readonly users: UsersRepository,
  ) {}

  verifyCredentials(email: string, password: string, client: ClientInfo): Promise<User | null> {
    return this.service.authenticate(email, password, client);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  verifyPassword(userId: string, password: string): Promise<boolean> {
    return this.service.verifyPassword(userId, password);
  }
}
