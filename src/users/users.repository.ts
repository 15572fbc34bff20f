import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { SessionAuthError } from '@session-service/nestjs';
import { User } from './user.entity';

const UNIQUE_VIOLATION = '23505';

/** Where a change of a user's roles is announced to every instance (see RevokedSessions). */
export const ROLES_CHANNEL = 'user_roles_changed';

/**
 * A role change as every instance reads it, from the notification or the catch-up read: the user,
 * its roles now, and when they changed (ms, the database's clock) to order the two sources.
 */
export interface RoleChange {
  id: string;
  roles: string[];
  at: number;
}

/** One row of `users` as a RoleChange, in JSON. */
export const ROLE_CHANGE_JSON = `json_build_object('id', id, 'roles', roles,
  'at', extract(epoch FROM roles_changed_at) * 1000)::text`;

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
        throw new SessionAuthError('email_taken', 'An account with this email already exists.');
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
    manager?: EntityManager,
  ): Promise<boolean> {
    const users = manager ? manager.getRepository(User) : this.users;
    const result = await users.update({ id, passwordHash: verifiedHash }, { passwordHash });
    return result.affected === 1;
  }

  /**
   * Grants or removes a role, stamps `roles_changed_at` and notifies every instance, in one
   * statement (the notification is delivered at commit). Null when there is no such user.
   */
  async changeRole(
    email: string,
    role: string,
    remove: boolean,
  ): Promise<{ email: string; roles: string[] } | null> {
    const rows: { email: string; roles: string[] }[] = await this.users.query(
      `WITH changed AS (
         UPDATE users
            SET roles = CASE WHEN $3::boolean THEN array_remove(roles, $2::text)
                             WHEN $2::text = ANY (roles) THEN roles
                             ELSE array_append(roles, $2::text) END,
                roles_changed_at = now(), updated_at = now()
          WHERE email = $1
         RETURNING *
       )
       SELECT email, roles, pg_notify('${ROLES_CHANNEL}', ${ROLE_CHANGE_JSON}) FROM changed`,
      [email, role, remove],
    );
    return rows[0] ?? null;
  }
}
