import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { User } from './user.entity';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  async create(fields: Pick<User, 'email' | 'passwordHash' | 'displayName'>): Promise<User> {
    try {
      return await this.users.save(this.users.create({ ...fields, roles: ['user'] }));
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new AppError(409, 'email_taken', 'An account with this email already exists.');
      }
      throw error;
    }
  }

  /**
   * Replaces the password hash only while it is still the one the caller verified, in one
   * statement: a change that committed meanwhile wins, and a hash of an old password never lands
   * over a new one. True when it was replaced.
   */
  async replacePasswordHash(
    id: string,
    verifiedHash: string,
    passwordHash: string,
  ): Promise<boolean> {
    const result = await this.users.update({ id, passwordHash: verifiedHash }, { passwordHash });
    return result.affected === 1;
  }

  async setRoles(id: string, roles: string[]): Promise<void> {
    await this.users.update({ id }, { roles });
  }
}
